package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

// API is a vehicle-data API as the fleet uses it: the scheduler's reads, and the listing of every connected vehicle.
type API interface {
	schedule.API
	// Vehicles lists every connected vehicle. It spends no vehicle's read budget.
	Vehicles(ctx context.Context) ([]schedule.RemoteVehicle, error)
}

// Entry is a vehicle joined with its state and its badge: one row of the console.
type Entry struct {
	Vehicle
	Badge policy.Badge
	// LastRead is the later of the state's record and the config's last_read_at; zero when never read.
	LastRead time.Time
	// KeyURL is the URL that installs the virtual key; "" for legacy vehicles, which need none.
	KeyURL string
	// Record is what the state knows of the vehicle: learned key status and VIN, last good data, errors.
	Record ledger.Record
}

// NextRead returns when the entry may next be read: the rules' time, and not before a 429's Retry-After or a
// backoff. ok is false when there is no next read (an asleep legacy vehicle, or reads stopped).
func (e Entry) NextRead(iv policy.Intervals, now time.Time) (time.Time, bool) {
	return e.Record.NextRead(e.Record.Facts(e.Vehicle.Facts()), e.LastRead, iv, now)
}

// Allowed reports whether the entry may be read at now.
func (e Entry) Allowed(iv policy.Intervals, now time.Time) bool {
	at, ok := e.NextRead(iv, now)
	return ok && !now.Before(at)
}

// Fleet is the console's fleet: its vehicles (from the config, or listed by a data API and overlaid with the
// config's entries), their state, and the one place reads go through the budget gate.
type Fleet struct {
	cfg   config.Config
	store ledger.Ledger
	api   API                 // nil for the config source
	sched *schedule.Scheduler // nil for the config source: a read there only records its time

	mu       sync.RWMutex
	vehicles []Vehicle
	index    map[string]int // vehicle id → index into vehicles
	remote   map[string]schedule.RemoteVehicle
	pending  map[string]bool            // vehicles just connected, kept from the scheduler until the operator confirms
	subs     map[chan Change]struct{}   // the config source's news subscribers (see Changes)
	listSubs map[chan struct{}]struct{} // told when the vehicles change as a whole (a listing)
	listing  ListStatus                 // how far the shown listing is; zero for the config source
	resume   *resumable                 // a paged refresh that stopped early, to go on with
	shown    *shownState                // what show loaded, for the next Entries (see takeShown)
}

// New returns the fleet of cfg's vehicles, whose read history lives in store.
func New(cfg config.Config, store ledger.Ledger) *Fleet {
	f := &Fleet{cfg: cfg, store: store, pending: map[string]bool{}}
	f.setVehicles(cfg.Vehicles)
	return f
}

// Intervals returns the read intervals in force.
func (f *Fleet) Intervals() policy.Intervals { return f.cfg.Intervals }

// Entries loads the state and returns every vehicle as an entry. The entries' records are lean (see
// ledger.Record.Lean): Record has a vehicle's kept values.
func (f *Fleet) Entries() ([]Entry, error) {
	if entries, ok := f.takeShown(); ok {
		return entries, nil
	}
	st, err := f.store.Lean()
	if err != nil {
		return nil, err
	}
	return f.entries(st), nil
}

// shownState is what show made of the ledger as it loaded it, at cursor: the next Entries takes it instead of
// loading the whole ledger again, when nothing was written since.
type shownState struct {
	entries []Entry
	cursor  uint64
}

// takeShown returns, once, the entries show made, when the ledger has not changed since; they are dropped either
// way, so the fleet does not hold a copy of every record.
func (f *Fleet) takeShown() ([]Entry, bool) {
	f.mu.Lock()
	s := f.shown
	f.shown = nil
	f.mu.Unlock()
	if s == nil {
		return nil, false
	}
	c, err := f.store.Cursor()
	return s.entries, err == nil && c == s.cursor
}

func (f *Fleet) entries(st ledger.State) []Entry {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Entry, len(f.vehicles))
	for i, v := range f.vehicles {
		out[i] = f.entry(v, st.Vehicles[v.ID])
	}
	return out
}

func (f *Fleet) entry(v Vehicle, rec ledger.Record) Entry {
	if v.VIN == "" {
		v.VIN = rec.VIN
	}
	e := Entry{Vehicle: v, Badge: policy.BadgeOf(rec.Facts(v.Facts())), LastRead: later(v.LastReadAt, rec.ReadAt()), Record: rec}
	if e.Badge != policy.Legacy {
		e.KeyURL = f.cfg.KeyURL(v)
	}
	return e
}

// Record returns the whole record of vehicle id, its kept values with it; the zero Record when it has none.
func (f *Fleet) Record(id string) (ledger.Record, error) {
	st, err := f.store.Get([]string{id})
	return st.Vehicles[id], err
}

