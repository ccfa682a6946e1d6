package ui

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
	"fleetkey/ui/state"
)

// chunkRows is how many rows a chunk of a Rows holds: a change copies the chunks it touches, not the table.
const chunkRows = 256

// Rows is one state of the fleet's table: every vehicle's row, their badge counts and ready clocks. A Rows is never
// changed once made, so every console showing the fleet (each of serve's sessions) shares one; a change makes a new
// Rows that shares every chunk it does not touch (see with). Each console keeps its own order, filter and cursor
// (see list).
type Rows struct {
	chunks  [][]row
	n       int
	ids     []int32           // the rows in the order of their ids, to find a vehicle's row; shared until a listing
	stops   map[string]string // vehicle id → why its reads are stopped, for the few that are
	counts  [4]int            // by badge
	ready   clock             // the readyAt of every row with a next read
	unknown clock             // the same, of the unknown vehicles, for R
	limits  clock             // the Retry-After of every rate-limited row: when its state ends
	iv      policy.Intervals
}

// NewRows prepares entries at now, the clock their states are judged at.
func NewRows(entries []fleet.Entry, iv policy.Intervals, now time.Time) *Rows {
	return buildRows(entries, iv, now, nil)
}

// listed is the Rows of a new listing after s: a vehicle whose answer is still unsaved stays held since when it was,
// as a listing does not say (only the scheduler's news of the save does).
func (s *Rows) listed(entries []fleet.Entry, now time.Time) *Rows {
	var held map[string]int64
	for _, c := range s.chunks {
		for i := range c {
			if c[i].unsavedAt != 0 {
				if held == nil {
					held = map[string]int64{}
				}
				held[c[i].id] = c[i].unsavedAt
			}
		}
	}
	return buildRows(entries, s.iv, now, held)
}

// buildRows is NewRows with the vehicles held since their time in held.
func buildRows(entries []fleet.Entry, iv policy.Intervals, now time.Time, held map[string]int64) *Rows {
	s := &Rows{n: len(entries), ids: make([]int32, len(entries)), stops: map[string]string{}, iv: iv}
	urls := map[string]string{} // the key URLs, kept once: most fleets have one or two
	for i, e := range entries {
		if i%chunkRows == 0 {
			s.chunks = append(s.chunks, make([]row, 0, min(chunkRows, len(entries)-i)))
		}
		c := &s.chunks[len(s.chunks)-1]
		*c = append(*c, newRow(e, iv, now, when(held[e.ID]), intern(urls, e.KeyURL)))
		s.ids[i] = int32(i)
		if e.Record.Stopped != "" {
			s.stops[e.ID] = e.Record.Stopped
		}
	}
	slices.SortFunc(s.ids, func(a, b int32) int { return strings.Compare(s.row(a).id, s.row(b).id) })
	for i := range s.n {
		s.count(s.row(int32(i)), 1)
	}
	s.ready.sort()
	s.unknown.sort()
	s.limits.sort()
	return s
}

// intern returns the copy of s kept in m.
func intern(m map[string]string, s string) string {
	if k, ok := m[s]; ok {
		return k
	}
	m[s] = s
	return s
}

// Len is the number of vehicles.
func (s *Rows) Len() int { return s.n }

func (s *Rows) row(i int32) *row { return &s.chunks[i/chunkRows][i%chunkRows] }

// byID is the row of vehicle id.
func (s *Rows) byID(id string) (*row, bool) {
	i, ok := s.indexOf(id)
	if !ok {
		return nil, false
	}
	return s.row(i), true
}

// indexOf is the index of vehicle id's row, found by binary search. With two vehicles of one id (a config error
// elsewhere refused), it finds one of them.
func (s *Rows) indexOf(id string) (int32, bool) {
	at, ok := slices.BinarySearchFunc(s.ids, id, func(i int32, id string) int { return strings.Compare(s.row(i).id, id) })
	if !ok {
		return 0, false
	}
	return s.ids[at], true
}

// count adds the row to the counts and clocks (d = 1), or takes it out (d = -1). NewRows sorts the clocks once at
// the end; with keeps them sorted.
func (s *Rows) count(r *row, d int) {
	s.counts[r.badge()] += d
	edit := func(c *clock, v int64) {
		switch {
		case d < 0:
			c.remove(v)
		case c.sorted: // with: keep it sorted
			c.insert(v)
		default:
			c.vals = append(c.vals, v)
		}
	}
	if !r.noRead {
		edit(&s.ready, r.readyAt)
		if r.badge() == policy.Unknown {
			edit(&s.unknown, r.readyAt)
		}
	}
	if r.state == state.Limited {
		edit(&s.limits, r.notBefore)
	}
}

