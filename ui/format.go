package ui

import (
	"fmt"
	"strings"
	"time"
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

// countdown formats the time until a read is allowed: "7h59m12s", "4m05s", "12s", or "ready". It rounds up to the
// second so that "ready" is never shown before the read is really allowed.
func countdown(d time.Duration) string {
	if d <= 0 {
		return "ready"
	}
	s := int64((d + time.Second - 1) / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	default:
		return fmt.Sprintf("%ds", sec)
	}
}

// age formats how long ago something happened, coarsely: "never", "just now", "42s ago", "5m ago", "3h12m ago",
// "4d ago". A time in the future (clock skew) reads "just now", as the rules count it.
func age(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d/time.Minute)%60)
	default:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
}

// every formats an interval for prose: time.Duration's own form without its zero tail, so "8h", "30m", "1h30m",
// "1m30s", "10s", "1h0m5s", "1.5s", "250ms". Only a zero unit at the very end goes (the "0s" of "1m0s", then the "0m"
// of "8h0m"); a digit 0 inside a number ("10s", "20m") is part of the number.
func every(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
