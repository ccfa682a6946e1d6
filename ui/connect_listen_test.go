package ui

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
)

// The callback tests run the pane's listener for real on a loopback port and send it the browser's GETs; program
// runs the pane's commands as Bubble Tea would. Every wait has a deadline; none sleeps to synchronise.

const listenWait = 10 * time.Second

// program runs commands each in its own goroutine, as Bubble Tea does, and queues their messages for until.
type program struct {
	t    *testing.T
	msgs chan tea.Msg
	done chan struct{}
}

func newProgram(t *testing.T) *program {
	p := &program{t: t, msgs: make(chan tea.Msg), done: make(chan struct{})}
	t.Cleanup(func() { close(p.done) })
	return p
}

// run runs cmd, and each command of a batch, in a goroutine of its own.
func (p *program) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				p.run(c)
			}
			return
		}
		if msg != nil {
			select {
			case p.msgs <- msg:
			case <-p.done:
			}
		}
	}()
}

// until feeds the commands' messages to m's Update, running the commands it returns, until pred holds of the screen.
func (p *program) until(m Model, what string, pred func(string) bool) Model {
	p.t.Helper()
	deadline := time.After(listenWait)
	for !pred(screen(m)) {
		select {
		case msg := <-p.msgs:
			var cmd tea.Cmd
			m, cmd = updateCmd(m, msg)
			p.run(cmd)
		case <-deadline:
			p.t.Fatalf("the pane never showed %s within %v; screen:\n%s", what, listenWait, screen(m))
		}
	}
	return m
}

// freeRedirectURI is a callback URI on a loopback port that was free a moment ago.
func freeRedirectURI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprintf("http://%s/callback", ln.Addr())
}

// callback sends the browser's GET to u, retrying while nothing listens on its port yet.
func callback(t *testing.T, u string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(listenWait)
	for {
		resp, err := http.Get(u)
		if err == nil {
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", u, err)
		}
		time.Sleep(10 * time.Millisecond) // a retry interval, not a synchronisation: the loop waits for the bind
	}
}

// startListening opens the pane on c with the program p running its commands, the listener among them.
func startListening(t *testing.T, p *program, c *fakeConnector) Model {
	t.Helper()
	m := newTestModel(t, 130, 50, Options{Connector: c, Reader: readerFunc(func(string, time.Time) {})})
	m, cmd := updateCmd(m, press("a"))
	p.run(cmd)
	return p.until(m, "the Connect link", func(s string) bool { return strings.Contains(s, "Open the link below") })
}

// TestConnectPaneCallback: the browser's redirect on the listener, straight away or after a stray request with
// another flow's state, lists the user's vehicles: the pane takes the listener's result as the flow's outcome.
func TestConnectPaneCallback(t *testing.T) {
	// An Enterprise plan's key URL, so that the redirect's can be told from the plan's (freeURL) the fake falls back to.
	keyURL := strings.TrimSuffix(freeURL, "smartcar.com") + "fleetco.app.car"
	tests := []struct {
		name   string
		strays []string // queries the listener gets before the redirect
	}{
		{"the redirect", nil},
		{"after a stray with another flow's state", []string{"user_id=u-stray&state=NOTTHISFLOW&code=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeConnector{added: []fleet.Entry{newVehicle()}, redirectURI: freeRedirectURI(t)}
			p := newProgram(t)
			m := startListening(t, p, c)
			for _, q := range tt.strays {
				if status, page := callback(t, c.redirectURI+"?"+q); status != http.StatusBadRequest {
					t.Fatalf("GET ?%s = %d %q, want 400", q, status, page)
				}
				m = p.until(m, "the stray turned away", func(s string) bool {
					return strings.Contains(textOf(s), "does not belong to this Connect flow")
				})
				if s := textOf(screen(m)); !strings.Contains(s, "still waiting") ||
					!strings.Contains(s, "fleetkey takes it from there") {
					t.Errorf("after the stray the pane should say the listener still waits for the browser:\n%s", s)
				}
			}
			q := "user_id=u-new&code=x&virtual_key_url=" + keyURL + "&state=" + m.conn.flow.State()
			if status, page := callback(t, c.redirectURI+"?"+q); status != http.StatusOK ||
				!strings.Contains(page, "you can close this tab") {
				t.Errorf("GET the redirect = %d %q, want 200 and close the tab", status, page)
			}
			m = p.until(m, "the new vehicle", func(s string) bool { return strings.Contains(s, "New vehicle 1 of 1") })
			if c.addedUser != "u-new" || c.keyTo != keyURL {
				t.Errorf("AddUser(%q, %q), want u-new and the redirect's key URL %s", c.addedUser, c.keyTo, keyURL)
			}
			if m.conn.err != nil {
				t.Errorf("the pane's error after the redirect = %v, want none", m.conn.err)
			}
		})
	}
}

