package ui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// randomChange is vehicle i of entries after a read at a random time, sometimes failed, rate-limited, stopped or
// unsaved, and sometimes with a new name: every key of the order can move.
func randomChange(rng *rand.Rand, entries []fleet.Entry, now time.Time) rowChange {
	e := entries[rng.IntN(len(entries))]
	e.LastRead = now.Add(-time.Duration(rng.IntN(9*3600)) * time.Second)
	e.Record = ledger.Record{UpdatedAt: now}
	switch rng.IntN(6) {
	case 0:
		e.Record.LastError, e.Record.ErrorKind, e.Record.LastErrorAt = "429", ledger.KindRateLimited, now
		e.Record.NotBefore = now.Add(time.Duration(rng.IntN(600)) * time.Second)
	case 1:
		e.Record.Stopped, e.Record.ErrorKind = "430", ledger.KindBilling
	case 2:
		e.Name = fmt.Sprintf("Renamed %d", rng.IntN(50))
	case 3:
		e.Badge = policy.Badges[rng.IntN(len(policy.Badges))]
	}
	return rowChange{e: e, unsaved: rng.IntN(8) == 0}
}

// wantOrder is the order and view a list sorting everything would have.
func wantOrder(l *list) (sorted, view []int32) {
	fresh := list{now: l.now, sort: l.sort}
	fresh.rows = l.rows
	fresh.setFilter(l.filter)
	fresh.resort()
	return fresh.sorted, fresh.view
}

// TestApplyMovesOnlyTheChangedRows: after any run of changes, one at a time or in bursts, the order and the filtered
// view that apply keeps are exactly those of sorting everything, for every sort and with and without a filter, and the
// selected vehicle stays selected while it is in view.
func TestApplyMovesOnlyTheChangedRows(t *testing.T) {
	for _, k := range []sortKey{byNextRead, byName, byBadge} {
		for _, filter := range []string{"", "depot 1", "limited", "keyless", "stopped"} {
			t.Run(fmt.Sprintf("%s/%q", k, filter), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(k), uint64(len(filter))))
				entries := bigFleet(500)
				l := newList(NewRows(entries, policy.DefaultIntervals(), testNow), testNow)
				l.setHeight(20)
				l.sort = k
				l.resort()
				l.setFilter(filter)
				for step := range 300 {
					now := testNow.Add(time.Duration(step) * time.Second)
					l.setNow(now)
					l.move(rng.IntN(7) - 3)
					id, had := l.selectedID()
					burst := make([]rowChange, 1+rng.IntN(4))
					for i := range burst {
						burst[i] = randomChange(rng, entries, now)
					}
					rows, changed := l.rows.with(burst, now)
					l.apply(rows, changed)
					sorted, view := wantOrder(&l)
					if !slices.Equal(l.sorted, sorted) || !slices.Equal(l.view, view) {
						t.Fatalf("step %d: the order after apply differs from sorting everything", step)
					}
					if r, ok := l.rows.byID(id); had && ok && (filter == "" || l.q.match(r, l.now)) {
						if got, _ := l.selectedID(); got != id {
							t.Fatalf("step %d: the selection moved from %s to %s", step, id, got)
						}
					}
				}
			})
		}
	}
}

// TestRowsAreShared: a change copies the chunk of the changed row and nothing the other rows hold, and the Rows it
// was made from is unchanged, so the consoles that still show it see no change under them.
func TestRowsAreShared(t *testing.T) {
	entries := bigFleet(3 * chunkRows)
	old := NewRows(entries, policy.DefaultIntervals(), testNow)
	e := entries[chunkRows+5]
	e.Name = "Changed"
	rows, changed := old.with([]rowChange{{e: e}}, testNow)
	if !slices.Equal(changed, []int32{chunkRows + 5}) {
		t.Fatalf("changed = %v, want [%d]", changed, chunkRows+5)
	}
	if got := old.row(chunkRows + 5).name(); got != entries[chunkRows+5].Name {
		t.Errorf("the old Rows' row is now named %q: a change wrote under a console that still shows it", got)
	}
	if got := rows.row(chunkRows + 5).name(); got != "Changed" {
		t.Errorf("the new Rows' row is named %q, want Changed", got)
	}
	for ch, same := range []bool{true, false, true} {
		if shared := &old.chunks[ch][0] == &rows.chunks[ch][0]; shared != same {
			t.Errorf("chunk %d shared = %v, want %v", ch, shared, same)
		}
	}
	if old.ready.upTo(testNow) != rows.ready.upTo(testNow) && e.LastRead.Equal(entries[chunkRows+5].LastRead) {
		t.Error("the ready clock changed for a change that moved no read")
	}
}

