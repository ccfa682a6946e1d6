package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// The virtual-key install QR is drawn with half blocks: one cell holds two
// modules, the upper one in the glyph's top half and the lower one in its
// bottom half. A glyph's ink is the foreground colour and the rest of the cell
// is the background, so which of the two colours ends up "light" decides
// whether a phone can read the code at all: most scanners do not read inverted
// codes. qrPaint names the three ways the UI gets light modules on screen.

// qrPaint says how the QR's two colours reach the screen.
type qrPaint int

const (
	// qrForced: colour on. Explicit black-on-white (light modules #FFFFFF
	// foreground, dark modules #000000 background), so it scans on any theme.
	qrForced qrPaint = iota
	// qrPlainDark: colour off on a dark background. qrterminal's default
	// glyphs, which draw light modules in the text colour.
	qrPlainDark
	// qrPlainLight: colour off on a light background. The swapped glyph set,
	// which leaves light modules as the terminal background.
	qrPlainLight
)

// String names the paint for logs and test names.
func (p qrPaint) String() string {
	switch p {
	case qrForced:
		return "forced"
	case qrPlainDark:
		return "plain-dark"
	case qrPlainLight:
		return "plain-light"
	}
	return fmt.Sprintf("qrPaint(%d)", int(p))
}

// paintFor picks the paint from whether colour is on, whether the background
// is dark, and the user's invert toggle. With colour on the code carries its
// own black and white and is right on every theme, so inverted has no effect
// there (an inverted code would not scan); the UI should disable its invert key
// in that case so the help stays truthful. With colour off, inverted corrects a
// wrong or missing background detection.
func paintFor(colour, darkBG, inverted bool) qrPaint {
	switch {
	case colour:
		return qrForced
	case darkBG != inverted:
		return qrPlainDark
	default:
		return qrPlainLight
	}
}

// Quiet-zone bounds in modules. ISO/IEC 18004 asks for 4; 2 still reads with
// the forced colours and is the floor the issue allows.
const (
	qrMinQuiet = 2
	qrMaxQuiet = 4
)

// qrForcedStyle is the whole-cell style of the forced paint; qrForcedEdge
// colours only the ink, for the border line whose other half lies outside the
// code (see renderQR).
var (
	qrForcedStyle = lipgloss.NewStyle().
			Foreground(lipgloss.Color("#FFFFFF")).
			Background(lipgloss.Color("#000000"))
	qrForcedEdge = lipgloss.NewStyle().Foreground(lipgloss.Color("#FFFFFF"))
)

// qrCode is a rendered code: the exact text to draw (lines joined by "\n", no
// trailing newline) and its size in cells.
type qrCode struct {
	Text          string
	Width, Height int
}

// renderQR renders url at error-correction level M with half blocks and the
// given quiet zone (modules; 2..4). It returns an error, never panics, when
// the URL cannot be encoded, and never writes to stdout.
func renderQR(url string, quiet int, p qrPaint) (qrCode, error) {
	if url == "" {
		return qrCode{}, errors.New("render qr: empty url")
	}
	if quiet < qrMinQuiet || quiet > qrMaxQuiet {
		return qrCode{}, fmt.Errorf("render qr: quiet zone %d outside %d..%d", quiet, qrMinQuiet, qrMaxQuiet)
	}
	if p < qrForced || p > qrPlainLight {
		return qrCode{}, fmt.Errorf("render qr: unknown paint %v", p)
	}
	// qrterminal drops qr.Encode's error and then dereferences the nil code,
	// so the same encode runs here first to turn that panic into an error.
	if _, err := qr.Encode(url, qr.M); err != nil {
		return qrCode{}, fmt.Errorf("render qr for %d-byte url: %w", len(url), err)
	}
	var b strings.Builder
	cfg := qrterminal.Config{Level: qrterminal.M, Writer: &b, HalfBlocks: true, QuietZone: quiet}
	setGlyphs(&cfg, p)
	qrterminal.GenerateWithConfig(url, cfg)

	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	width := ansi.StringWidth(lines[0])
	paintLines(lines, outerLine(quiet, len(lines)), p)
	return qrCode{Text: strings.Join(lines, "\n"), Width: width, Height: len(lines)}, nil
}

