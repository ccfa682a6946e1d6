package schedule

import (
	"container/heap"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// place is where an entry is in the scheduler.
type place int8

const (
	idle    place = iota // in no heap: not read automatically, or its gate never opens by itself
	waiting              // in the waiting heap: its gate opens at due
	ready                // in the ready heap: its gate is open
	busy                 // a read is being recorded or in flight
)

// entry is the scheduler's view of one target.
type entry struct {
	t       *Target       // replaced, never changed, by SetTargets
	rec     ledger.Record // the latest record the scheduler saw for the vehicle, lean (see lean)
	due     time.Time     // when waiting: the gate's opening plus jitter
	at      place
	index   int       // index in its heap; -1 in none
	step    uint64    // the Step that last started a read of it
	started time.Time // when that read started
	removed bool      // no longer a target
	pending []outcome // answers the store failed to save, oldest first: the entry is held until they are
	// heldUntil is the earliest next try after the ledger refused a read the scheduler's copy allowed.
	heldUntil time.Time
}

// lean returns r without its kept values: the scheduler decides by times, holds and the learned key, and the ledger
// keeps the values, so a copy of every vehicle's last reading is not held here (only an answer not saved yet is).
func lean(r ledger.Record) ledger.Record { return r.Lean() }

// lastRead returns the vehicle's last read: the later of the state's and the config's.
func (e *entry) lastRead() time.Time {
	return later(e.rec.ReadAt(), e.t.LastReadAt)
}

// dueFirst orders the waiting heap: the earliest opening gate first, then by id so runs are reproducible.
func dueFirst(a, b *entry) bool {
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.t.ID < b.t.ID
}

// oldestFirst orders the ready heap so the bucket is shared fairly: the vehicle read longest ago (never read first)
// goes first. The last read counts, not the last good data: a vehicle whose reads fail (asleep, say) would otherwise
// keep the oldest data and take every token.
func oldestFirst(a, b *entry) bool {
	la, lb := a.lastRead(), b.lastRead()
	if !la.Equal(lb) {
		return la.Before(lb)
	}
	return a.t.ID < b.t.ID
}

// entryHeap is a heap of entries that keeps each entry's index, so an entry can leave it from anywhere.
type entryHeap struct {
	items []*entry
	less  func(a, b *entry) bool
}

var _ heap.Interface = (*entryHeap)(nil)

// Len is the number of entries in the heap.
func (h *entryHeap) Len() int { return len(h.items) }

// Less orders the heap by its less function.
func (h *entryHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }

// Swap swaps two entries and their indexes.
func (h *entryHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}

// Push adds an entry; use heap.Push.
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(h.items)
	h.items = append(h.items, e)
}

// Pop removes the last entry; use heap.Pop.
func (h *entryHeap) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	e.index = -1
	return e
}

// peek returns the first entry, or nil.
func (h *entryHeap) peek() *entry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// opensAt returns when the gate opens for target t whose record is rec (see ledger.Record.NextRead, the one gate): ok is false
// when it never opens by itself (reads stopped, an asleep legacy vehicle). A learned Asleep does not close it: only a
// read can tell that the vehicle woke.
func (s *Scheduler) opensAt(t *Target, rec ledger.Record, now time.Time) (time.Time, bool) {
	return rec.NextRead(rec.Facts(t.Facts), later(t.LastReadAt, rec.ReadAt()), s.cfg.Intervals, now)
}

// unplace takes e out of its heap; it stays busy if it was. The caller holds s.mu.
func (s *Scheduler) unplace(e *entry) {
	switch e.at {
	case waiting:
		heap.Remove(&s.waiting, e.index)
	case ready:
		heap.Remove(&s.ready, e.index)
	}
	if e.at != busy {
		e.at = idle
	}
}

// schedule places e by its record at now: in the waiting heap at its gate's opening plus jitter when its badge is
// read automatically, else nowhere. A busy or removed entry is left alone; one holding unsaved answers is placed
// nowhere until they are saved. The caller holds s.mu.
func (s *Scheduler) schedule(e *entry, now time.Time) {
	if e.removed || e.at == busy {
		return
	}
	s.unplace(e)
	if len(e.pending) > 0 {
		return
	}
	at, ok := s.opensAt(e.t, e.rec, now)
	if !ok || !s.cfg.Auto[policy.BadgeOf(e.rec.Facts(e.t.Facts))] {
		return
	}
	e.due = later(at.Add(s.jitter()), e.heldUntil)
	if e.step == s.steps && !e.due.After(now) {
		e.due = now.Add(time.Nanosecond) // read in this Step already: never twice in one Step, whatever the rules
	}
	e.at = waiting
	heap.Push(&s.waiting, e)
}

// promote schedules the fresh entries and moves every entry whose due time has come to the ready heap.
// The caller holds s.mu.
func (s *Scheduler) promote(now time.Time) {
	for _, e := range s.fresh {
		s.schedule(e, now)
	}
	s.fresh = nil
	for e := s.waiting.peek(); e != nil && !e.due.After(now); e = s.waiting.peek() {
		heap.Pop(&s.waiting)
		e.at = ready
		heap.Push(&s.ready, e)
	}
}
