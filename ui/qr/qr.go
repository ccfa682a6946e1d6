// Package qr draws the virtual-key install QR code as terminal text: half blocks, a quiet zone of 2 to 4 modules,
// and one of three paints that decide which colour a phone reads as light. It decides how a code is encoded, how
// its colours reach the screen (Paint, PaintFor), which quiet zone fits a given space (Cache.Fit), and how the CLI
// prints a code (Write). It does not decide where a code goes on screen, when to show the URL instead, or how the
// terminal's colour profile and background are learned: those belong to the caller.
package qr

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/mdp/qrterminal/v3"
	rscqr "rsc.io/qr"
)

// The virtual-key install QR is drawn with half blocks: one cell holds two
// modules, the upper one in the glyph's top half and the lower one in its
// bottom half. A glyph's ink is the foreground colour and the rest of the cell
// is the background, so which of the two colours ends up "light" decides
// whether a phone can read the code at all: most scanners do not read inverted
// codes. Paint names the three ways the UI gets light modules on screen.

// Paint says how the QR's two colours reach the screen.
type Paint int

const (
	// Forced: colour on. Explicit black-on-white (light modules #FFFFFF
	// foreground, dark modules #000000 background), so it scans on any theme.
	Forced Paint = iota
	// PlainDark: colour off on a dark background. qrterminal's default
	// glyphs, which draw light modules in the text colour.
	PlainDark
	// PlainLight: colour off on a light background. The swapped glyph set,
	// which leaves light modules as the terminal background.
	PlainLight
)

// String names the paint for logs and test names.
func (p Paint) String() string {
	switch p {
	case Forced:
		return "forced"
	case PlainDark:
		return "plain-dark"
	case PlainLight:
		return "plain-light"
	}
	return fmt.Sprintf("qr.Paint(%d)", int(p))
}

// PaintFor picks the paint from whether colour is on, whether the background
// is dark, and the user's invert toggle. With colour on the code carries its
// own black and white and is right on every theme, so inverted has no effect
// there (an inverted code would not scan); the UI should disable its invert key
// in that case so the help stays truthful. With colour off, inverted corrects a
// wrong or missing background detection.
func PaintFor(colour, darkBG, inverted bool) Paint {
	switch {
	case colour:
		return Forced
	case darkBG != inverted:
		return PlainDark
	default:
		return PlainLight
	}
}

// Quiet-zone bounds in modules. ISO/IEC 18004 asks for 4; 2 still reads with
// the forced colours and is the floor the issue allows.
const (
	minQuiet = 2
	maxQuiet = 4
)

// forcedStyle is the whole-cell style of the forced paint; forcedEdge
// colours only the ink, for the border line whose other half lies outside the
// code (see Render).
var (
	forcedStyle = lipgloss.NewStyle().
			Foreground(lipgloss.Color("#FFFFFF")).
			Background(lipgloss.Color("#000000"))
	forcedEdge = lipgloss.NewStyle().Foreground(lipgloss.Color("#FFFFFF"))
)

// Code is a rendered code: the exact text to draw (lines joined by "\n", no
// trailing newline) and its size in cells.
type Code struct {
	Text          string
	Width, Height int
}

// Render renders url at error-correction level M with half blocks and the
// given quiet zone (modules; 2..4). It returns an error, never panics, when
// the URL cannot be encoded, and never writes to stdout.
func Render(url string, quiet int, p Paint) (Code, error) {
	if url == "" {
		return Code{}, errors.New("render qr: empty url")
	}
	if quiet < minQuiet || quiet > maxQuiet {
		return Code{}, fmt.Errorf("render qr: quiet zone %d outside %d..%d", quiet, minQuiet, maxQuiet)
	}
	if p < Forced || p > PlainLight {
		return Code{}, fmt.Errorf("render qr: unknown paint %v", p)
	}
	// qrterminal drops qr.Encode's error and then dereferences the nil code,
	// so the same encode runs here first to turn that panic into an error.
	if _, err := rscqr.Encode(url, rscqr.M); err != nil {
		return Code{}, fmt.Errorf("render qr for %d-byte url: %w", len(url), err)
	}
	var b strings.Builder
	cfg := qrterminal.Config{Level: qrterminal.M, Writer: &b, HalfBlocks: true, QuietZone: quiet}
	setGlyphs(&cfg, p)
	qrterminal.GenerateWithConfig(url, cfg)

	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	width := ansi.StringWidth(lines[0])
	paintLines(lines, outerLine(quiet, len(lines)), p)
	return Code{Text: strings.Join(lines, "\n"), Width: width, Height: len(lines)}, nil
}

// setGlyphs chooses the half-block set. qrterminal's names read "upper
// module, lower module": WHITE_BLACK "▀" inks the upper (light) half. The
// default set inks light modules, so they take the foreground colour; the
// swapped set inks dark modules, so light ones stay the background.
func setGlyphs(cfg *qrterminal.Config, p Paint) {
	if p != PlainLight {
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
func paintLines(lines []string, outer int, p Paint) {
	switch p {
	case Forced:
		for i, l := range lines {
			if i == outer {
				lines[i] = forcedEdge.Render(l)
				continue
			}
			lines[i] = forcedStyle.Render(l)
		}
	case PlainLight:
		lines[outer] = strings.Repeat(" ", ansi.StringWidth(lines[outer]))
	}
}

// cacheLimit bounds the cache: a session browsing a large fleet of
// per-vehicle URLs must not keep every code it ever drew.
const cacheLimit = 64

type key struct {
	url   string
	quiet int
	paint Paint
}

type entry struct {
	code Code
	err  error
}

// Cache renders once per (url, quiet, paint) and returns the cached code
// afterwards, so View can ask for the code on every frame. Use it through the
// pointer from NewCache: value copies of the Bubble Tea model then share one
// cache. It is not safe for concurrent use; Bubble Tea calls Update and View
// from one goroutine, and commands must not touch it.
type Cache struct {
	codes   map[key]entry
	renders int // calls to Render, for tests
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{codes: make(map[key]entry)}
}

// get returns the code for url, rendering it on first use. Errors are cached
// too: a URL that cannot be encoded will not encode on the next frame either.
func (c *Cache) get(url string, quiet int, p Paint) (Code, error) {
	k := key{url: url, quiet: quiet, paint: p}
	if e, ok := c.codes[k]; ok {
		return e.code, e.err
	}
	if len(c.codes) >= cacheLimit {
		clear(c.codes)
	}
	code, err := Render(url, quiet, p)
	c.renders++
	c.codes[k] = entry{code: code, err: err}
	return code, err
}

// Fit picks the largest quiet zone in 4..2 whose code fits in w×h cells;
// ok=false if even 2 does not fit. The code is never wrapped, cut or scaled:
// when it does not fit the caller shows the URL as text instead.
func (c *Cache) Fit(url string, p Paint, w, h int) (Code, bool, error) {
	for quiet := maxQuiet; quiet >= minQuiet; quiet-- {
		code, err := c.get(url, quiet, p)
		if err != nil {
			return Code{}, false, err
		}
		if code.Width <= w && code.Height <= h {
			return code, true, nil
		}
	}
	return Code{}, false, nil
}
