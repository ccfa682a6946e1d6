package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"
)

// stateVersion is the version of the state format that Save writes and LoadState reads.
const stateVersion = 1

// ErrUnsupportedStateVersion is what LoadState wraps when the input has a version this build cannot read,
// most likely because a newer fleetkey wrote it.
var ErrUnsupportedStateVersion = errors.New("unsupported state version")

// Record is what the state knows about one vehicle.
//
// A field added here must also get a rule in Record.merge, and a new version of the format when an older
// fleetkey could not read it.
type Record struct {
	// LastReadAt is when the vehicle was last read; zero (and absent from the file) when never read.
	LastReadAt time.Time `json:"last_read_at,omitzero"`
}

// merge combines two records of one vehicle: the later LastReadAt wins, so a record never goes back in time.
func (r Record) merge(o Record) Record {
	if o.LastReadAt.After(r.LastReadAt) {
		r.LastReadAt = o.LastReadAt
	}
	return r
}

// State maps vehicle id → Record. It is a value: its methods return new maps and never change the receiver's.
// A zero State is empty and usable.
type State struct {
	Vehicles map[string]Record
}

// stateDoc is the versioned JSON document of a State.
type stateDoc struct {
	Version  int               `json:"version"`
	Vehicles map[string]Record `json:"vehicles"`
}

// LoadState decodes a state written by Save. It is strict: empty input, bad JSON, trailing data, unknown fields,
// a missing or unknown version, an empty vehicle id and a time that is not RFC 3339 are all errors, because guessing
// at a damaged read history could spend a read budget twice. The returned Vehicles map is never nil.
func LoadState(r io.Reader) (State, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var doc stateDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return State{}, errors.New("decode state: empty input")
		}
		return State{}, fmt.Errorf("decode state: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return State{}, errors.New("decode state: data after the state object")
	}
	switch doc.Version {
	case stateVersion:
	case 0:
		return State{}, errors.New("decode state: missing version")
	default:
		return State{}, fmt.Errorf("decode state: %w %d (written by a newer fleetkey? this one reads version %d)",
			ErrUnsupportedStateVersion, doc.Version, stateVersion)
	}
	if _, ok := doc.Vehicles[""]; ok {
		return State{}, errors.New("decode state: empty vehicle id")
	}
	if doc.Vehicles == nil {
		doc.Vehicles = map[string]Record{}
	}
	return State{Vehicles: doc.Vehicles}, nil
}

// Save writes the state as indented JSON with a version field. The output is stable: vehicles sorted by id, times
// in UTC, so equal states give equal bytes. An empty vehicle id is an error (LoadState would reject it).
func (s State) Save(w io.Writer) error {
	doc := stateDoc{Version: stateVersion, Vehicles: make(map[string]Record, len(s.Vehicles))}
	for id, r := range s.Vehicles {
		if id == "" {
			return errors.New("encode state: empty vehicle id")
		}
		r.LastReadAt = r.LastReadAt.UTC()
		doc.Vehicles[id] = r
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Merge returns the union of s and o. For a vehicle in both, the later LastReadAt wins: a merge never moves a
// record back in time, whatever the order of its operands.
func (s State) Merge(o State) State {
	out := make(map[string]Record, len(s.Vehicles)+len(o.Vehicles))
	maps.Copy(out, s.Vehicles)
	for id, r := range o.Vehicles {
		if cur, ok := out[id]; ok {
			r = cur.merge(r)
		}
		out[id] = r
	}
	return State{Vehicles: out}
}

// LastRead returns when vehicle id was last read; zero when never.
func (s State) LastRead(id string) time.Time {
	return s.Vehicles[id].LastReadAt
}

// clone returns a copy of s that shares no map with it; the Vehicles map is never nil.
func (s State) clone() State {
	return s.Merge(State{})
}

// Store keeps the State. Update is the one way to change it: it hands fn the current state and stores fn's result
// merged over that state, so no record is ever dropped or moved back in time, and returns what it stored.
// fn may run under a lock: it must be quick and must not use the store itself.
type Store interface {
	Load() (State, error)
	Update(fn func(State) State) (State, error)
}

var (
	_ Store = (*StateFile)(nil)
	_ Store = (*MemoryStore)(nil)
)

// RecordRead records that vehicle id was read at at, unless a later read is already recorded, and returns the
// stored state.
func RecordRead(s Store, id string, at time.Time) (State, error) {
	if id == "" {
		return State{}, errors.New("record read: empty vehicle id")
	}
	return s.Update(func(st State) State {
		return st.Merge(State{Vehicles: map[string]Record{id: {LastReadAt: at}}})
	})
}

// MemoryStore is a Store that lives in memory only, for the demo fleet, which must never write the user's disk.
// It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.Mutex
	state State
}

// NewMemoryStore returns a store holding a copy of initial.
func NewMemoryStore(initial State) *MemoryStore {
	return &MemoryStore{state: initial.clone()}
}

// Load returns a copy of the stored state; it never fails.
func (m *MemoryStore) Load() (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.clone(), nil
}

// Update stores fn's result merged over the current state (see Store) and returns a copy of it; it never fails.
// fn runs under the store's mutex.
func (m *MemoryStore) Update(fn func(State) State) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = m.state.Merge(fn(m.state.clone()))
	return m.state.clone(), nil
}
