package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
)

// row is one vehicle prepared for drawing: its text cleaned once, when the data arrives, so that View only formats the
// cells that change with the clock.
type row struct {
	e                       fleet.Entry
	name, vin, model, badge string
	haystack                string // lower-case text the filter searches
	readyAt                 time.Time
	noRead                  bool // asleep legacy: no next read
}

func newRow(e fleet.Entry, iv policy.Intervals) row {
	r := row{
		e:     e,
		name:  Clean(e.Name),
		vin:   Clean(e.VIN),
		model: Clean(e.Model) + " " + strconv.Itoa(e.Year),
		badge: badgeLabel(e.Badge),
	}
	r.haystack = strings.ToLower(strings.Join([]string{r.name, r.vin, r.model, e.Badge.String()}, "\x00"))
	r.readyAt, r.noRead = readyAt(e, iv)
	return r
}

// readyAt is the moment from which a read is allowed, whatever the clock says now: zero when never read. With clock
// skew (a last read in the future) the rules count the read as "now", so the read stays refused until exactly
// last+interval, which is what this returns.
func readyAt(e fleet.Entry, iv policy.Intervals) (time.Time, bool) {
	if e.Badge == policy.Legacy && e.Asleep {
		return time.Time{}, true
	}
	if e.LastRead.IsZero() {
		return time.Time{}, false
	}
	return e.LastRead.Add(iv.Of(e.Badge)), false
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

func newReadyClock(rows []row) readyClock {
	c := make(readyClock, 0, len(rows))
	for i := range rows {
		if !rows[i].noRead {
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
