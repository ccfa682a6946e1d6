package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"fleetkey/ui/safe"
)

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name, in, want string // want: the encoded string, quotes included
	}{
		{"plain", "Depot 3 – Van pool", `"Depot 3 – Van pool"`},
		{"hostile name", hostileName, `"Car\u202eevil\u001b[2J\u0085"`},
		{"DEL", "a\x7fb", `"a\u007fb"`},
		{"first and last C1", "a\u0080b\u009fc", `"a\u0080b\u009fc"`},
		{"C1 CSI", "x\u009b2J", `"x\u009b2J"`},
		{"embeddings and overrides", "\u202a\u202b\u202c\u202d\u202e", `"\u202a\u202b\u202c\u202d\u202e"`},
		{"isolates", "\u2066\u2067\u2068\u2069", `"\u2066\u2067\u2068\u2069"`},
		{"marks", "\u200e\u200f\u061c", `"\u200e\u200f\u061c"`},
		{"separators, as encoding/json does", "\u2028\u2029", `"\u2028\u2029"`},
		{"C0, as encoding/json does", "\x00\x1b\n", `"\u0000\u001b\n"`},
		{"right-to-left text is kept", "שלום", `"שלום"`},
		{"neighbours are kept", "\u00a0\u202f\u206a\u200d", "\"\u00a0\u202f\u206a\u200d\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeJSON(&buf, tt.in, false); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("writeJSON(%q) = %s, want %s", tt.in, got, tt.want)
			}
			checkRoundTrip(t, tt.in)
		})
	}
}

// checkRoundTrip writes s as a field of an indented object and checks that the output holds no unsafe rune but the
// indent's newlines, and that it decodes to s.
func checkRoundTrip(t *testing.T, s string) {
	t.Helper()
	var buf bytes.Buffer
	if err := writeJSON(&buf, map[string][]string{"k": {s, s}}, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && safe.IsUnsafe(r) }); i >= 0 {
		t.Errorf("writeJSON(%q) = %q holds an unsafe rune at byte %d", s, out, i)
	}
	var got map[string][]string
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got["k"]) != 2 || got["k"][0] != s || got["k"][1] != s {
		t.Errorf("writeJSON(%q) = %q decodes to %q, %v; want the same string", s, out, got, err)
	}
}

// FuzzWriteJSON: any valid UTF-8 string comes out with no unsafe rune and decodes to itself. (encoding/json turns
// invalid UTF-8 into U+FFFD, so only valid strings round-trip.)
func FuzzWriteJSON(f *testing.F) {
	for _, s := range []string{"", hostileName, hostileURL, "\x7f\u0080\u009f", "\u2066x\u2069", `"\\</>&`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		checkRoundTrip(t, s)
	})
}
