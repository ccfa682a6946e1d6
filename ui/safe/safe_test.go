package safe

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Depot 3 – Van pool", "Depot 3 – Van pool"},
		{"OSC 52 clipboard write", "a\x1b]52;c;ZXZpbA==\x07b", "ab"},
		{"clear screen", "x\x1b[2Jy", "xy"},
		{"C1 CSI as UTF-8 is neutralised", "x\u009b2Jy", "x\uFFFD2Jy"},
		{"C1 CSI raw byte", "x\x9b2Jy", "xy"},
		{"invalid UTF-8 is dropped", "x\xffy", "xy"},
		{"bare controls", "a\rb\nc\x00d\x7fe", "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe"},
		{"ESC with a final byte is one sequence", "a\x1bbc", "ac"},
		{"hostile name", "Car\u202eevil\x1b[2J\u0085", "Carevil\uFFFD"},
		{"right-to-left override", "Van \u202eexe.txt", "Van exe.txt"},
		{"every embedding and override", "a\u202ab\u202bc\u202cd\u202de\u202ef", "abcdef"},
		{"every isolate", "a\u2066b\u2067c\u2068d\u2069e", "abcde"},
		{"marks", "a\u200eb\u200fc\u061cd", "abcd"},
		{"bidi after an ESC", "a\x1b\u202eb", "ab"},
		{"C1 NEL as UTF-8", "a\u0085b", "a\uFFFDb"},
		{"first and last C1", "a\u0080b\u009fc", "a\uFFFDb\uFFFDc"},
		{"DEL", "a\x7fb", "a\uFFFDb"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a\uFFFDb\uFFFDc"},
		{"right-to-left text is kept", "שלום Van", "שלום Van"},
		{"neighbours of the bidi ranges are kept", "\u2029x\u202fy\u2065z\u206a\u200d\u061b", "\uFFFDx\u202fy\u2065z\u206a\u200d\u061b"},
		{"U+00A0 after C1 is kept", "a\u00a0b", "a\u00a0b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !isPlain(got) {
				t.Errorf("Clean(%q) = %q still holds a control character", tt.in, got)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	in := "line 1 \u202eevil\nline 2\x1b[2J\u0085"
	if got, want := CleanText(in), "line 1 evil\nline 2\uFFFD"; got != want {
		t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
	}
}
