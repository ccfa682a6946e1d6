package ui

// Test helpers that show terminal output the way a terminal would draw it and
// read QR codes back from the picture. They are shared by the QR tests and the
// detail-pane tests: a code only counts as drawn if a real decoder reads it.

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// termTheme is a terminal's default text and background colours. SGR colours
// 0–255 use the xterm palette.
type termTheme struct{ fg, bg color.RGBA }

var (
	darkTheme  = termTheme{fg: color.RGBA{0xD0, 0xD0, 0xD0, 0xFF}, bg: color.RGBA{0x1E, 0x1E, 0x1E, 0xFF}}
	lightTheme = termTheme{fg: color.RGBA{0x20, 0x20, 0x20, 0xFF}, bg: color.RGBA{0xF5, 0xF5, 0xF5, 0xFF}}
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
func (p pen) colours(th termTheme) (ink, cell color.RGBA) {
	ink, cell = th.fg, th.bg
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
func screenCells(screen string, th termTheme) [][]halves {
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

// screenImage turns terminal output (text with SGR sequences, lines
// separated by \n) into the picture that terminal shows: each cell one module
// wide and two tall, every module scale×scale pixels. Cells past the end of a
// line show the theme background.
func screenImage(screen string, th termTheme, scale int) *image.RGBA {
	rows := screenCells(screen, th)
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*scale, len(rows)*2*scale))
	for y, r := range rows {
		for x := range cols {
			h := halves{th.bg, th.bg}
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

// decodeQR decodes the single QR code in img with gozxing and returns its
// text. gozxing never tries the inverted image, so an inverted code fails.
func decodeQR(img image.Image) (string, error) {
	if img.Bounds().Empty() {
		return "", errors.New("decode qr: empty image")
	}
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

// asShown passes rendered output through colorprofile's Writer with the given
// profile (TrueColor, ANSI, Ascii for NO_COLOR), giving exactly what reaches
// the terminal.
func asShown(s string, p colorprofile.Profile) string {
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	// A strings.Builder cannot fail; only an invalid profile errors, and its
	// empty output then fails every assertion that uses it.
	_, _ = w.WriteString(s)
	return b.String()
}

func TestScreenImage(t *testing.T) {
	red, navy := color.RGBA{0x80, 0, 0, 0xFF}, color.RGBA{0, 0, 0x80, 0xFF}
	white, grey := color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, color.RGBA{0x80, 0x80, 0x80, 0xFF}
	fg, bg := darkTheme.fg, darkTheme.bg
	tests := []struct {
		name        string
		screen      string
		x, y        int
		top, bottom color.RGBA
	}{
		{"upper half", "\x1b[31;44m▀", 0, 0, red, navy},
		{"lower half default colours", "▄", 0, 0, bg, fg},
		{"full block", "\x1b[31m█", 0, 0, red, red},
		{"space", "\x1b[31;44m ", 0, 0, navy, navy},
		{"reverse full block", "\x1b[7m█", 0, 0, bg, bg},
		{"reverse space", "\x1b[7m ", 0, 0, fg, fg},
		{"reverse off", "\x1b[7m\x1b[27m▀", 0, 0, fg, bg},
		{"text is background", "\x1b[31;44mx", 0, 0, navy, navy},
		{"bright", "\x1b[97;100m▀", 0, 0, white, grey},
		{"256 colours", "\x1b[38;5;196;48;5;21m▀", 0, 0, color.RGBA{0xFF, 0, 0, 0xFF}, color.RGBA{0, 0, 0xFF, 0xFF}},
		{"true colour", "\x1b[38;2;1;2;3;48;2;4;5;6m▀", 0, 0, color.RGBA{1, 2, 3, 0xFF}, color.RGBA{4, 5, 6, 0xFF}},
		{"true colour with colons", "\x1b[38:2::1:2:3m▀", 0, 0, color.RGBA{1, 2, 3, 0xFF}, bg},
		{"reset", "\x1b[31;44m\x1b[0m▀", 0, 0, fg, bg},
		{"empty reset", "\x1b[31;44m\x1b[m▀", 0, 0, fg, bg},
		{"default colours", "\x1b[31;44m\x1b[39;49m▀", 0, 0, fg, bg},
		{"bold kept colour", "\x1b[1;31m▀", 0, 0, red, bg},
		{"colour leaks over a line end", "\x1b[44m\n▀", 0, 1, fg, navy},
		{"wide glyph takes two cells", "日\x1b[31m▀", 2, 0, red, bg},
		{"past the line end", "▀\n▀▀", 1, 0, bg, bg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := screenImage(tt.screen, darkTheme, 1)
			top, bottom := img.RGBAAt(tt.x, 2*tt.y), img.RGBAAt(tt.x, 2*tt.y+1)
			if top != tt.top || bottom != tt.bottom {
				t.Errorf("screenImage(%q) cell (%d,%d) = %v/%v, want %v/%v", tt.screen, tt.x, tt.y, top, bottom, tt.top, tt.bottom)
			}
		})
	}
	if got, want := screenImage("▀▀\n▀", darkTheme, 3).Bounds(), image.Rect(0, 0, 6, 12); got != want {
		t.Errorf("screenImage(2×2 cells, scale 3) bounds = %v, want %v", got, want)
	}
}

// roundTrip is one QR as some terminal shows it.
type roundTrip struct {
	name    string
	url     string
	theme   termTheme
	profile colorprofile.Profile
	quiet   int
	paint   qrPaint
	wantErr bool // the picture must not decode
}

// roundTrips is the matrix of URLs, themes, colour profiles and quiet zones
// (3 too, as fit may choose it), painted the way the UI paints, plus rows
// that must fail.
func roundTrips() []roundTrip {
	urls := []struct{ name, url string }{{"build", urlBuild}, {"enterprise", urlEnterprise}, {"vehicle", urlVehicle}}
	themes := []struct {
		name string
		th   termTheme
		dark bool
	}{{"dark", darkTheme, true}, {"light", lightTheme, false}}
	profiles := []struct {
		name string
		p    colorprofile.Profile
	}{{"truecolor", colorprofile.TrueColor}, {"ansi", colorprofile.ANSI}, {"no-colour", colorprofile.Ascii}}
	var rows []roundTrip
	for _, u := range urls {
		for _, th := range themes {
			for _, pr := range profiles {
				for _, q := range []int{2, 3, 4} {
					rows = append(rows, roundTrip{
						name: fmt.Sprintf("%s %s %s quiet %d", u.name, th.name, pr.name, q),
						url:  u.url, theme: th.th, profile: pr.p, quiet: q,
						paint: paintFor(pr.p != colorprofile.Ascii, th.dark, false),
					})
				}
			}
		}
	}
	return append(rows,
		roundTrip{"inverted by the user on a light theme detected as dark", urlBuild, lightTheme, colorprofile.Ascii, 4, paintFor(false, true, true), false},
		roundTrip{"fails: plain dark on a light theme", urlBuild, lightTheme, colorprofile.Ascii, 4, qrPlainDark, true},
		roundTrip{"fails: plain light on a dark theme", urlBuild, darkTheme, colorprofile.Ascii, 4, qrPlainLight, true},
		roundTrip{"fails: forced colours lost to NO_COLOR on a light theme", urlVehicle, lightTheme, colorprofile.Ascii, 2, qrForced, true},
	)
}

func TestQRRoundTrip(t *testing.T) {
	for _, tt := range roundTrips() {
		t.Run(tt.name, func(t *testing.T) {
			code, err := renderQR(tt.url, tt.quiet, tt.paint)
			if err != nil {
				t.Fatalf("renderQR(%q, %d, %v) error: %v", tt.url, tt.quiet, tt.paint, err)
			}
			checkDecode(t, asShown(code.Text, tt.profile), tt)
		})
	}
}

// TestQRRoundTripInScreen decodes the code from a whole detail-like screen:
// labels above and beside it, a coloured badge, the URL as text below.
func TestQRRoundTripInScreen(t *testing.T) {
	for _, tt := range roundTrips() {
		if tt.url != urlVehicle || tt.quiet != 2 {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			code, err := renderQR(tt.url, tt.quiet, tt.paint)
			if err != nil {
				t.Fatalf("renderQR(%q, %d, %v) error: %v", tt.url, tt.quiet, tt.paint, err)
			}
			checkDecode(t, asShown(detailLike(code, tt.url), tt.profile), tt)
		})
	}
}

// detailLike lays a code out the way a detail pane does.
func detailLike(code qrCode, url string) string {
	label := lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#5F87FF"))
	badge := lipgloss.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFAF00")).Padding(0, 1)
	header := lipgloss.JoinVertical(lipgloss.Left,
		label.Render("Delivery Van 7")+"  Model 3 2019",
		"VIN 5YJ3E1EA7KF317000  "+badge.Render("keyless")+" 1 read per 8h, reads never wake it",
		"")
	side := lipgloss.JoinVertical(lipgloss.Left,
		label.Render("Install the virtual key"),
		"phone:   open the link",
		"desktop: scan this code",
		"then:    Settings > Locks")
	body := lipgloss.JoinHorizontal(lipgloss.Top, side, "  ", code.Text)
	return lipgloss.JoinVertical(lipgloss.Left, header, body, label.Render(url))
}

// checkDecode rasterises the shown text in the row's theme and decodes it.
func checkDecode(t *testing.T, shown string, tt roundTrip) {
	t.Helper()
	img := screenImage(shown, tt.theme, 4)
	got, err := decodeQR(img)
	if tt.wantErr {
		if err == nil {
			t.Errorf("decodeQR(%v code on %+v) = %q, want an error", tt.paint, tt.theme, got)
		}
		// The same picture in negative must read: the row fails on polarity
		// alone, not on a broken picture.
		if got, err := decodeQR(negative(img)); err != nil || got != tt.url {
			t.Errorf("decodeQR(negative of %v code on %+v) = %q, %v; want %q", tt.paint, tt.theme, got, err, tt.url)
		}
		return
	}
	switch {
	case err != nil:
		t.Errorf("decodeQR(%v code on %+v) error: %v", tt.paint, tt.theme, err)
	case got != tt.url:
		t.Errorf("decodeQR(%v code on %+v) = %q, want %q", tt.paint, tt.theme, got, tt.url)
	}
}

// negative returns img with every colour inverted.
func negative(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	for i, v := range img.Pix {
		if i%4 == 3 {
			out.Pix[i] = v // alpha
			continue
		}
		out.Pix[i] = 0xFF - v
	}
	return out
}
