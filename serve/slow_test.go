package serve

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestSlowSessionBlocksNoOne: a client that never reads its channel, in a large terminal it keeps resizing, gets its
// session stalled on a write that cannot finish (the SSH window is full). Meanwhile an operator's read still reaches
// the API once and another viewer's screen at once, and is audited: the stalled session holds up neither the other
// sessions nor the scheduler.
func TestSlowSessionBlocksNoOne(t *testing.T) {
	cars := append(manyCars(60), keyless("veh-keyless"))
	f, fake := liveFleet(t, cars...)
	h := startServer(t, f, Config{})
	stalled := h.stall(t)
	began := stalled.writing.Load()

	viewer, operator := h.open(t, h.bob), h.open(t, h.alice)
	ready := func(s string) bool { return isReady.MatchString(rowOf(s, "veh-keyless")) }
	operator.send(t, "/veh-keyl\r") // filter to the one vehicle, so r reads it
	operator.until(t, "the vehicle ready", ready)
	viewer.send(t, "/veh-keyl\r")
	viewer.until(t, "the vehicle ready", ready)
	operator.send(t, "r") // a keyless vehicle's only read in 8h: the console asks first
	operator.until(t, "the question before the read", func(s string) bool { return strings.Contains(s, "y to read") })
	operator.send(t, "y")
	viewer.until(t, "about 8h to wait in the viewer's screen", func(s string) bool {
		return isAbout8h.MatchString(rowOf(s, "veh-keyless"))
	})
	checkReadAudited(t, h, "veh-keyless") // first: the viewer may see the read before it reaches the fake
	if n := fake.ReadCount("veh-keyless"); n != 1 {
		t.Errorf("the fake saw %d reads, want 1", n)
	}
	if now := stalled.writing.Load(); now != began {
		t.Errorf("the stalled session's write ended during the test (began %d, now %d): it was not held stalled",
			began, now)
	}
}

// fillWait bounds the time a stalled session takes to fill its client's 2 MB SSH window. Under -race, on two cores
// with one of them busy, the console renders some 150 KB/s of redraws: wait's 10 s were not always enough.
const fillWait = 3 * wait

// stall opens a viewer's console in a 300×100 terminal whose output the client never reads, resizes it until the
// client's window is full, and returns the server's side of it once a write to it has been blocked for half a
// second (a write to a client that reads takes microseconds on loopback).
func (h *harness) stall(t *testing.T) *tracked {
	t.Helper()
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() }) // runs before the server's stop, and unblocks the stalled write
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe() // read once, below, then never
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 100, 300, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	go func() {
		_, _ = out.Read(make([]byte, 1))
		close(first)
	}()
	select { // the console is up: no more reads of its PTY by the server, which could race with the resizes
	case <-first:
	case <-time.After(wait):
		t.Fatalf("no output from the console within %s", wait)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() { // every resize redraws the whole screen; the goroutine ends when the client closes
		pace := time.NewTicker(8 * time.Millisecond) // about a frame: faster only costs the server CPU
		defer pace.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-pace.C:
			}
			if sess.WindowChange(100-i%2*40, 300-i%2*120) != nil {
				return
			}
		}
	}()
	return h.blockedWrite(t, 500*time.Millisecond)
}

// blockedWrite polls, within fillWait, for the one open session whose current write began at least d ago: there is
// no event for "a write has not returned", so this is a wait of the tests that is a poll.
func (h *harness) blockedWrite(t *testing.T, d time.Duration) *tracked {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(fillWait)
	for {
		h.srv.mu.Lock()
		for tr := range h.srv.open {
			if w := tr.writing.Load(); w != 0 && time.Since(time.Unix(0, w)) >= d {
				h.srv.mu.Unlock()
				t.Logf("stalled after %d bytes", tr.sent.Load())
				return tr
			}
		}
		h.srv.mu.Unlock()
		select {
		case <-tick.C:
		case <-deadline:
			h.srv.mu.Lock()
			var sent []int64
			for tr := range h.srv.open {
				sent = append(sent, tr.sent.Load())
			}
			h.srv.mu.Unlock()
			t.Fatalf("no session's write blocked for %s within %s; the open sessions were sent %v bytes", d, fillWait, sent)
		}
	}
}
