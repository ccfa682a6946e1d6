package ui

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/fleet"
	"fleetkey/fleet/connect"
	"fleetkey/policy"
	"fleetkey/ui/qr/qrtest"
)

// fakeConnector is a Connector over a real Connect flow whose user has one new vehicle; it records what the pane
// asked of the fleet.
type fakeConnector struct {
	redirectURI      string        // "" is a port nothing can bind, for tests that never run the listener
	timeout          time.Duration // 0 is 10m
	added            []fleet.Entry
	confirmed        []string
	released         []string
	addedUser, keyTo string
	adds             int // AddUser calls
}

func (c *fakeConnector) NewFlow(now time.Time) (*connect.Flow, error) {
	redirectURI, timeout := cmp.Or(c.redirectURI, "http://127.0.0.1:1/callback"), cmp.Or(c.timeout, 10*time.Minute)
	return connect.NewFlow(connect.Config{ClientID: "client_test", RedirectURI: redirectURI,
		Base: connect.DefaultBase, Mode: "live", Scopes: connect.DefaultScopes(), Timeout: timeout}, now)
}

func (c *fakeConnector) AddUser(_ context.Context, user, keyURL string, _ time.Time) ([]fleet.Entry, error) {
	c.addedUser, c.keyTo = user, keyURL
	c.adds++
	if keyURL == "" {
		keyURL = freeURL // the plan's URL, as the fleet gives it
	}
	for i := range c.added {
		c.added[i].KeyURL = keyURL
	}
	return c.added, nil
}

func (c *fakeConnector) Confirm(_ context.Context, id string, _ time.Time) (fleet.Entry, error) {
	c.confirmed = append(c.confirmed, id)
	e := c.added[0]
	e.Badge, e.LastRead = policy.KeyInstalled, testNow
	return e, nil
}

func (c *fakeConnector) Release(id string) { c.released = append(c.released, id) }
func (c *fakeConnector) Entries() ([]fleet.Entry, error) {
	return append(testEntries(), c.added...), nil
}

func newVehicle() fleet.Entry {
	v := fleet.Vehicle{ID: "veh-new", Name: "New Model Y", Make: "Tesla", Model: "Model Y", Year: 2024}
	return fleet.Entry{Vehicle: v, Badge: policy.Unknown}
}

// openPane presses a and runs the flow's start, as the program would; the listener command is not run.
func openPane(t *testing.T, w, h int, opts Options) (Model, *fakeConnector) {
	t.Helper()
	c := &fakeConnector{added: []fleet.Entry{newVehicle()}}
	opts.Connector, opts.Reader = c, readerFunc(func(string, time.Time) {})
	m := newTestModel(t, w, h, opts)
	m, cmd := updateCmd(m, press("a"))
	if cmd == nil {
		t.Fatal("a returned no command")
	}
	m, listenCmd := updateCmd(m, cmd())
	if listenCmd == nil || m.conn.flow == nil {
		t.Fatalf("the flow did not start: %v", m.conn.err)
	}
	m.conn.stop() // the listener command is never run here
	return m, c
}

func redirectFor(m Model, extra string) string {
	return fmt.Sprintf("http://127.0.0.1:1/callback?user_id=u-new&state=%s&code=x%s", url.QueryEscape(m.conn.flow.State()), extra)
}

// TestConnectPaneQRScans decodes the Connect link from the pane as drawn, on dark and light, with and without colour.
func TestConnectPaneQRScans(t *testing.T) {
	for _, dark := range []bool{true, false} {
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ASCII} {
			m, _ := openPane(t, 130, 50, Options{NoColour: p == colorprofile.ASCII})
			m = update(t, m, tea.ColorProfileMsg{Profile: p}, bgMsg(dark))
			th := map[bool]qrtest.Theme{true: qrtest.Dark, false: qrtest.Light}[dark]
			got, err := qrtest.Decode(qrtest.ScreenImage(qrtest.AsShown(m.View().Content, p), th, 4))
			if err != nil || got != m.conn.flow.URL() {
				t.Errorf("dark=%v %v: decode = %q, %v; want the Connect link %q", dark, p, got, err, m.conn.flow.URL())
			}
		}
	}
}

