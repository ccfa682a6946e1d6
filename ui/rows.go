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

// row is one vehicle prepared for drawing and ordering, made once when its data arrives and never changed after: rows
// live in a Rows snapshot that every console showing the fleet shares. It keeps what the table, the order and the
// filter need, 96 bytes and one string of its own; the detail pane loads the vehicle's whole entry, and why reads
// are stopped is kept by the Rows (few vehicles have a stop).
type row struct {
	id string
	// str is the name, VIN, make and model ("Model 3 2022"), cleaned and joined by NUL, then from hayAt what the
	// filter searches: the lower-cased name (nameLen bytes), VIN, model and id joined by NUL.
	str    string
	keyURL string // the URL that installs the virtual key; "" for a legacy vehicle (shared, not copied)
	// The times, in Unix nanoseconds; 0 is none. readyAt is the moment from which a read is allowed (see readyAt);
	// floor is the part of it that no clock skew moves: a reservation's end and a Retry-After.
	lastRead, readyAt, floor, notBefore, unsavedAt int64
	hayAt, nameLen                                 int32
	rank                                           uint8       // the badge, as policy.Badge
	state                                          state.State // its state when the row was made
	after                                          state.State // its state once notBefore passes, when state is Limited
	noRead                                         bool        // no next read by itself: an asleep legacy vehicle, stopped reads, an unsaved answer
	stopped                                        bool        // reads are stopped (billing, a rejected request); Rows.stops says why
}

// newRow prepares e; unsavedAt is when its last answer could not be saved, zero when it was. now is the clock its
// state is judged at; a rate-limit's end is judged later by stateAt.
func newRow(e fleet.Entry, iv policy.Intervals, now, unsavedAt time.Time, keyURL string) row {
	name, vin := safe.Clean(e.Name), safe.Clean(e.VIN)
	model := safe.Clean(e.Model) + " " + strconv.Itoa(e.Year)
	lname := strings.ToLower(name)
	text := name + "\x00" + vin + "\x00" + safe.Clean(e.Make) + "\x00" + model + "\x01"
	r := row{
		id:        e.ID,
		str:       text + lname + "\x00" + strings.ToLower(vin+"\x00"+model+"\x00"+safe.Clean(e.ID)),
		hayAt:     int32(len(text)),
		keyURL:    keyURL,
		lastRead:  nanos(e.LastRead),
		notBefore: nanos(e.Record.NotBefore),
		unsavedAt: nanos(unsavedAt),
		nameLen:   int32(len(lname)),
		rank:      uint8(e.Badge),
		stopped:   e.Record.Stopped != "",
	}
	r.state = state.Of(e.Condition(now), !unsavedAt.IsZero())
	r.after = state.Of(e.Condition(e.Record.NotBefore), !unsavedAt.IsZero())
	at, floor, noRead := readyAt(e, iv)
	r.readyAt, r.floor, r.noRead = nanos(at), nanos(floor), noRead || !unsavedAt.IsZero()
	return r
}

// nanos is t in Unix nanoseconds, 0 for the zero time; when is its inverse.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func when(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// field is the i-th of the row's text: 0 name, 1 VIN, 2 make, 3 model.
func (r *row) field(i int) string {
	s := r.str[:r.hayAt-1]
	for range i {
		_, s, _ = strings.Cut(s, "\x00")
	}
	f, _, _ := strings.Cut(s, "\x00")
	return f
}

func (r *row) name() string  { return r.field(0) }
func (r *row) vin() string   { return r.field(1) }
func (r *row) brand() string { return r.field(2) }
func (r *row) model() string { return r.field(3) }

// lname is the lower-cased name, the order's key after the sort's own.
func (r *row) lname() string { return r.str[r.hayAt : r.hayAt+r.nameLen] }

// hay is what the filter searches.
func (r *row) hay() string { return r.str[r.hayAt:] }

func (r *row) unsaved() bool { return r.unsavedAt != 0 }

func (r *row) badge() policy.Badge { return policy.Badge(r.rank) }

// stateAt is the row's state at now: a rate limit ends when its Retry-After passes.
func (r *row) stateAt(now time.Time) state.State {
	if r.state == state.Limited && !now.Before(when(r.notBefore)) {
		return r.after
	}
	return r.state
}

// next is when the row's next read is allowed, as the rules say at now (Entry.NextRead); ok is false when there is
// none (see readyAt). A read recorded ahead of now (clock skew) counts from now, as the rules count it; a
// reservation and a Retry-After (the floor) count as they are.
func (r *row) next(iv policy.Intervals, now time.Time) (at time.Time, ok bool) {
	if r.noRead {
		return time.Time{}, false
	}
	if n := now.UnixNano(); r.lastRead > n {
		return when(max(n+int64(iv.Of(r.badge())), r.floor)), true
	}
	return when(r.readyAt), true
}

// hold is the NEXT READ cell of a vehicle that has no next read of its own accord, else "".
func (r *row) hold() string {
	switch {
	case r.stopped:
		return "stopped"
	case r.unsaved():
		return "held"
	}
	return ""
}

// readyAt is the moment from which a read is allowed, whatever the clock says now: zero when never read, and never
// before a 429's Retry-After, a backoff or a read not ended yet. With clock skew (a last read in the future) the
// rules count the read as "now", so the read stays refused until exactly last+interval, which is what this returns.
// The second result is the floor: the part no clock skew moves (a read not ended, a Retry-After). The third says
// there is no next read at all: an asleep legacy vehicle, or stopped reads (the same gate as Entry.NextRead).
func readyAt(e fleet.Entry, iv policy.Intervals) (at, floor time.Time, none bool) {
	if (e.Badge == policy.Legacy && e.Asleep) || e.Record.Stopped != "" {
		return time.Time{}, time.Time{}, true
	}
	if r := e.Record.ReservedAt; !r.IsZero() {
		floor = r.Add(iv.Of(e.Badge))
	}
	if e.Record.NotBefore.After(floor) {
		floor = e.Record.NotBefore
	}
	if !e.LastRead.IsZero() {
		at = e.LastRead.Add(iv.Of(e.Badge))
	}
	if floor.After(at) {
		at = floor
	}
	return at, floor, false
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

// compareRows orders two rows by key, then by name and id so the order is total: every row has one place, which a
// binary search finds. It uses only keys made with the row, so it allocates nothing.
func compareRows(a, b *row, k sortKey) int {
	c := 0
	switch k {
	case byNextRead:
		c = compareNext(a, b)
	case byBadge:
		if c = badgeRank(a.badge()) - badgeRank(b.badge()); c == 0 {
			c = compareNext(a, b)
		}
	}
	if c == 0 {
		c = strings.Compare(a.lname(), b.lname())
	}
	if c == 0 {
		c = strings.Compare(a.id, b.id)
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
	switch {
	case a.readyAt < b.readyAt:
		return -1
	case a.readyAt > b.readyAt:
		return 1
	}
	return 0
}
