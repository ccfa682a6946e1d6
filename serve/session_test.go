package serve

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestViewerSeesTheFleet(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := openTerm(t, c, 160, 30) // wide enough for the whole label: the header shortens it first
	screen := tm.shows(t, "Night shuttle")
	for _, want := range []string{"Depot van", "test fleet · bob@ops (viewer)"} {
		if !strings.Contains(screen, want) {
			t.Errorf("viewer's screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "read now") {
		t.Errorf("viewer's help offers reads:\n%s", screen)
	}
	tm.send(t, "q")
	if _, err := tm.end(t); err != nil {
		t.Errorf("session after q: exit %v, want 0", err)
	}
	log := h.log.String()
	if !strings.Contains(log, h.bob.fingerprint()) || !strings.Contains(log, "bob@ops") {
		t.Errorf("server log does not name the key by comment and fingerprint:\n%s", log)
	}
	for _, leak := range []string{c.LocalAddr().String(), sshUser} {
		if strings.Contains(log, leak) {
			t.Errorf("server log names the client by %q, beyond its key:\n%s", leak, log)
		}
	}
}

func TestOperatorHeader(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	screen := h.openAt(t, h.alice, 160, 30).shows(t, "Night shuttle")
	for _, want := range []string{"alice@laptop (operator)", "read now"} {
		if !strings.Contains(screen, want) {
			t.Errorf("operator's screen lacks %q:\n%s", want, screen)
		}
	}
}

func TestNoTerminalRefused(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("")
	if got, want := string(out), "fleetkey serve needs a terminal (ssh -t)\n"; got != want {
		t.Errorf("session without a PTY: output %q, want %q", got, want)
	}
	if exitStatus(err) != 1 {
		t.Errorf("session without a PTY: exit %v, want status 1", err)
	}
}

func TestMaxSessions(t *testing.T) {
	h := startServer(t, configFleet(), Config{MaxSessions: 1})
	first := h.open(t, h.bob)
	first.shows(t, "Night shuttle")
	second := h.open(t, h.alice)
	out, err := second.end(t)
	if want := "fleetkey: the console is full (1 sessions); try again later"; !strings.Contains(second.stderr.String(), want) {
		t.Errorf("session past max_sessions: stderr %q (stdout %q), want %q", second.stderr.String(), out, want)
	}
	if exitStatus(err) != 1 {
		t.Errorf("session past max_sessions: exit %v, want status 1", err)
	}
	first.send(t, "q")
	if _, err := first.end(t); err != nil {
		t.Fatalf("first session after q: %v", err)
	}
	h.open(t, h.alice).shows(t, "Night shuttle") // the slot is free again
}

func TestNoColour(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	tests := []struct {
		name   string
		env    []string
		colour bool
	}{
		{name: "colour terminal", env: nil, colour: true},
		{name: "NO_COLOR=yes", env: []string{"NO_COLOR", "yes"}, colour: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := h.open(t, h.bob, tt.env...)
			tm.shows(t, "Night shuttle")
			raw := tm.raw.String()
			if got := strings.Contains(raw, "\x1b[38;") || strings.Contains(raw, "\x1b[48;"); got != tt.colour {
				t.Errorf("colour sequences in the output = %v, want %v", got, tt.colour)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	h := startServer(t, configFleet(), Config{IdleTimeout: time.Second})
	tm := h.open(t, h.bob)
	tm.shows(t, "Night shuttle")
	out, err := tm.end(t)
	if want := "fleetkey: no key pressed for 1s; goodbye"; !strings.Contains(out, want) {
		t.Errorf("idle session's last output %q, want %q", tail(out), want)
	}
	if err != nil {
		t.Errorf("idle session: exit %v, want 0", err)
	}
}

func TestStopSaysGoodbye(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	viewer, operator := h.open(t, h.bob), h.open(t, h.alice)
	viewer.shows(t, "Night shuttle")
	operator.shows(t, "Night shuttle")
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t) }()
	for _, tm := range []*term{viewer, operator} {
		out, err := tm.end(t)
		if !strings.HasSuffix(strings.TrimSpace(out), goodbye) {
			t.Errorf("session's last output %q, want it to end with %q", tail(out), goodbye)
		}
		if err != nil {
			t.Errorf("session at stop: exit %v, want 0", err)
		}
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return")
	}
	if _, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer)); err == nil {
		t.Error("a new connection after the stop succeeded")
	}
}

func TestShort(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "minutes", d: 30 * time.Minute, want: "30m"},
		{name: "hours", d: 2 * time.Hour, want: "2h"},
		{name: "seconds", d: 10 * time.Second, want: "10s"},
		{name: "mixed", d: 90 * time.Second, want: "1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := short(tt.d); got != tt.want {
				t.Errorf("short(%s) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// tail is the end of s, for failure messages.
func tail(s string) string {
	if len(s) > 200 {
		return "…" + s[len(s)-200:]
	}
	return s
}

// TestEnvLimits: a session's env requests are refused past maxEnv, or past maxEnvBytes each, since the SSH library
// keeps every one; the session still starts.
func TestEnvLimits(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Setenv("LONG", strings.Repeat("x", maxEnvBytes)); err == nil {
		t.Errorf("an env request of %d bytes was accepted", maxEnvBytes)
	}
	for i := range maxEnv - 1 { // the long one counted
		if err := sess.Setenv(fmt.Sprintf("V%d", i), "1"); err != nil {
			t.Fatalf("env request %d of %d: %v", i+2, maxEnv, err)
		}
	}
	if err := sess.Setenv("ONE_MORE", "1"); err == nil {
		t.Errorf("env request %d was accepted, want refused past %d", maxEnv+1, maxEnv)
	}
}

// TestChannelLimit: past channelsPer×MaxSessions session channels open, the next is rejected at once, before it
// can buffer anything.
func TestChannelLimit(t *testing.T) {
	h := startServer(t, configFleet(), Config{MaxSessions: 1})
	c, err := dial(h.addr, nil, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range channelsPer {
		if _, err := c.NewSession(); err != nil {
			t.Fatalf("session channel %d of %d: %v", i+1, channelsPer, err)
		}
	}
	_, err = c.NewSession()
	var oc *gossh.OpenChannelError
	if !errors.As(err, &oc) || oc.Reason != gossh.ResourceShortage || !strings.Contains(oc.Message, "the console is full") {
		t.Errorf("session channel past the limit: %v, want rejected as a resource shortage, the console is full", err)
	}
}
