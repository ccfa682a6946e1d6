package ui

import (
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
	"fleetkey/ui/qr/qrtest"
)

// bgMsg is the terminal's answer to the background colour query.
func bgMsg(dark bool) tea.BackgroundColorMsg {
	if dark {
		return tea.BackgroundColorMsg{Color: color.RGBA{0x1E, 0x1E, 0x1E, 0xFF}}
	}
	return tea.BackgroundColorMsg{Color: color.RGBA{0xF5, 0xF5, 0xF5, 0xFF}}
}

// TestDetailQRScans takes the detail pane exactly as the console draws it, brings it down to the terminal's colour
// profile as Bubble Tea does, draws it in the terminal's theme and decodes it: both plans and a per-vehicle URL, dark
// and light backgrounds, colour on and NO_COLOR.
func TestDetailQRScans(t *testing.T) {
	urls := map[string]string{"free": freeURL, "enterprise": urlEnterprise, "per-vehicle": urlVehicle}
	for name, url := range urls {
		for _, dark := range []bool{true, false} {
			for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI, colorprofile.ASCII} {
				t.Run(fmt.Sprintf("%s dark=%v %v", name, dark, p), func(t *testing.T) {
					shown := detailShown(t, url, dark, p, false, 100, 30)
					th := map[bool]qrtest.Theme{true: qrtest.Dark, false: qrtest.Light}[dark]
					got, err := qrtest.Decode(qrtest.ScreenImage(shown, th, 4))
					if err != nil || got != url {
						t.Errorf("decode detail pane = %q, %v; want %q", got, err, url)
					}
				})
			}
		}
	}
}

// TestDetailQRInvertKey: without colour, on a light terminal that answered nothing (so the console assumed dark), the
// code does not scan until the user presses i.
func TestDetailQRInvertKey(t *testing.T) {
	for _, invert := range []bool{false, true} {
		shown := detailShown(t, freeURL, true, colorprofile.ASCII, invert, 100, 30)
		got, err := qrtest.Decode(qrtest.ScreenImage(shown, qrtest.Light, 4))
		if ok := err == nil && got == freeURL; ok != invert {
			t.Errorf("invert=%v on a light theme: decode = %q, %v; want scannable=%v", invert, got, err, invert)
		}
	}
}

// detailShown opens the first vehicle's detail with url as its key URL, as a terminal of that background and profile
// would receive it.
func detailShown(t *testing.T, url string, dark bool, p colorprofile.Profile, invert bool, w, h int) string {
	t.Helper()
	entries := testEntries()
	for i := range entries {
		if entries[i].KeyURL != "" {
			entries[i].KeyURL = url
		}
	}
	m := newTestModel(t, w, h, Options{Entries: entries, NoColour: p == colorprofile.ASCII})
	m = update(t, m, tea.ColorProfileMsg{Profile: p})
	if !invert { // no answer to the query: the console keeps its dark default unless the test says otherwise
		m = update(t, m, bgMsg(dark))
	}
	m = update(t, m, press("enter"))
	if invert {
		m = update(t, m, press("i"))
	}
	content := m.View().Content
	if !strings.Contains(screen(m), "\n"+url+"\n") {
		t.Fatalf("detail pane lacks the URL %q as a line of text:\n%s", url, screen(m))
	}
	return qrtest.AsShown(content, p)
}

func TestDetailInvertHiddenWithColour(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, tea.ColorProfileMsg{Profile: colorprofile.TrueColor}, press("enter"))
	if strings.Contains(screen(m), "invert") {
		t.Errorf("with colour the help offers invert, which would make the QR unscannable:\n%s", screen(m))
	}
	m = newTestModel(t, 100, 30, Options{NoColour: true})
	m = update(t, m, press("enter"))
	mustContain(t, screen(m), "i invert QR")
}

func TestCopyURLUsesOSC52(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, press("enter"))
	m, cmd := updateCmd(m, press("c"))
	if cmd == nil {
		t.Fatal("c returned no command")
	}
	if got := fmt.Sprint(cmd()); got != freeURL {
		t.Errorf("clipboard message = %q, want %q", got, freeURL)
	}
	mustContain(t, screen(m), "copied "+freeURL)
}

// TestDetailLiveData: values with their ages, a failed signal's last good value kept and marked, a never-good one
// shown as failed, the learned key and VIN with their source, and the data marked stale after a failed read.
func TestDetailLiveData(t *testing.T) {
	entries := testEntries()
	at := testNow.Add(-20 * time.Minute)
	e := &entries[4] // Spare Y: the read learned that its key is missing
	e.Badge = policy.Keyless
	e.Record = ledger.Record{
		Key: "missing", KeyAt: at, KeySource: "connectivitystatus-isdigitalkeypaired",
		VIN: e.VIN, VINAt: at,
		Reading: &ledger.Reading{At: at,
			Battery:  ledger.Value[float64]{Status: ledger.StatusOK, V: 61, Unit: "percent", UpdatedAt: at.Add(-time.Minute)},
			Range:    ledger.Value[float64]{Status: ledger.StatusOK, V: 310, Unit: "kilometers", UpdatedAt: at.Add(-3 * time.Hour)},
			Location: ledger.Value[ledger.Location]{Status: ledger.StatusError, Err: "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED"},
			Failures: map[string]string{"tractionbattery-range": "UPSTREAM:NO_RESPONSE"},
		},
		LastError: "smartcar 502 UPSTREAM:NO_RESPONSE", LastErrorAt: testNow.Add(-time.Minute),
	}
	m := newTestModel(t, 120, 40, Options{Entries: entries})
	m = update(t, m, press("enter"))
	s := screen(m)
	mustContain(t, s, "Data read 20m ago (stale: the last read failed)", "Battery   61% · 21m ago",
		"Range     310 km · 3h20m ago · kept: this read failed UPSTREAM:NO_RESPONSE",
		"No key    the virtual key is required for location",
		"Key       missing, learned 20m ago", "from the connectivitystatus-isdigitalkeypaired",
		"Error     smartcar 502 UPSTREAM:NO_RESPONSE 1m ago")
	golden.RequireEqual(t, s)
}