// setGlyphs chooses the half-block set. qrterminal's names read "upper
// module, lower module": WHITE_BLACK "▀" inks the upper (light) half. The
// default set inks light modules, so they take the foreground colour; the
// swapped set inks dark modules, so light ones stay the background.
func setGlyphs(cfg *qrterminal.Config, p qrPaint) {
	if p != qrPlainLight {
		cfg.WhiteChar = qrterminal.WHITE_WHITE
		cfg.WhiteBlackChar = qrterminal.WHITE_BLACK
		cfg.BlackWhiteChar = qrterminal.BLACK_WHITE
		cfg.BlackChar = qrterminal.BLACK_BLACK
		return
	}
	cfg.WhiteChar = qrterminal.BLACK_BLACK
	cfg.WhiteBlackChar = qrterminal.BLACK_WHITE
	cfg.BlackWhiteChar = qrterminal.WHITE_BLACK
	cfg.BlackChar = qrterminal.WHITE_WHITE
}

// outerLine is the index of the border line that is half quiet zone, half
// outside the code: qrterminal pads the module rows to an even count with a
// "dark" half row, at the top for an odd quiet zone and at the bottom for an
// even one (mdp/qrterminal#39).
func outerLine(quiet, height int) int {
	if quiet%2 != 0 {
		return 0
	}
	return height - 1
}

// paintLines colours the lines in place. The padding half row of the outer
// line is not part of the code, so it is left to the terminal background
// instead of being drawn dark: with the swapped set that line would otherwise
// be a solid bar in the text colour, and with forced colours a black bar on
// light themes.
func paintLines(lines []string, outer int, p qrPaint) {
	switch p {
	case qrForced:
		for i, l := range lines {
			if i == outer {
				lines[i] = qrForcedEdge.Render(l)
				continue
			}
			lines[i] = qrForcedStyle.Render(l)
		}
	case qrPlainLight:
		lines[outer] = strings.Repeat(" ", ansi.StringWidth(lines[outer]))
	}
}

// qrCacheLimit bounds the cache: a session browsing a large fleet of
// per-vehicle URLs must not keep every code it ever drew.
const qrCacheLimit = 64

type qrKey struct {
	url   string
	quiet int
	paint qrPaint
}

type qrEntry struct {
	code qrCode
	err  error
}

// qrCache renders once per (url, quiet, paint) and returns the cached code
// afterwards, so View can ask for the code on every frame. Use it through the
// pointer from newQRCache: value copies of the Bubble Tea model then share one
// cache. It is not safe for concurrent use; Bubble Tea calls Update and View
// from one goroutine, and commands must not touch it.
type qrCache struct {
	codes   map[qrKey]qrEntry
	renders int // calls to renderQR, for tests
}

// newQRCache returns an empty cache.
func newQRCache() *qrCache {
	return &qrCache{codes: make(map[qrKey]qrEntry)}
}

// get returns the code for url, rendering it on first use. Errors are cached
// too: a URL that cannot be encoded will not encode on the next frame either.
func (c *qrCache) get(url string, quiet int, p qrPaint) (qrCode, error) {
	k := qrKey{url: url, quiet: quiet, paint: p}
	if e, ok := c.codes[k]; ok {
		return e.code, e.err
	}
	if len(c.codes) >= qrCacheLimit {
		clear(c.codes)
	}
	code, err := renderQR(url, quiet, p)
	c.renders++
	c.codes[k] = qrEntry{code: code, err: err}
	return code, err
}

// fit picks the largest quiet zone in 4..2 whose code fits in w×h cells;
// ok=false if even 2 does not fit. The code is never wrapped, cut or scaled:
// when it does not fit the caller shows the URL as text instead.
func (c *qrCache) fit(url string, p qrPaint, w, h int) (qrCode, bool, error) {
	for quiet := qrMaxQuiet; quiet >= qrMinQuiet; quiet-- {
		code, err := c.get(url, quiet, p)
		if err != nil {
			return qrCode{}, false, err
		}
		if code.Width <= w && code.Height <= h {
			return code, true, nil
		}
	}
	return qrCode{}, false, nil
}
