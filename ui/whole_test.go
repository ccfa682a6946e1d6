package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
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

// newerRecord keeps a newer whole record of the fixture's vehicle 4 in l (battery 72%) and returns the vehicle's
// news of it, lean, as the scheduler sends it.
func newerRecord(t *testing.T, entries []fleet.Entry, l ledger.Ledger) fleet.Entry {
	t.Helper()
	at := testNow.Add(-5 * time.Minute)
	rec := ledger.Record{LastReadAt: at, UpdatedAt: at, Reading: &ledger.Reading{At: at,
		Battery: ledger.Value[float64]{Status: ledger.StatusOK, V: 72, Unit: "percent", UpdatedAt: at}}}
	e := entries[4]
	if err := ledger.Put(l, ledger.State{Vehicles: map[string]ledger.Record{e.ID: rec}}, testNow); err != nil {
		t.Fatal(err)
	}
	e.Record, e.LastRead = rec.Lean(), at
	return e
}

// TestNewsDuringALoad: news of the vehicle that comes while its whole record is loading is newer than that load,
// which is loaded again instead of shown.
func TestNewsDuringALoad(t *testing.T) {
	entries, f, l := leanFixture(t)
	m := newTestModel(t, 120, 40, Options{Entries: entries, Records: f})
	m = filterTo(t, m, "spare")
	m = update(t, m, press("enter"))
	id := entries[4].ID
	if m.whole.loading != id {
		t.Fatalf("the pane loads %q, want %q", m.whole.loading, id)
	}
	e, err := f.Entry(id) // the load, done before the read below was saved
	m = update(t, m, changeMsg{change: fleet.Change{Entry: newerRecord(t, entries, l)}, ok: true})
	m, cmd := updateCmd(m, recordMsg{id: id, e: e, err: err})
	m = runAll(t, m, cmd)
	mustContain(t, screen(m), "Battery   72%")
}

// TestLostNewsReloads: a console that missed news (its mailbox keeps maxNews) loads the detail pane's record again:
// the missed news may have been of that vehicle.
func TestLostNewsReloads(t *testing.T) {
	entries, f, l := leanFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan fleet.Change)
	s := NewShared(ctx, entries, policy.DefaultIntervals(), changes, func() time.Time { return testNow })
	feed := s.Subscribe(ctx)
	m := newTestModel(t, 120, 40, Options{Feed: feed, Records: f})
	m = filterTo(t, m, "spare")
	m, cmd := updateCmd(m, press("enter"))
	m = runAll(t, m, cmd)
	mustContain(t, screen(m), "Battery   61%")
	changes <- fleet.Change{Entry: newerRecord(t, entries, l)}
	for range maxNews + 1 {
		changes <- fleet.Change{}
	}
	changes <- fleet.Change{} // passes once the news before it is in the mailbox
	msg := waitFeed(feed.box)().(feedMsg)
	if !msg.lost {
		t.Fatalf("a mail of %d news does not say news was lost", len(msg.news))
	}
	m = update(t, m, msg)
	id := entries[4].ID
	if m.whole.loading != id {
		t.Fatalf("after lost news the pane loads %q, want %q again", m.whole.loading, id)
	}
	e, err := f.Entry(id)
	m = update(t, m, recordMsg{id: id, e: e, err: err})
	mustContain(t, screen(m), "Battery   72%")
}

// TestFeedWithoutRecords: a console on shared rows with nothing to load whole records from says the kept values are
// not available, and does not say it is loading them for ever.
func TestFeedWithoutRecords(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewShared(ctx, testEntries(), policy.DefaultIntervals(), make(chan fleet.Change), func() time.Time { return testNow })
	m := newTestModel(t, 120, 40, Options{Feed: s.Subscribe(ctx)})
	m = update(t, filterTo(t, m, "spare"), press("enter"))
	mustContain(t, screen(m), "the kept values are not available here")
}
