package ledger

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a Ledger that lives in memory only, for the demo fleet, which must never write the user's disk, and
// for tests. Its process is the only one that sees it, so its lease is always granted to the first holder that asks.
type MemoryStore struct {
	mu      sync.Mutex
	state   State
	seqs    map[string]uint64 // the cursor at each record's last change
	seq     uint64
	lease   Lease
	listing Listing
	seen    map[string]time.Time
}

var _ Ledger = (*MemoryStore)(nil)

// NewMemoryStore returns a ledger holding a copy of initial.
func NewMemoryStore(initial State) *MemoryStore {
	m := &MemoryStore{state: initial.clone(), seqs: map[string]uint64{}, seen: map[string]time.Time{}}
	for id := range m.state.Vehicles {
		m.seq++
		m.seqs[id] = m.seq
	}
	return m
}

// Load returns a copy of the stored state; it never fails.
func (m *MemoryStore) Load() (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.clone(), nil
}

// Lean returns a lean copy of every record; it never fails.
func (m *MemoryStore) Lean() (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := State{Vehicles: make(map[string]Record, len(m.state.Vehicles))}
	for id, r := range m.state.Vehicles {
		out.Vehicles[id] = r.Lean()
	}
	return out, nil
}

// Get returns the records of ids; it never fails.
func (m *MemoryStore) Get(ids []string) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pick(ids), nil
}

// pick returns the records of ids. The caller holds m.mu.
func (m *MemoryStore) pick(ids []string) State {
	out := State{Vehicles: make(map[string]Record, len(ids))}
	for _, id := range ids {
		if r, ok := m.state.Vehicles[id]; ok {
			out.Vehicles[id] = r
		}
	}
	return out
}

// Update runs fn under the store's mutex at now (see Ledger).
func (m *MemoryStore) Update(ids []string, now time.Time, fn func(State, time.Time) State) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := fn(m.pick(ids), now)
	if err := onlyIDs(next, ids); err != nil {
		return State{}, err
	}
	if _, ok := next.Vehicles[""]; ok { // before any write: a failed Update changes nothing
		return State{}, errors.New("update: empty vehicle id")
	}
	if m.state.Vehicles == nil {
		m.state.Vehicles = map[string]Record{}
	}
	for id, r := range next.Vehicles {
		if cur, ok := m.state.Vehicles[id]; ok {
			r = cur.Merge(r)
		}
		m.seq++
		m.state.Vehicles[id], m.seqs[id] = r, m.seq
	}
	return m.pick(ids), nil
}

// Cursor returns the position of the latest change.
func (m *MemoryStore) Cursor() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq, nil
}

// Since returns the records changed after cursor.
func (m *MemoryStore) Since(cursor uint64) (State, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := State{Vehicles: map[string]Record{}}
	if cursor >= m.seq {
		return out, m.seq, nil
	}
	for id, s := range m.seqs {
		if s > cursor {
			out.Vehicles[id] = m.state.Vehicles[id]
		}
	}
	return out, m.seq, nil
}

// Lease grants the lease as a ledger shared by several processes would (see Ledger).
func (m *MemoryStore) Lease(holder string, ttl time.Duration, now time.Time) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	free := m.lease.Holder == "" || !now.Before(m.lease.Until)
	switch {
	case ttl <= 0 && m.lease.Holder == holder:
		m.lease = Lease{}
	case ttl > 0 && (free || m.lease.Holder == holder):
		m.lease = Lease{Holder: holder, Until: now.Add(ttl)}
	}
	l := m.lease
	if !now.Before(l.Until) {
		l = Lease{} // expired: nobody schedules
	}
	l.Mine = l.Holder == holder && l.Holder != ""
	return l, nil
}

// PutListing keeps a page of the listing (see Ledger).
func (m *MemoryStore) PutListing(items []Listed, at time.Time, final bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at.After(m.listing.At) {
		m.listing.At, m.listing.Complete = at, false
	}
	for _, it := range items {
		// As the databases order it: the refresh that saw a vehicle last, newest first, then the order it saw them in.
		m.listing.Items = slices.DeleteFunc(m.listing.Items, func(l Listed) bool { return l.ID == it.ID })
		i := slices.IndexFunc(m.listing.Items, func(l Listed) bool { return m.seen[l.ID].Before(at) })
		if i < 0 {
			i = len(m.listing.Items)
		}
		m.listing.Items = slices.Insert(m.listing.Items, i, it)
		m.seen[it.ID] = at
	}
	if final {
		m.listing.Items = slices.DeleteFunc(m.listing.Items, func(l Listed) bool { return m.seen[l.ID].Before(at) })
		m.listing.Complete = m.listing.Complete || at.Equal(m.listing.At) // a late older refresh ends nothing
	}
	return nil
}

// Listing returns a copy of the kept listing.
func (m *MemoryStore) Listing() (Listing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.listing
	l.Items = slices.Clone(l.Items)
	return l, nil
}

// Close does nothing: memory needs no release.
func (m *MemoryStore) Close() error { return nil }