// KeyURL returns the URL that installs v's virtual key, or "" for a legacy vehicle, which needs none.
func (f *Fleet) KeyURL(v Vehicle) string { return f.entry(v, ledger.Record{}).KeyURL }

// Find returns the vehicle whose id, VIN (any case) or exact name is q.
func (f *Fleet) Find(q string) (Vehicle, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, v := range f.vehicles {
		if v.ID == q || (v.VIN != "" && strings.EqualFold(v.VIN, q)) || v.Name == q {
			return v, true
		}
	}
	return Vehicle{}, false
}

// Read spends one read of vehicle id at now, if the rules allow it, and returns the fleet after it. The check and the
// record happen under the state's lock, against the latest state on disk, so two consoles cannot both spend the same
// budget; the time is persisted before any request leaves. A refused read returns a *ledger.NotAllowedError and sends
// nothing. With a data API the scheduler sends the request; with the config source the read is only recorded.
func (f *Fleet) Read(ctx context.Context, id string, now time.Time) ([]Entry, error) {
	v, ok := f.Find(id)
	if !ok {
		return nil, fmt.Errorf("no vehicle matches %q", id)
	}
	if f.sched != nil {
		_, err := f.sched.ReadNow(ctx, v.ID, now)
		entries, lerr := f.entriesAfter(v.ID)
		return entries, errors.Join(err, lerr)
	}
	var refused error
	st, err := f.store.Update([]string{v.ID}, now, func(st ledger.State, now time.Time) ledger.State {
		rec := st.Vehicles[v.ID]
		e := f.entry(v, rec)
		refused = nil // the ledger may retry fn
		if at, ok := e.NextRead(f.cfg.Intervals, now); !ok || now.Before(at) {
			refused = &ledger.NotAllowedError{ID: v.ID, Next: at, Stopped: rec.Stopped}
			return ledger.State{}
		}
		rec.LastReadAt = now
		return ledger.State{Vehicles: map[string]ledger.Record{v.ID: rec.Touch(now)}}
	})
	if err != nil {
		return nil, err
	}
	if refused == nil {
		f.publish(Change{Entry: f.entry(v, st.Vehicles[v.ID])})
	}
	entries, err := f.entriesAfter(v.ID)
	return entries, errors.Join(refused, err)
}

// entriesAfter is Entries with the record of vehicle id whole, for a caller that shows what a read of it kept.
func (f *Fleet) entriesAfter(id string) ([]Entry, error) {
	entries, err := f.Entries()
	if err != nil {
		return nil, err
	}
	rec, err := f.Record(id)
	if err != nil {
		return entries, err
	}
	for i := range entries {
		if entries[i].ID == id {
			entries[i].Record = rec
		}
	}
	return entries, nil
}

// Change is news about one vehicle for the views: its entry after a read, and the read's error if it failed.
type Change struct {
	Entry Entry
	Err   error
	// BucketLimited says reads wait for the app-wide request bucket, not for the rules.
	BucketLimited bool
	// Entries, when not nil, is every vehicle after a new listing, or a page of one: it replaces the rows. Listing
	// says how far that listing is.
	Entries []Entry
	Listing ListStatus
	// PausedUntil is set while every request waits (the app-wide limit was hit, or the credential was refused).
	PausedUntil time.Time
	// Unsaved says the entry holds an answer that the state store failed to save: the vehicle is held from every
	// read until it is saved.
	Unsaved bool
	// Health is the scheduler's trouble as a whole, for the header (zero when there is none). Each change of a
	// live fleet carries the latest.
	Health schedule.Health
}

// Retry tries at once what the scheduler retries on a backoff: a refused credential, an unreachable API, answers
// not yet saved. It is a no-op for the config source.
func (f *Fleet) Retry() {
	if f.sched != nil {
		f.sched.Kick()
	}
}

// Condition returns the entry's condition at now (see ledger.Record.Condition); a vehicle configured asleep is Asleep.
func (e Entry) Condition(now time.Time) ledger.Condition {
	c := e.Record.Condition(now)
	if c == ledger.Normal && e.Asleep {
		return ledger.Asleep
	}
	return c
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Entry returns vehicle id's entry with its whole record, its kept values with it: what the console's detail pane
// shows, where the rows hold only what the table needs.
func (f *Fleet) Entry(id string) (Entry, error) {
	v, ok := f.byID(id)
	if !ok {
		return Entry{}, fmt.Errorf("vehicle %q is not in the fleet", id)
	}
	rec, err := f.Record(id)
	if err != nil {
		return Entry{}, err
	}
	return f.entry(v, rec), nil
}
