// Package safe decides which text from outside (config, API, audit log, errors) a terminal may be handed: Clean
// removes escape sequences and replaces or drops every rune a terminal could act on instead of drawing, so a
// hostile name can neither move the cursor, write the clipboard, clear the screen nor reverse a line. It does not
// decide layout, width or styling, and it does not escape for formats other than the terminal (JSON, CSV).
package safe

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Clean makes text from outside (config, API, audit log) safe to draw: escape sequences are removed whole, any
// remaining control character (C0, DEL, C1, the line and paragraph separators) is replaced by U+FFFD, and the
// bidirectional controls and marks are removed. So a name holding `\x1b]52;…` or `\x1b[2J` renders as harmless text
// and can neither move the cursor, set the clipboard nor clear the screen, and one holding U+202E (right-to-left
// override) cannot draw the rest of its line, or of the table row, reversed. The bidi runes are dropped rather than
// marked: they are invisible by design, and a right-to-left name still reads in its own order without them.
func Clean(s string) string {
	if isPlain(s) {
		return s // the common case: no copy
	}
	s = ansi.Strip(s)
	return strings.Map(func(r rune) rune {
		switch {
		case isBidi(r):
			return -1
		case isControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

// IsUnsafe reports whether a terminal could act on r rather than just draw it, so that Clean does not let it
// through: a C0 or C1 control, DEL, U+2028 or U+2029, or a bidirectional control or mark (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069). Each is in the Basic Multilingual Plane.
func IsUnsafe(r rune) bool { return isControl(r) || isBidi(r) }

// isControl reports whether r is a control character: C0, DEL, C1, or the line and paragraph separators.
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029'
}

// isBidi reports whether r is a bidirectional formatting character: an embedding, override or isolate (U+202A–U+202E,
// U+2066–U+2069), or a mark (LRM U+200E, RLM U+200F, ALM U+061C).
func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// isPlain reports whether s is valid UTF-8 with no unsafe rune at all (see IsUnsafe), so Clean has nothing to do.
// Invalid UTF-8 is not plain: a raw 0x9b byte is a CSI to a terminal in 8-bit mode.
func isPlain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if IsUnsafe(r) {
			return false
		}
	}
	return true
}

// CleanText is Clean for text of several lines, such as an error listing every config problem.
func CleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}