// TestFilterMatchesIDs: the filter finds a vehicle by its id, as the detail pane shows it.
func TestFilterMatchesIDs(t *testing.T) {
	m := filterTo(t, newTestModel(t, 100, 30, Options{}), "V3")
	if n := len(m.list.view); n != 1 || selectedName(m) != "Airport runner" {
		t.Errorf("/V3 shows %d rows, selected %q; want Airport runner (id v3) alone", n, selectedName(m))
	}
}

// TestReadResultKeepsHeld: the result of the console's own read does not clear a hold the scheduler's news set.
func TestReadResultKeepsHeld(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{Reader: &spyReader{}})
	e := testEntries()[1]
	m = update(t, m, changeMsg{change: fleet.Change{Entry: e, Unsaved: true}, ok: true})
	m = update(t, m, readDoneMsg{id: e.ID, entries: testEntries()})
	if r, _ := m.list.byID(e.ID); r == nil || r.hold() != "held" {
		t.Errorf("after its read's result the unsaved vehicle's NEXT READ is %q, want held", r.hold())
	}
}

// TestRowNextIsTheGate: the countdown a row shows is the gate's own answer (Entry.NextRead) at every clock, with
// reads recorded ahead of the clock (skew), reads not ended (reservations), Retry-Afters, sleep and stops together.
func TestRowNextIsTheGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	iv := policy.DefaultIntervals()
	around := func(before, after time.Duration) time.Time {
		if rng.IntN(3) == 0 {
			return time.Time{}
		}
		return testNow.Add(-before + time.Duration(rng.Int64N(int64(before+after))))
	}
	for i, e := range bigFleet(2000) {
		e.LastRead = around(9*time.Hour, 2*time.Hour)
		e.Record.ReservedAt = around(9*time.Hour, 2*time.Hour)
		e.Record.NotBefore = around(time.Hour, time.Hour)
		e.Asleep = rng.IntN(10) == 0
		if rng.IntN(20) == 0 {
			e.Record.Stopped = "430"
		}
		r := newRow(e, iv, testNow, time.Time{}, e.KeyURL)
		for _, now := range []time.Time{testNow, testNow.Add(-3 * time.Hour), testNow.Add(time.Minute)} {
			want, wantOK := e.NextRead(iv, now)
			got, ok := r.next(iv, now)
			if ok != wantOK || (want.After(now) || got.After(now)) && !got.Equal(want) {
				t.Fatalf("vehicle %d at %s: the row says next %s (%v), the gate %s (%v)\n%+v", i, now, got, ok, want, wantOK, e)
			}
		}
	}
}

// TestListingKeepsHeld: a listing says nothing of unsaved answers, so a vehicle held before it stays held, since the
// same time, in a console of its own and in the rows serve's sessions share.
func TestListingKeepsHeld(t *testing.T) {
	e := testEntries()[1]
	check := func(t *testing.T, rows *Rows) {
		t.Helper()
		r, _ := rows.byID(e.ID)
		if r == nil || r.hold() != "held" || r.unsavedAt != testNow.UnixNano() {
			t.Fatalf("after a listing the unsaved vehicle's row is %+v, want held since %s", r, testNow)
		}
	}
	t.Run("console", func(t *testing.T) {
		m := newTestModel(t, 100, 30, Options{})
		m = update(t, m, changeMsg{change: fleet.Change{Entry: e, Unsaved: true}, ok: true})
		m = update(t, m, changeMsg{change: fleet.Change{Entries: testEntries()}, ok: true})
		check(t, m.list.rows)
	})
	t.Run("shared", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		changes := make(chan fleet.Change)
		s := NewShared(ctx, testEntries(), policy.DefaultIntervals(), changes, func() time.Time { return testNow })
		feed := s.Subscribe(ctx)
		changes <- fleet.Change{Entry: e, Unsaved: true}
		changes <- fleet.Change{Entries: testEntries()}
		changes <- fleet.Change{} // passes once both are applied
		for {
			msg := waitFeed(feed.box)().(feedMsg)
			if len(msg.news) > 0 && msg.news[len(msg.news)-1].Entry.ID == "" && msg.news[len(msg.news)-1].Entries == nil {
				check(t, msg.rows)
				return
			}
		}
	})
}

// TestConfirmedReadKeepsHeld: the read that checks a new vehicle's key (the connect pane's) does not clear a hold
// either.
func TestConfirmedReadKeepsHeld(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{Reader: &spyReader{}})
	e := testEntries()[1]
	m = update(t, m, changeMsg{change: fleet.Change{Entry: e, Unsaved: true}, ok: true})
	m.conn.added, m.conn.outcome, m.conn.at = []fleet.Entry{e}, make([]string, 1), 0
	m = update(t, m, confirmedMsg{entry: e})
	if r, _ := m.list.byID(e.ID); r == nil || r.hold() != "held" {
		t.Errorf("after the connect pane's read the unsaved vehicle's NEXT READ is %q, want held", r.hold())
	}
}
