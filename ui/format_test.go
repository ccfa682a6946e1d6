package ui

import (
	"testing"
	"time"
)

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

func TestCountdown(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "ready"},
		{-time.Second, "ready"},
		{time.Nanosecond, "1s"},
		{time.Second, "1s"},
		{time.Second + time.Nanosecond, "2s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m00s"},
		{4*time.Minute + 5*time.Second, "4m05s"},
		{8 * time.Hour, "8h00m00s"},
		{7*time.Hour + 59*time.Minute + 12*time.Second, "7h59m12s"},
	}
	for _, tt := range tests {
		if got := countdown(tt.d); got != tt.want {
			t.Errorf("countdown(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Hour, "just now"},
		{0, "just now"},
		{42 * time.Second, "42s ago"},
		{5 * time.Minute, "5m ago"},
		{3*time.Hour + 12*time.Minute, "3h12m ago"},
		{96 * time.Hour, "4d ago"},
	}
	for _, tt := range tests {
		if got := age(testNow.Add(-tt.ago), testNow); got != tt.want {
			t.Errorf("age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := age(time.Time{}, testNow); got != "never" {
		t.Errorf("age(zero) = %q, want never", got)
	}
}

func TestEvery(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{8 * time.Hour, "8h"},
		{30 * time.Minute, "30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Second, "45s"},
		{10 * time.Second, "10s"},
		{20 * time.Second, "20s"},
		{time.Minute + 30*time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{10*time.Minute + 10*time.Second, "10m10s"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{time.Hour + 10*time.Second, "1h0m10s"},
		{10*time.Hour + 20*time.Minute, "10h20m"},
		{100 * time.Hour, "100h"},
		{time.Minute, "1m"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{time.Hour + 500*time.Millisecond, "1h0m0.5s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := every(tt.d); got != tt.want {
			t.Errorf("every(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
