package serve

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// term is a client session with a PTY whose output feeds a terminal emulator.
type term struct {
	sess   *gossh.Session
	stdin  io.Writer
	chunks chan []byte // the stdout stream; closed at its end
	em     *vt.Emulator
	raw    bytes.Buffer // everything received, for lines after the console left the alt screen
	stderr *lockedBuffer
}

// open starts p's console in a 100×30 PTY with env.
func (h *harness) open(t *testing.T, p person, env ...string) *term {
	t.Helper()
	return h.openAt(t, p, 100, 30, env...)
}

// openAt starts p's console in a w×hgt PTY with env.
func (h *harness) openAt(t *testing.T, p person, w, hgt int, env ...string) *term {
	t.Helper()
	c, err := dial(h.addr, nil, gossh.PublicKeys(p.signer))
	if err != nil {
		t.Fatalf("dial as %s: %v", p.comment, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return openTerm(t, c, w, hgt, env...)
}

func openTerm(t *testing.T, c *gossh.Client, w, hgt int, env ...string) *term {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(env); i += 2 {
		if err := sess.Setenv(env[i], env[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	tm := &term{sess: sess, chunks: make(chan []byte, 64), em: vt.NewEmulator(w, hgt), stderr: &lockedBuffer{}}
	go func() { _, _ = io.Copy(io.Discard, tm.em) }() // the emulator's answers to queries: drained, or it blocks
	sess.Stderr = tm.stderr
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if tm.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", hgt, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go pump(out, tm.chunks)
	return tm
}

// pump sends r's chunks to ch and closes it at the end.
func pump(r io.Reader, ch chan<- []byte) {
	defer close(ch)
	for {
		b := make([]byte, 32<<10)
		n, err := r.Read(b)
		if n > 0 {
			ch <- b[:n]
		}
		if err != nil {
			return
		}
	}
}

// until feeds the output to the emulator until ok(screen) holds, failing after wait.
func (tm *term) until(t *testing.T, what string, ok func(screen string) bool) string {
	t.Helper()
	deadline := time.After(wait)
	for {
		screen := tm.em.String()
		if ok(screen) {
			return screen
		}
		select {
		case b, more := <-tm.chunks:
			if !more {
				err := tm.wait(t) // and so the copy of stderr
				t.Fatalf("the session ended (%v) before %s; screen:\n%s\nstderr: %q", err, what, screen, tm.stderr.String())
			}
			tm.raw.Write(b)
			_, _ = tm.em.Write(b) // the server's emulated PTY has already turned \n into \r\n
		case <-deadline:
			t.Fatalf("no %s within %s; screen:\n%s", what, wait, screen)
		}
	}
}

// shows waits until the screen contains s.
func (tm *term) shows(t *testing.T, s string) string {
	t.Helper()
	return tm.until(t, "screen with "+s, func(screen string) bool { return strings.Contains(screen, s) })
}

// end reads the session to its end and returns all its output with escape sequences stripped, and its exit error.
func (tm *term) end(t *testing.T) (string, error) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case b, more := <-tm.chunks:
			if !more {
				return ansi.Strip(tm.raw.String()), tm.wait(t)
			}
			tm.raw.Write(b)
		case <-deadline:
			t.Fatalf("the session did not end within %s; output: %q", wait, ansi.Strip(tm.raw.String()))
		}
	}
}

// wait waits, within wait, for the session's exit status after its output ended.
func (tm *term) wait(t *testing.T) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- tm.sess.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		t.Fatalf("no exit status within %s", wait)
		return nil
	}
}

func (tm *term) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(tm.stdin, keys); err != nil {
		t.Fatalf("send %q: %v", keys, err)
	}
}

// exitStatus is a session's exit status from its Wait error.
func exitStatus(err error) int {
	if ee, ok := err.(*gossh.ExitError); ok {
		return ee.ExitStatus()
	}
	if err != nil {
		return -1
	}
	return 0
}