// TestConnectPanePasteFlow walks the paste path: a wrong state is refused without listing anything, the right
// redirect lists the user's vehicles, the new vehicle's install QR carries the returned virtual_key_url, y reads it
// once, and the table lists it at the end.
func TestConnectPanePasteFlow(t *testing.T) {
	m, c := openPane(t, 130, 50, Options{})
	m = update(t, m, tea.PasteMsg{Content: strings.Replace(redirectFor(m, ""), "state=", "state=X", 1)}, press("enter"))
	mustContain(t, screen(m), "does not belong to this Connect flow")
	if c.addedUser != "" {
		t.Fatal("a redirect with a wrong state listed vehicles")
	}
	m.conn.paste.SetValue("")
	const keyURL = "https://www.tesla.com/_ak/fleetco.app.car"
	m, cmd := updateCmd(update(t, m, tea.PasteMsg{Content: redirectFor(m, "&virtual_key_url="+keyURL)}), press("enter"))
	m = run(t, m, cmd)
	if c.addedUser != "u-new" || c.keyTo != keyURL {
		t.Fatalf("AddUser(%q, %q), want u-new and the returned key URL", c.addedUser, c.keyTo)
	}
	mustContain(t, screen(m), "New vehicle 1 of 1: New Model Y", "Has the owner installed the key")
	if got, err := qrtest.Decode(qrtest.ScreenImage(qrtest.AsShown(m.View().Content, colorprofile.TrueColor), qrtest.Dark, 4)); err != nil || got != keyURL {
		t.Errorf("install QR decodes to %q, %v; want %q", got, err, keyURL)
	}
	if len(c.confirmed) != 0 {
		t.Fatal("the new vehicle was read before the operator's word")
	}
	m, cmd = updateCmd(m, press("y"))
	m = run(t, m, cmd)
	if len(c.confirmed) != 1 {
		t.Errorf("confirmed reads = %d, want exactly 1", len(c.confirmed))
	}
	mustContain(t, screen(m), "key installed: the read confirmed it")
	m = update(t, m, press("enter"))
	mustContain(t, screen(m), "Added 1 vehicles:", "New Model Y: key installed")
	m = update(t, m, press("enter"))
	if m.focus != focusList || lineWith(screen(m), "New Model Y") == "" {
		t.Errorf("after the onboarding the table does not list the new vehicle:\n%s", screen(m))
	}
}

func TestConnectPaneSkipAndCancel(t *testing.T) {
	m, c := openPane(t, 130, 50, Options{})
	m, cmd := updateCmd(update(t, m, tea.PasteMsg{Content: redirectFor(m, "")}), press("enter"))
	m = run(t, m, cmd)
	m = update(t, m, press("n"))
	mustContain(t, screen(m), "skipped: not read")
	if len(c.confirmed) != 0 || len(c.released) != 1 {
		t.Errorf("skip: confirmed %v, released %v; want no read and the vehicle released", c.confirmed, c.released)
	}
	m, _ = openPane(t, 130, 50, Options{})
	m = update(t, m, press("esc"))
	if m.focus != focusList {
		t.Errorf("esc left focus %v, want the table", m.focus)
	}
}

func TestConnectPaneDenied(t *testing.T) {
	m, c := openPane(t, 130, 50, Options{})
	deny := fmt.Sprintf("http://127.0.0.1:1/callback?error=access_denied&error_description=User+denied+access&state=%s", m.conn.flow.State())
	m = update(t, m, tea.PasteMsg{Content: deny}, press("enter"))
	mustContain(t, screen(m), "User denied access")
	if c.addedUser != "" {
		t.Error("a denied redirect listed vehicles")
	}
}

func TestConnectKeyHiddenWhenReadOnly(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{ReadOnly: true, Connector: &fakeConnector{}})
	if strings.Contains(screen(m), "add vehicles") {
		t.Errorf("read-only help offers to add vehicles")
	}
	if _, cmd := m.Update(press("a")); cmd != nil {
		t.Errorf("a in read-only started the onboarding")
	}
}
