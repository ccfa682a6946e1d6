package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

// t0 is the fixed clock of the scheduler tests.
var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// allBadges reads every badge automatically.
var allBadges = map[policy.Badge]bool{policy.Legacy: true, policy.KeyInstalled: true, policy.Keyless: true,
	policy.Unknown: true}

// target returns a target of the given kind: "legacy" (a 2019 Model S), "installed" and "keyless" (a Model 3 whose
// config pins the key status), or "unknown" (a Model 3 whose key status is not known).
func target(id, kind string) schedule.Target {
	f := policy.Facts{Make: "Tesla", Model: "Model 3", Year: 2023}
	switch kind {
	case "legacy":
		f.Model, f.Year = "Model S", 2019
	case "installed":
		f.Key = policy.KeyPaired
	case "keyless":
		f.Key = policy.KeyMissing
	}
	return schedule.Target{ID: id, Facts: f, Remote: schedule.RemoteVehicle{ID: id, UserID: "user-" + id, Make: f.Make,
		Model: f.Model, Year: f.Year, Mode: "live"}}
}

// answer is one scripted answer of the fake API.
type answer struct {
	r   ledger.Reading
	err error
}

// call is one request the fake API received: the vehicle, and its read time in the store when it arrived.
type call struct {
	id       string
	recorded time.Time
}

// fakeAPI is a schedule.API whose Read answers from a script per vehicle (the last answer repeats; none means an
// empty good reading) and records every call, with the read time the store held for the vehicle at that moment.
// With hold set, each Read announces itself on arrived and waits for release (or its context).
type fakeAPI struct {
	store   ledger.Ledger
	hold    bool
	arrived chan string
	release chan struct{}

	mu         sync.Mutex
	answers    map[string][]answer
	calls      []call
	prepareErr error // what Prepare returns
	prepares   int
}

func newFakeAPI(store ledger.Ledger) *fakeAPI {
	return &fakeAPI{store: store, answers: map[string][]answer{}, arrived: make(chan string, 100),
		release: make(chan struct{})}
}

// script sets the answers for vehicle id.
func (f *fakeAPI) script(id string, as ...answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[id] = as
}

func (f *fakeAPI) Vehicles(context.Context) ([]schedule.RemoteVehicle, error) { return nil, nil }

func (f *fakeAPI) Prepare(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prepares++
	return f.prepareErr
}

// failPrepare makes Prepare return err (nil: succeed).
func (f *fakeAPI) failPrepare(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prepareErr = err
}

func (f *fakeAPI) Read(ctx context.Context, v schedule.RemoteVehicle) (ledger.Reading, error) {
	st, err := f.store.Load()
	if err != nil {
		return ledger.Reading{}, fmt.Errorf("fake: %w", err)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{id: v.ID, recorded: st.LastRead(v.ID)})
	a := answer{}
	if as := f.answers[v.ID]; len(as) > 0 {
		a = as[0]
		if len(as) > 1 {
			f.answers[v.ID] = as[1:]
		}
	}
	f.mu.Unlock()
	if f.hold {
		f.arrived <- v.ID
		select {
		case <-f.release:
		case <-ctx.Done():
			return ledger.Reading{}, ctx.Err()
		}
	}
	return a.r, a.err
}

// ids returns the vehicles called, in order.
func (f *fakeAPI) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.id
	}
	return out
}

// callList returns a copy of the calls.
func (f *fakeAPI) callList() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// retryErr is an API error that carries a Retry-After.
type retryErr time.Duration

func (e retryErr) Error() string             { return fmt.Sprintf("retry after %v", time.Duration(e)) }
func (e retryErr) RetryAfter() time.Duration { return time.Duration(e) }

// vehicleLimited returns a 429 RATE_LIMIT:VEHICLE error with a Retry-After of d.
func vehicleLimited(d time.Duration) error {
	return fmt.Errorf("%w: %w", schedule.ErrVehicleRateLimited, retryErr(d))
}

// apiErr returns an adapter-style error of kind kind.
func apiErr(kind error, detail string) error {
	return fmt.Errorf("%w: %w", kind, errors.New(detail))
}

// testConfig is the config of most scheduler tests: inline, no jitter, every badge automatic, seeded.
func testConfig() schedule.Config {
	return schedule.Config{Auto: allBadges, Inline: true, Jitter: -1, Rand: rand.New(rand.NewPCG(1, 2))}
}

// fileLedger is a SQLite ledger and the path of its file.
type fileLedger struct {
	ledger.Ledger
	path string
}

// Path returns the ledger's file.
func (f *fileLedger) Path() string { return f.path }

// stateFile returns a fresh SQLite ledger in a temporary directory holding initial.
func stateFile(t *testing.T, initial ledger.State) *fileLedger {
	t.Helper()
	return openLedger(t, filepath.Join(t.TempDir(), "ledger.db"), initial)
}

// openLedger opens the SQLite ledger at path, closed at the end of the test, and merges initial into it.
func openLedger(t *testing.T, path string, initial ledger.State) *fileLedger {
	t.Helper()
	l, err := ledger.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := ledger.Put(l, initial, t0); err != nil {
		t.Fatal(err)
	}
	return &fileLedger{Ledger: l, path: path}
}

// newScheduler returns a scheduler over store and api with targets ts.
func newScheduler(cfg schedule.Config, store ledger.Ledger, api schedule.API, ts ...schedule.Target) *schedule.Scheduler {
	s := schedule.New(cfg, store, api)
	s.SetTargets(ts)
	return s
}

// record loads vehicle id's record from store.
func record(t *testing.T, store ledger.Ledger, id string) ledger.Record {
	t.Helper()
	st, err := store.Load()
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	return st.Vehicles[id]
}

// records returns a ledger.State of the given records.
func records(kv map[string]ledger.Record) ledger.State {
	return ledger.State{Vehicles: kv}
}

// goodReading returns a reading with every signal good.
func goodReading(at time.Time, battery float64) ledger.Reading {
	ok := ledger.StatusOK
	return ledger.Reading{
		At:        at,
		Battery:   ledger.Value[float64]{Status: ok, V: battery, Unit: "percent", UpdatedAt: at},
		Odometer:  ledger.Value[float64]{Status: ok, V: 12345, Unit: "km", UpdatedAt: at},
		Online:    ledger.Value[bool]{Status: ok, V: true},
		KeyPaired: ledger.Value[bool]{Status: ok, V: true},
		VIN:       ledger.Value[string]{Status: ok, V: "5YJ3E1EA0PF000001"},
	}
}
