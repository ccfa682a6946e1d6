package serve

import (
	"strings"
	"testing"
	"time"
)

func TestInputGuard(t *testing.T) {
	const start, end = "\x1b[200~", "\x1b[201~"
	big := func(n int) string { return strings.Repeat("a", n) }
	type read struct {
		after time.Duration // since the previous read
		b     string
	}
	tests := []struct {
		name  string
		reads []read
		want  string // a part of the reason, or "" for none
	}{
		{name: "typing", reads: []read{{0, "hello"}, {time.Second, "\x1b[A"}, {time.Second, "q"}}},
		{name: "a paste at the limit", reads: []read{{0, start + big(maxPaste) + end}}},
		{name: "a paste 1 byte past the limit", reads: []read{{0, start + big(maxPaste+1)}}, want: "a paste"},
		{name: "a long paste in slow pieces", want: "a paste", reads: []read{{0, start}, {time.Second, big(maxPaste / 2)},
			{time.Second, big(maxPaste / 2)}, {time.Second, "b"}}},
		{name: "pastes one after another", reads: []read{{0, start + big(maxPaste) + end},
			{time.Second, start + big(maxPaste) + end}}},
		{name: "markers split between reads", want: "a paste", reads: []read{{0, "\x1b[2"}, {time.Second, "00~"},
			{time.Second, big(maxPaste + 1)}}},
		{name: "an end split between reads", reads: []read{{0, start + big(10) + "\x1b[20"}, {time.Second, "1~"},
			{time.Second, big(maxPaste + 1)}}},
		{name: "the one-byte CSI starts a paste", reads: []read{{0, "\x9b200~" + big(maxPaste+1)}}, want: "a paste"},
		{name: "0x9b inside a character is text", reads: []read{{0, "ě200~"}, {time.Second, big(maxPaste + 1)}}},
		{name: "0x9b after a character is a CSI", want: "a paste",
			reads: []read{{0, "é\x9b200~"}, {time.Second, big(maxPaste + 1)}}},
		{name: "a burst at the limit", reads: []read{{0, big(maxBurst / 2)}, {time.Millisecond, big(maxBurst / 2)}}},
		{name: "a burst 1 byte past the limit", want: "without a pause",
			reads: []read{{0, big(maxBurst / 2)}, {burstGap - 1, big(maxBurst/2 + 1)}}},
		{name: "bursts with pauses", reads: []read{{0, big(maxBurst)}, {burstGap, big(maxBurst)},
			{burstGap, big(maxBurst)}}},
		{name: "an unfinished escape sequence streamed", want: "without a pause",
			reads: []read{{0, "\x1b[" + strings.Repeat("1", maxBurst)}, {time.Millisecond, "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g inputGuard
			now := time.Unix(1_000_000, 0)
			var got string
			for _, r := range tt.reads {
				now = now.Add(r.after)
				if got = g.check([]byte(r.b), now); got != "" {
					break
				}
			}
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("check = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPasteTooLong: a paste past the limit ends the session with the reason and status 1, where before the
// decoder kept it all (a 100 MB paste took the server from 6 MB of heap to 454 MB); the server carries on.
func TestPasteTooLong(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	tm := h.open(t, h.bob)
	tm.shows(t, "Night shuttle")
	tm.send(t, "\x1b[200~"+strings.Repeat("a", maxPaste+1))
	out, err := tm.end(t)
	if want := "a paste of more than 64 KiB; goodbye"; !strings.Contains(out, want) || exitStatus(err) != 1 {
		t.Errorf("session after a long paste: output %q, exit %v; want %q and status 1", tail(out), err, want)
	}
	h.open(t, h.alice).shows(t, "Night shuttle")
}
