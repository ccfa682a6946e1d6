package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// testFleet is a real fleet over an in-memory store holding the test entries' history.
func testFleet(t *testing.T) (*fleet.Fleet, []fleet.Entry) {
	t.Helper()
	entries := testEntries()
	cfg := config.Config{Account: config.Account{Plan: "free"}, Intervals: policy.DefaultIntervals()}
	st := ledger.State{Vehicles: map[string]ledger.Record{}}
	for _, e := range entries {
		cfg.Vehicles = append(cfg.Vehicles, e.Vehicle)
		if !e.LastRead.IsZero() {
			st.Vehicles[e.ID] = ledger.Record{LastReadAt: e.LastRead}
		}
	}
	f := fleet.New(cfg, ledger.NewMemoryStore(st))
	got, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	return f, got
}

// run executes a command and feeds its message back, as the program would.
func run(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	return update(t, m, cmd())
}

func TestReadSpendsAndRefuses(t *testing.T) {
	f, entries := testFleet(t)
	clock := testNow
	m := newTestModel(t, 100, 30, Options{Entries: entries, Reader: f})
	m.opts.Clock = func() time.Time { return clock }
	m = update(t, m, press("/"))
	m = typeText(t, m, "spare")
	m = update(t, m, press("enter"))
	if row := lineWith(screen(m), "Spare Y"); !strings.Contains(row, "ready") {
		t.Fatalf("never-read Spare Y row = %q, want ready", row)
	}
	m = update(t, m, press("r")) // Spare Y is unknown: r asks before it spends the 8h read
	m, cmd := updateCmd(m, press("y"))
	m = run(t, m, cmd)
	mustContain(t, screen(m), "read v5: recorded")
	if row := lineWith(screen(m), "Spare Y"); !strings.Contains(row, "8h00m00s") {
		t.Errorf("after the read the row = %q, want 8h00m00s to go", row)
	}
	// A second r is refused by the model without a command: no read leaves before it is allowed.
	m, cmd = updateCmd(m, press("r"))
	if cmd != nil {
		t.Errorf("second r returned a command")
	}
	mustContain(t, screen(m), "v5: next read allowed in 8h00m00s")
}

func TestReadRefusedByFleetWhenFrameIsStale(t *testing.T) {
	f, entries := testFleet(t)
	m := newTestModel(t, 100, 30, Options{Entries: entries, Reader: f})
	// another console reads v5 first; this console's frame still shows it ready.
	if _, err := f.Read(context.Background(), "v5", testNow); err != nil {
		t.Fatal(err)
	}
	m = update(t, m, press("/"))
	m = typeText(t, m, "spare")
	m = update(t, m, press("enter"), press("r"))
	m, cmd := updateCmd(m, press("y"))
	m = run(t, m, cmd)
	mustContain(t, screen(m), "v5: next read allowed in 8h00m00s")
	if row := lineWith(screen(m), "Spare Y"); !strings.Contains(row, "8h00m00s") {
		t.Errorf("after the refusal the row = %q, want the other console's read shown", row)
	}
}

func updateCmd(m Model, msg tea.Msg) (Model, tea.Cmd) {
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}
