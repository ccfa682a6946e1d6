// Package qrtest is for tests: it shows terminal output the way a terminal
// would draw it and reads QR codes back from the picture, like net/http/httptest
// is for HTTP. It is shared by the tests of package qr and of the UI that draws
// its codes: a code only counts as drawn if a real decoder reads it. It decides
// how SGR text becomes pixels (a terminal's theme, half blocks, the pen carried
// over line ends); it does not render codes, and no program code should import it.
package qrtest

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Theme is a terminal's default text (FG) and background (BG) colours. SGR
// colours 0–255 use the xterm palette.
type Theme struct{ FG, BG color.RGBA }

var (
	// Dark is a dark terminal theme: light grey text on near black.
	Dark = Theme{FG: color.RGBA{0xD0, 0xD0, 0xD0, 0xFF}, BG: color.RGBA{0x1E, 0x1E, 0x1E, 0xFF}}
	// Light is a light terminal theme: near-black text on off white.
	Light = Theme{FG: color.RGBA{0x20, 0x20, 0x20, 0xFF}, BG: color.RGBA{0xF5, 0xF5, 0xF5, 0xFF}}
)

// pen is the SGR state a terminal draws with; nil colours are the defaults.
type pen struct {
	fg, bg  color.Color
	reverse bool
}

// apply updates the pen from the parameters of one SGR sequence.
func (p *pen) apply(params ansi.Params) {
	if len(params) == 0 {
		*p = pen{}
		return
	}
	for i := 0; i < len(params); i++ {
		switch v := params[i].Param(0); {
		case v == 38 || v == 48:
			var c color.Color
			n := ansi.ReadStyleColor(params[i:], &c)
			if n == 0 {
				return // malformed: a terminal drops the rest
			}
			i += n - 1
			if v == 38 {
				p.fg = c
			} else {
				p.bg = c
			}
		default:
			p.applyCode(v)
			for params[i].HasMore() && i+1 < len(params) {
				i++ // sub-parameters of an attribute we do not draw
			}
		}
	}
}

// applyCode handles the single-number SGR codes.
func (p *pen) applyCode(v int) {
	switch {
	case v == 0:
		*p = pen{}
	case v == 7:
		p.reverse = true
	case v == 27:
		p.reverse = false
	case v >= 30 && v <= 37:
		p.fg = ansi.BasicColor(v - 30)
	case v == 39:
		p.fg = nil
	case v >= 40 && v <= 47:
		p.bg = ansi.BasicColor(v - 40)
	case v == 49:
		p.bg = nil
	case v >= 90 && v <= 97:
		p.fg = ansi.BasicColor(v - 90 + 8)
	case v >= 100 && v <= 107:
		p.bg = ansi.BasicColor(v - 100 + 8)
	}
}

// colours resolves the pen against the theme: the ink and the cell colour.
func (p pen) colours(th Theme) (ink, cell color.RGBA) {
	ink, cell = th.FG, th.BG
	if p.fg != nil {
		ink = color.RGBAModel.Convert(p.fg).(color.RGBA)
	}
	if p.bg != nil {
		cell = color.RGBAModel.Convert(p.bg).(color.RGBA)
	}
	if p.reverse {
		ink, cell = cell, ink
	}
	return ink, cell
}

// halves is what one cell shows: its upper and lower half.
type halves struct{ top, bottom color.RGBA }

// glyphHalves draws a half-block glyph exactly; any other glyph, text
// included, counts as its background so labels cannot confuse a decoder.
func glyphHalves(g string, ink, cell color.RGBA) halves {
	switch g {
	case "▀":
		return halves{ink, cell}
	case "▄":
		return halves{cell, ink}
	case "█":
		return halves{ink, ink}
	}
	return halves{cell, cell}
}

// screenCells lays terminal output out as cells, one row per line. The pen
// carries over line ends, as in a terminal, so a colour that leaks past a
// line shows on the next one.
func screenCells(screen string, th Theme) [][]halves {
	var (
		rows  [][]halves
		p     pen
		state byte
	)
	parser := ansi.GetParser()
	defer ansi.PutParser(parser)
	for _, line := range strings.Split(screen, "\n") {
		var row []halves
		for len(line) > 0 {
			parser.Reset()
			seq, width, n, next := ansi.DecodeSequence(line, state, parser)
			state, line = next, line[n:]
			switch {
			case width > 0:
				ink, cell := p.colours(th)
				h := glyphHalves(seq, ink, cell)
				for range width {
					row = append(row, h)
				}
			case ansi.HasCsiPrefix(seq) && parser.Command() == 'm':
				p.apply(parser.Params())
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// ScreenImage turns terminal output (text with SGR sequences, lines
// separated by \n) into the picture that terminal shows: each cell one module
// wide and two tall, every module scale×scale pixels. Cells past the end of a
// line show the theme background.
func ScreenImage(screen string, th Theme, scale int) *image.RGBA {
	rows := screenCells(screen, th)
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*scale, len(rows)*2*scale))
	for y, r := range rows {
		for x := range cols {
			h := halves{th.BG, th.BG}
			if x < len(r) {
				h = r[x]
			}
			fillModule(img, x, 2*y, scale, h.top)
			fillModule(img, x, 2*y+1, scale, h.bottom)
		}
	}
	return img
}

// fillModule paints module (mx, my) as a scale×scale square.
func fillModule(img *image.RGBA, mx, my, scale int, c color.RGBA) {
	for y := my * scale; y < (my+1)*scale; y++ {
		for x := mx * scale; x < (mx+1)*scale; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// Decode decodes the single QR code in img with gozxing and returns its
// text. gozxing never tries the inverted image, so an inverted code fails.
// gozxing's detector misses about one valid code in 200 at 4 pixels per
// module and reads the same code at 1: when the image does not decode, Decode
// tries it again at a half and a quarter of its size, as a phone tries frames
// from different distances. A code that no size reads still fails.
func Decode(img image.Image) (string, error) {
	if img.Bounds().Empty() {
		return "", errors.New("decode qr: empty image")
	}
	text, err := decodeOnce(img)
	for _, f := range []int{2, 4} { // the decoder misses a few valid codes at one size and reads them at another
		if err == nil || img.Bounds().Dx()/f < 21 {
			break
		}
		if t, ferr := decodeOnce(shrink(img, f)); ferr == nil {
			return t, nil
		}
	}
	return text, err
}

// decodeOnce decodes the one QR code in img, trying hard.
func decodeOnce(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("decode qr: binarize: %w", err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("decode qr: %w", err)
	}
	return res.GetText(), nil
}

// shrink returns img at 1/f of its size, each pixel the top-left one of its f×f square: a screen drawn at a
// whole-number scale loses nothing, as a camera further away would see it.
func shrink(img image.Image, f int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := range out.Bounds().Dy() {
		for x := range out.Bounds().Dx() {
			out.Set(x, y, img.At(b.Min.X+x*f, b.Min.Y+y*f))
		}
	}
	return out
}

// AsShown passes rendered output through colorprofile's Writer with the given
// profile (TrueColor, ANSI, Ascii for NO_COLOR), giving exactly what reaches
// the terminal.
func AsShown(s string, p colorprofile.Profile) string {
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	// A strings.Builder cannot fail; only an invalid profile errors, and its
	// empty output then fails every assertion that uses it.
	_, _ = w.WriteString(s)
	return b.String()
}
