package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
	"fleetkey/ui/safe"
	"fleetkey/ui/state"
)

// row is one vehicle prepared for drawing: its text cleaned once, when the data arrives, so that View only formats the
// cells that change with the clock.
type row struct {
	e                       fleet.Entry
	name, vin, model, badge string
	haystack                string // lower-case text the filter searches
	readyAt                 time.Time
	noRead                  bool        // no next read by itself: an asleep legacy vehicle, stopped reads, an unsaved answer
	unsaved                 bool        // its last answer could not be saved: held from reads until it is
	state                   state.State // at the list's clock when the row was made; the haystack holds its word
}

// newRow prepares e at now; unsaved says its last answer could not be saved.
func newRow(e fleet.Entry, iv policy.Intervals, now time.Time, unsaved bool) row {
	r := row{
		e:       e,
		name:    safe.Clean(e.Name),
		vin:     safe.Clean(e.VIN),
		model:   safe.Clean(e.Model) + " " + strconv.Itoa(e.Year),
		badge:   badgeLabel(e.Badge),
		unsaved: unsaved,
	}
	r.state = state.Of(e.Condition(now), r.unsaved)
	r.haystack = strings.ToLower(strings.Join([]string{r.name, r.vin, r.model, e.Badge.String(),
		r.state.String(), r.state.Cell(), r.hold()}, "\x00"))
	r.readyAt, r.noRead = readyAt(e, iv)
	r.noRead = r.noRead || r.unsaved
	return r
}

// hold is the NEXT READ cell of a vehicle that has no next read of its own accord, else "".
func (r *row) hold() string {
	switch {
	case r.e.Record.Stopped != "":
		return "stopped"
	case r.unsaved:
		return "held"
	}
	return ""
}

// readyAt is the moment from which a read is allowed, whatever the clock says now: zero when never read, and never
// before a 429's Retry-After or a backoff. With clock skew (a last read in the future) the rules count the read as
// "now", so the read stays refused until exactly last+interval, which is what this returns. The second result says
// there is no next read at all: an asleep legacy vehicle, or stopped reads (the same gate as Entry.NextRead).
func readyAt(e fleet.Entry, iv policy.Intervals) (time.Time, bool) {
	if (e.Badge == policy.Legacy && e.Asleep) || e.Record.Stopped != "" {
		return time.Time{}, true
	}
	var at time.Time
	if !e.LastRead.IsZero() {
		at = e.LastRead.Add(iv.Of(e.Badge))
	}
	if e.Record.NotBefore.After(at) {
		at = e.Record.NotBefore
	}
	return at, false
}

// sortKey is an order of the table; s cycles through them.
type sortKey int

const (
	byNextRead sortKey = iota
	byName
	byBadge
	sortKeys
)

var sortNames = [...]string{byNextRead: "next read", byName: "name", byBadge: "badge"}

func (k sortKey) String() string { return sortNames[k] }

// badgeRank orders badges as the header lists them.
func badgeRank(b policy.Badge) int { return slices.Index(policy.Badges, b) }

// compareRows orders two rows by key, then by name and id so the order is total and stable across refreshes.
func compareRows(a, b *row, k sortKey) int {
	c := 0
	switch k {
	case byNextRead:
		c = compareNext(a, b)
	case byBadge:
		if c = badgeRank(a.e.Badge) - badgeRank(b.e.Badge); c == 0 {
			c = compareNext(a, b)
		}
	}
	if c == 0 {
		c = strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
	}
	if c == 0 {
		c = strings.Compare(a.e.ID, b.e.ID)
	}
	return c
}

// compareNext puts the soonest read first and vehicles with no next read last.
func compareNext(a, b *row) int {
	if a.noRead != b.noRead {
		if a.noRead {
			return 1
		}
		return -1
	}
	return a.readyAt.Compare(b.readyAt)
}

// readyClock counts the vehicles whose read is allowed at a given time in O(log n): it holds every readyAt in order.
type readyClock []time.Time

func newReadyClock(rows []row) readyClock { return newReadyClockOf(rows, nil) }

// newReadyClockOf is the ready clock of the rows that only accepts; nil accepts every row.
func newReadyClockOf(rows []row, only func(*row) bool) readyClock {
	var c readyClock
	for i := range rows {
		if !rows[i].noRead && (only == nil || only(&rows[i])) {
			c = append(c, rows[i].readyAt)
		}
	}
	slices.SortFunc(c, time.Time.Compare)
	return c
}

// ready returns how many vehicles may be read at now.
func (c readyClock) ready(now time.Time) int {
	n, _ := slices.BinarySearchFunc(c, now, func(t, now time.Time) int {
		if t.After(now) {
			return 1
		}
		return -1
	})
	return n
}
