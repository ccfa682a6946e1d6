package serve

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestUnauthenticatedLimit: with room for 3 connections authenticating, 2 half-open ones (TCP only, never a byte
// sent) leave room for legitimate clients, one after another, since each gives up its place as it authenticates;
// once a third half-open one fills the set, every further connection is closed at once, a legitimate one too,
// while the console already open carries on.
func TestUnauthenticatedLimit(t *testing.T) {
	h := startServer(t, configFleet(), Config{MaxUnauthenticated: 3, AuthTimeout: time.Minute})
	open := h.open(t, h.bob)
	open.shows(t, "Night shuttle")
	halfOpen(t, h.addr)
	halfOpen(t, h.addr)
	for i := range 4 {
		c, err := dial(h.addr, nil, gossh.PublicKeys(h.alice.signer))
		if err != nil {
			t.Fatalf("legitimate client %d with 2 of 3 places taken: %v", i, err)
		}
		_ = c.Close()
	}
	halfOpen(t, h.addr)
	for i := range 3 {
		if banner, err := closedAtOnce(t, h.addr); err != nil {
			t.Errorf("connection %d past the limit: got %q, %v; want it closed at once with nothing sent", i, banner, err)
		}
	}
	if c, err := dial(h.addr, nil, gossh.PublicKeys(h.alice.signer)); err == nil {
		_ = c.Close()
		t.Error("a legitimate client got in past the limit, want it refused like any other")
	}
	open.send(t, "/van\r")
	open.until(t, "the filtered table", func(s string) bool {
		return strings.Contains(s, "Depot van") && !strings.Contains(s, "Night shuttle")
	})
	if log := h.log.String(); !strings.Contains(log, "too many are authenticating") {
		t.Errorf("the server log does not say it refused connections:\n%s", log)
	}
}

// TestAuthTimeout: a connection that does not authenticate within AuthTimeout is closed, and its place is free
// again for a legitimate client.
func TestAuthTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := startServer(t, configFleet(), Config{MaxUnauthenticated: 1, AuthTimeout: timeout})
	start := time.Now()
	r := halfOpen(t, h.addr)
	if c, err := dial(h.addr, nil, gossh.PublicKeys(h.alice.signer)); err == nil {
		_ = c.Close()
		t.Fatal("a client got in while the one place was taken")
	}
	dropped := make(chan error, 1)
	go func() {
		_, err := r.ReadString('\n')
		dropped <- err
	}()
	select {
	case err := <-dropped:
		if took := time.Since(start); !errors.Is(err, io.EOF) || took < timeout {
			t.Errorf("half-open connection ended after %s with %v, want io.EOF after %s", took, err, timeout)
		}
	case <-time.After(wait):
		t.Fatalf("half-open connection still open %s after it was made, with an auth timeout of %s", wait, timeout)
	}
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.alice.signer))
	if err != nil {
		t.Fatalf("legitimate client after the half-open connection was dropped: %v", err)
	}
	_ = c.Close()
}

// halfOpen connects to addr and waits for the server's version line, which proves the server counts the
// connection among those authenticating; it then sends nothing. It returns the rest of the connection's stream.
func halfOpen(t *testing.T, addr string) *bufio.Reader {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		t.Fatalf("half-open connection: version line %q, %v", line, err)
	}
	return r
}

// closedAtOnce connects to addr and returns nil if the server closes the connection without sending anything, else
// what it sent and why that is not a refusal.
func closedAtOnce(t *testing.T, addr string) (string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return "", nil // refused even sooner
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(conn)
	switch {
	case len(b) > 0:
		return string(b), errors.New("the server sent its version")
	case err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err):
		return "", err
	}
	return "", nil
}

func isReset(err error) bool { return strings.Contains(err.Error(), "connection reset") }
