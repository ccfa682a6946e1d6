package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"fleetkey/ui/safe"
)

// writeJSON writes v to w as one JSON value and a newline, indented by two spaces when indent is set, the way every
// JSON output of fleetkey is written (list --json, read, audit --json). encoding/json escapes the C0 controls and
// U+2028/U+2029 but lets DEL, the C1 controls and the bidirectional controls through raw, so a name holding U+202E or
// U+009B would act on a terminal that shows the output; writeJSON escapes each of those as \uXXXX too (see
// safe.IsUnsafe). The value decodes to the very same strings.
func writeJSON(w io.Writer, v any, indent bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(escapeUnsafe(buf.Bytes()))
	return err
}

// escapeUnsafe escapes every unsafe rune from DEL up in encoded JSON as \uXXXX. Outside its strings JSON is ASCII, so
// such a rune is always inside a string, where the escape means the same rune; the C0 controls below DEL are already
// escaped in strings, and raw outside them only as the indentation's newlines. Every unsafe rune is in the Basic
// Multilingual Plane, so four hex digits hold it.
func escapeUnsafe(b []byte) []byte {
	unsafe := func(r rune) bool { return r >= 0x7f && safe.IsUnsafe(r) }
	i := bytes.IndexFunc(b, unsafe)
	if i < 0 {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for b = b[i:]; len(b) > 0; {
		r, n := utf8.DecodeRune(b)
		if unsafe(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}
