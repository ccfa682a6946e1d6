package serve

import (
	"io"
	"strings"
	"testing"

	"charm.land/ssh"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

func TestClampWindow(t *testing.T) {
	tests := []struct {
		name    string
		in      ssh.Window
		want    ssh.Window
		changed bool
	}{
		{name: "a usual terminal", in: ssh.Window{Width: 100, Height: 30}, want: ssh.Window{Width: 100, Height: 30}},
		{name: "exactly the largest", in: ssh.Window{Width: maxWidth, Height: maxHeight},
			want: ssh.Window{Width: maxWidth, Height: maxHeight}},
		{name: "one column too wide", in: ssh.Window{Width: maxWidth + 1, Height: 30},
			want: ssh.Window{Width: maxWidth, Height: 30}, changed: true},
		{name: "one row too high", in: ssh.Window{Width: 100, Height: maxHeight + 1},
			want: ssh.Window{Width: 100, Height: maxHeight}, changed: true},
		{name: "uint32 max wide", in: ssh.Window{Width: 4294967295, Height: 1},
			want: ssh.Window{Width: maxWidth, Height: 1}, changed: true},
		{name: "uint16 max square", in: ssh.Window{Width: 65535, Height: 65535},
			want: ssh.Window{Width: maxWidth, Height: maxHeight}, changed: true},
		{name: "zero is left to the console", in: ssh.Window{}, want: ssh.Window{}},
		{name: "negative (a 32-bit int)", in: ssh.Window{Width: -1, Height: -1}, want: ssh.Window{}, changed: true},
		{name: "pixels untouched", in: ssh.Window{Width: 1 << 20, Height: 1, WidthPixels: 7, HeightPixels: 9},
			want: ssh.Window{Width: maxWidth, Height: 1, WidthPixels: 7, HeightPixels: 9}, changed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := clampWindow(tt.in)
			if got != tt.want || changed != tt.changed {
				t.Errorf("clampWindow(%+v) = %+v, %v; want %+v, %v", tt.in, got, changed, tt.want, tt.changed)
			}
		})
	}
}

// TestHugeTerminal: an authorized viewer asks for terminals no screen can hold, in its pty request and in window
// changes. The server clamps them before anything is drawn: it survives (an out-of-memory is fatal, no recover
// catches it), another console still works, and the huge one says why it draws less than asked.
func TestHugeTerminal(t *testing.T) {
	tests := []struct {
		name   string
		pty    ssh.Window
		change []ssh.Window
	}{
		{name: "pty 4294967295x1", pty: ssh.Window{Width: 4294967295, Height: 1}},
		{name: "pty 1x4294967295", pty: ssh.Window{Width: 1, Height: 4294967295}},
		{name: "window change 65535x65535", pty: ssh.Window{Width: 100, Height: 30},
			change: []ssh.Window{{Width: 65535, Height: 65535}}},
		{name: "pty 4294967295x1 then 65535x65535", pty: ssh.Window{Width: 4294967295, Height: 1},
			change: []ssh.Window{{Width: 65535, Height: 65535}}},
	}
	h := startServer(t, configFleet(), Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			huge := h.openHuge(t, tt.pty)
			// The SSH library writes the size of a window change where the session's handler reads its PTY, with
			// no lock, so the test changes sizes only once the console is up, as the slow test does.
			huge.until(t, "the first frame", func(s string) bool { return strings.TrimSpace(s) != "" })
			for _, w := range tt.change {
				if err := huge.sess.WindowChange(w.Height, w.Width); err != nil {
					t.Fatal(err)
				}
			}
			if len(tt.change) > 0 {
				huge.shows(t, "the console draws at most 512×256")
			}
			other := h.open(t, h.alice)
			other.shows(t, "Night shuttle")
			other.send(t, "q")
			if _, err := other.end(t); err != nil {
				t.Errorf("another session beside the huge one: exit %v, want 0", err)
			}
		})
	}
	if log := h.log.String(); !strings.Contains(log, "terminal size clamped") {
		t.Errorf("the server log does not tell of the clamped sizes:\n%s", log)
	}
}

// openHuge starts bob's console in a PTY of size w, feeding its output to an emulator of the largest size a
// terminal may have (the test's own emulator would allocate the size asked for).
func (h *harness) openHuge(t *testing.T, w ssh.Window) *term {
	t.Helper()
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{sess: sess, chunks: make(chan []byte, 64), em: vt.NewEmulator(maxWidth, maxHeight),
		stderr: &lockedBuffer{}}
	go func() { _, _ = io.Copy(io.Discard, tm.em) }()
	sess.Stderr = tm.stderr
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if tm.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", w.Height, w.Width, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go pump(out, tm.chunks)
	return tm
}
