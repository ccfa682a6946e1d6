package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
)

// leanFixture keeps a whole record of vehicle 4 of testEntries in a SQLite ledger and returns the entries with that
// vehicle's lean copy, as a fleet's rows hold it, and the fleet over that ledger.
func leanFixture(t *testing.T) ([]fleet.Entry, *fleet.Fleet, ledger.Ledger) {
	t.Helper()
	l, err := ledger.OpenSQLite(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	entries := testEntries()
	at := testNow.Add(-20 * time.Minute)
	whole := ledger.Record{LastReadAt: at, UpdatedAt: at, Reading: &ledger.Reading{At: at,
		Battery: ledger.Value[float64]{Status: ledger.StatusOK, V: 61, Unit: "percent", UpdatedAt: at}}}
	id := entries[4].ID
	if err := ledger.Put(l, ledger.State{Vehicles: map[string]ledger.Record{id: whole}}, testNow); err != nil {
		t.Fatal(err)
	}
	entries[4].Record, entries[4].LastRead = whole.Lean(), at
	vehicles := make([]fleet.Vehicle, len(entries))
	for i, e := range entries {
		vehicles[i] = e.Vehicle
	}
	return entries, fleet.New(config.Config{Vehicles: vehicles}, l), l
}

// TestDetailLoadsTheWholeRecord: a row holds only what the table needs, and the detail pane loads the vehicle's whole
// entry from the fleet when it opens, saying so until it has it.
func TestDetailLoadsTheWholeRecord(t *testing.T) {
	entries, f, _ := leanFixture(t)
	m := newTestModel(t, 120, 40, Options{Entries: entries, Records: f})
	m = filterTo(t, m, "spare")
	m, cmd := updateCmd(m, press("enter"))
	mustContain(t, screen(m), "Data loading the kept values…")
	if cmd == nil {
		t.Fatal("opening the detail of a lean row asked for nothing")
	}
	m = runAll(t, m, cmd)
	s := screen(m)
	mustContain(t, s, "Data read 20m ago", "Battery   61% · 20m ago")
	if strings.Contains(s, "loading the kept values") {
		t.Errorf("the detail still says it is loading once the record came:\n%s", s)
	}
	if m = update(t, m, tickAt(time.Second)); m.whole.loading != "" {
		t.Errorf("a whole record of %s was asked for again once the row had it", m.whole.loading)
	}
}

// TestDetailRecordLoadFails: a ledger that cannot answer is said in the pane, not asked again at every message, and
// asked again when the pane is opened again.
func TestDetailRecordLoadFails(t *testing.T) {
	entries, f, l := leanFixture(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, 120, 40, Options{Entries: entries, Records: f})
	m = filterTo(t, m, "spare")
	m, cmd := updateCmd(m, press("enter"))
	m = runAll(t, m, cmd)
	mustContain(t, screen(m), "cannot load the kept values: ")
	if m = update(t, m, tickAt(time.Second)); m.whole.loading != "" {
		t.Error("a failed load was tried again at the next tick")
	}
	if m = update(t, m, press("esc"), press("enter")); m.whole.loading != entries[4].ID {
		t.Errorf("opening the pane again loads %q, want %q again", m.whole.loading, entries[4].ID)
	}
}
