package fleet

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fleetkey/policy"
)

// Entry is a vehicle joined with its read history and its badge: one row of the console.
type Entry struct {
	Vehicle
	Badge policy.Badge
	// LastRead is the later of the state file's record and the config's last_read_at; zero when never read.
	LastRead time.Time
	// KeyURL is the URL that installs the virtual key; "" for legacy vehicles, which need none.
	KeyURL string
}

// NextRead returns when the entry may next be read; ok is false when there is no next read (an asleep legacy vehicle).
func (e Entry) NextRead(iv policy.Intervals, now time.Time) (time.Time, bool) {
	return policy.NextRead(e.Facts(), iv, e.LastRead, now)
}

// Allowed reports whether the entry may be read at now.
func (e Entry) Allowed(iv policy.Intervals, now time.Time) bool {
	return policy.Allowed(e.Facts(), iv, e.LastRead, now)
}

// ErrNotAllowed is what a read refused by the budget rules wraps.
var ErrNotAllowed = errors.New("read not allowed yet")

// NotAllowedError says why a read was refused and when the next one is allowed.
type NotAllowedError struct {
	ID   string
	Next time.Time // zero when there is no next read (asleep legacy)
}

func (e *NotAllowedError) Error() string {
	if e.Next.IsZero() {
		return fmt.Sprintf("vehicle %s is asleep: no read until it wakes", e.ID)
	}
	return fmt.Sprintf("vehicle %s: next read allowed at %s", e.ID, e.Next.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// Fleet is the configured fleet with its state store: the one place that turns config and state into entries and
// that records reads, through the budget gate.
type Fleet struct {
	cfg   Config
	store Store
}

// New returns the fleet of cfg, whose read history lives in store.
func New(cfg Config, store Store) *Fleet {
	return &Fleet{cfg: cfg, store: store}
}

// Intervals returns the read intervals in force.
func (f *Fleet) Intervals() policy.Intervals { return f.cfg.Intervals }

// Entries loads the state and returns every vehicle as an entry, in config order.
func (f *Fleet) Entries() ([]Entry, error) {
	st, err := f.store.Load()
	if err != nil {
		return nil, err
	}
	return f.entries(st), nil
}

func (f *Fleet) entries(st State) []Entry {
	out := make([]Entry, len(f.cfg.Vehicles))
	for i, v := range f.cfg.Vehicles {
		out[i] = f.entry(v, st)
	}
	return out
}

func (f *Fleet) entry(v Vehicle, st State) Entry {
	e := Entry{Vehicle: v, Badge: policy.BadgeOf(v.Facts()), LastRead: v.LastReadAt}
	if t := st.LastRead(v.ID); t.After(e.LastRead) {
		e.LastRead = t
	}
	if e.Badge != policy.Legacy {
		e.KeyURL = f.cfg.KeyURL(v)
	}
	return e
}

// KeyURL returns the URL that installs v's virtual key, or "" for a legacy vehicle, which needs none.
func (f *Fleet) KeyURL(v Vehicle) string { return f.entry(v, State{}).KeyURL }

// Find returns the vehicle whose id, VIN or exact name is q.
func (f *Fleet) Find(q string) (Vehicle, bool) {
	for _, v := range f.cfg.Vehicles {
		if v.ID == q || strings.EqualFold(v.VIN, q) || v.Name == q {
			return v, true
		}
	}
	return Vehicle{}, false
}

// Read spends one read of vehicle id at now, if the rules allow it. The check and the record happen under the state's
// lock, against the latest state on disk, so two consoles cannot both spend the same budget. The read's time is
// persisted before Read returns; a refused read returns a *NotAllowedError and records nothing.
func (f *Fleet) Read(id string, now time.Time) ([]Entry, error) {
	v, ok := f.Find(id)
	if !ok {
		return nil, fmt.Errorf("no vehicle matches %q", id)
	}
	var refused error
	st, err := f.store.Update(func(st State) State {
		e := f.entry(v, st)
		if !e.Allowed(f.cfg.Intervals, now) {
			next, _ := e.NextRead(f.cfg.Intervals, now)
			refused = &NotAllowedError{ID: v.ID, Next: next}
			return st
		}
		return st.Merge(State{Vehicles: map[string]Record{v.ID: {LastReadAt: now}}})
	})
	if err != nil {
		return nil, err
	}
	return f.entries(st), refused
}

// Change is news about one vehicle for the views: its entry after a read, and the read's error if it failed.
type Change struct {
	Entry Entry
	Err   error
	// BucketLimited says reads wait for the app-wide request bucket, not for the rules.
	BucketLimited bool
	// PausedUntil is set while every request waits (the app-wide limit was hit, or the credential was refused).
	PausedUntil time.Time
}