// rowChange is one vehicle's new data for with.
type rowChange struct {
	e       fleet.Entry
	unsaved bool // its last answer could not be saved
}

// with returns the Rows after the changes, made at now, and the rows they changed. Vehicles not in the table are
// left out (they arrive with the next listing). Only the chunks and clocks the changes touch are copied.
func (s *Rows) with(changes []rowChange, now time.Time) (*Rows, []int32) {
	if len(changes) == 0 {
		return s, nil
	}
	n := *s
	n.chunks = slices.Clone(s.chunks)
	n.ready, n.unknown, n.limits = s.ready.clone(), s.unknown.clone(), s.limits.clone()
	copied, stopsCopied := map[int32]bool{}, false
	var changed []int32
	for _, c := range changes {
		i, ok := s.indexOf(c.e.ID)
		if !ok {
			continue
		}
		if why := c.e.Record.Stopped; n.stops[c.e.ID] != why {
			if !stopsCopied {
				n.stops, stopsCopied = maps.Clone(s.stops), true
			}
			n.stops[c.e.ID] = why
			if why == "" {
				delete(n.stops, c.e.ID)
			}
		}
		if ch := i / chunkRows; !copied[ch] {
			n.chunks[ch], copied[ch] = slices.Clone(s.chunks[ch]), true
		}
		old := n.row(i)
		n.count(old, -1)
		since := time.Time{}
		if c.unsaved {
			since = when(old.unsavedAt)
			if since.IsZero() {
				since = now
			}
		}
		*old = newRow(c.e, s.iv, now, since, old.keyURLFor(c.e.KeyURL))
		n.count(old, 1)
		if !slices.Contains(changed, i) {
			changed = append(changed, i)
		}
	}
	return &n, changed
}

// keyURLFor is u, sharing the row's copy when it is the same.
func (r *row) keyURLFor(u string) string {
	if u == r.keyURL {
		return r.keyURL
	}
	return u
}

// clock holds times in order, to count how many are at or before a moment. It is kept in parts of at most
// 2*clockPart values, so the Rows after a change copy the part headers and the one part the change touches, not
// every time (8 bytes a vehicle, 0.8 MB at 100 000). NewRows appends to vals, then sort splits them into parts.
type clock struct {
	vals   []int64
	parts  [][]int64 // in order, none empty; shared between Rows, so never written in place
	sorted bool
}

const clockPart = 512

func (c *clock) sort() {
	slices.Sort(c.vals)
	for v := c.vals; len(v) > 0; v = v[min(clockPart, len(v)):] {
		c.parts = append(c.parts, slices.Clip(v[:min(clockPart, len(v))]))
	}
	c.vals, c.sorted = nil, true
}

// clone is a clock that the parts are shared with: inserts and removes copy the part they change.
func (c clock) clone() clock { return clock{parts: slices.Clone(c.parts), sorted: c.sorted} }

// part is the index of the first part whose last time is at or after v (len(parts) when none is).
func (c *clock) part(v int64) int {
	p, _ := slices.BinarySearchFunc(c.parts, v, func(part []int64, v int64) int {
		return cmp.Compare(part[len(part)-1], v)
	})
	return p
}

func (c *clock) insert(v int64) {
	p := c.part(v)
	if p == len(c.parts) {
		if p == 0 {
			c.parts = append(c.parts, []int64{v})
			return
		}
		p--
	}
	i, _ := slices.BinarySearch(c.parts[p], v)
	part := slices.Insert(slices.Clone(c.parts[p]), i, v)
	if len(part) <= 2*clockPart {
		c.parts[p] = part
		return
	}
	c.parts[p] = slices.Clip(part[:clockPart])
	c.parts = slices.Insert(c.parts, p+1, part[clockPart:])
}

func (c *clock) remove(v int64) {
	p := c.part(v)
	if p == len(c.parts) {
		return
	}
	i, ok := slices.BinarySearch(c.parts[p], v)
	switch {
	case !ok:
	case len(c.parts[p]) == 1:
		c.parts = slices.Delete(c.parts, p, p+1)
	default:
		c.parts[p] = slices.Delete(slices.Clone(c.parts[p]), i, i+1)
	}
}

// upTo counts the times at or before now.
func (c clock) upTo(now time.Time) int {
	t, n := now.UnixNano(), 0
	for _, part := range c.parts {
		if part[len(part)-1] > t {
			i, _ := slices.BinarySearch(part, t+1)
			return n + i
		}
		n += len(part)
	}
	return n
}

// between says a time lies in (from, to].
func (c clock) between(from, to time.Time) bool {
	return c.upTo(to) > c.upTo(from)
}