// TestConnectPanePasteAfterCallback: the operator pastes the redirect the browser has already brought to the
// listener, before the pane has the listener's news: the paste is no error, and the vehicles are listed once.
func TestConnectPanePasteAfterCallback(t *testing.T) {
	c := &fakeConnector{added: []fleet.Entry{newVehicle()}, redirectURI: freeRedirectURI(t)}
	p := newProgram(t)
	m := startListening(t, p, c)
	redirect := c.redirectURI + "?user_id=u-new&code=x&state=" + m.conn.flow.State()
	if status, _ := callback(t, redirect); status != http.StatusOK {
		t.Fatalf("GET the redirect = %d, want 200", status)
	}
	m = update(t, m, tea.PasteMsg{Content: redirect})
	m, cmd := updateCmd(m, press("enter"))
	p.run(cmd)
	if m.conn.err != nil {
		t.Errorf("the paste after the callback shows %v, want no error: the flow has its answer", m.conn.err)
	}
	m = p.until(m, "the new vehicle", func(s string) bool { return strings.Contains(s, "New vehicle 1 of 1") })
	if c.adds != 1 || c.addedUser != "u-new" {
		t.Errorf("AddUser calls = %d (last for %q), want 1 for u-new", c.adds, c.addedUser)
	}
}

// TestConnectPaneCallbackDenied: Connect's access_denied on the listener ends the flow with its reason: no listing,
// no paste field asking for another redirect.
func TestConnectPaneCallbackDenied(t *testing.T) {
	c := &fakeConnector{added: []fleet.Entry{newVehicle()}, redirectURI: freeRedirectURI(t)}
	p := newProgram(t)
	m := startListening(t, p, c)
	q := "error=access_denied&error_description=The+owner+said+no&state=" + m.conn.flow.State()
	if status, _ := callback(t, c.redirectURI+"?"+q); status != http.StatusBadRequest {
		t.Errorf("GET the denial = %d, want 400", status)
	}
	m = p.until(m, "the denial", func(s string) bool { return strings.Contains(textOf(s), "The owner said no") })
	if s := screen(m); strings.Contains(s, "redirect URL ›") || !strings.Contains(s, "enter or esc back") {
		t.Errorf("after the denial the pane still asks for a redirect, or offers no way back:\n%s", s)
	}
	if c.addedUser != "" {
		t.Errorf("a denied flow listed the vehicles of %q", c.addedUser)
	}
}

// TestConnectPaneListenerExpires: with no redirect by the deadline the flow ends and the pane says so.
func TestConnectPaneListenerExpires(t *testing.T) {
	c := &fakeConnector{redirectURI: freeRedirectURI(t), timeout: 200 * time.Millisecond} // the deadline, not a sleep
	p := newProgram(t)
	m := startListening(t, p, c)
	m = p.until(m, "the timeout", func(s string) bool { return strings.Contains(textOf(s), "the Connect flow timed out") })
	if s := screen(m); strings.Contains(s, "redirect URL ›") || !strings.Contains(s, "enter or esc back") {
		t.Errorf("after the timeout the pane still asks for a redirect, or offers no way back:\n%s", s)
	}
}

// TestConnectPaneListenerDown: when the listener cannot run, the pane no longer says the browser will come back to
// fleetkey; it asks for the paste, which still completes the flow.
func TestConnectPaneListenerDown(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := &fakeConnector{added: []fleet.Entry{newVehicle()}, redirectURI: fmt.Sprintf("http://%s/callback", busy.Addr())}
	p := newProgram(t)
	m := startListening(t, p, c)
	m = p.until(m, "the busy port", func(s string) bool { return strings.Contains(textOf(s), "is in use by another program") })
	if s := textOf(screen(m)); strings.Contains(s, "fleetkey takes it from there") ||
		!strings.Contains(s, "where fleetkey could not start its listener") {
		t.Errorf("with the listener down the pane still promises the browser's return, or asks for no paste:\n%s", s)
	}
	m.conn.paste.SetValue(c.redirectURI + "?user_id=u-new&code=x&state=" + m.conn.flow.State())
	m, cmd := updateCmd(m, press("enter"))
	p.run(cmd)
	p.until(m, "the new vehicle", func(s string) bool { return strings.Contains(s, "New vehicle 1 of 1") })
}

// textOf is the text of a screen without the QR drawn on its right, its words joined by single spaces, so that a
// sentence wrapped over lines beside the QR reads as one.
func textOf(s string) string {
	var words []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.IndexAny(l, "█▀▄"); i >= 0 {
			l = l[:i]
		}
		words = append(words, strings.Fields(l)...)
	}
	return strings.Join(words, " ")
}
