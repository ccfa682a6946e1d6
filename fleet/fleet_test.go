package fleet_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// fleetNow is the fixed clock of the fleet tests.
var fleetNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// Vehicle ids of testFleetConfig, one per case of the rules.
const (
	idLegacy      = "legacy"      // Model S 2018, awake
	idAsleep      = "asleep"      // Model X 2019, asleep
	idInstalled   = "installed"   // Model 3, key installed
	idKeyless     = "keyless"     // Model Y, key missing, its own key URL
	idUnknown     = "unknown"     // Model 3, key status unknown
	idConfigRead  = "config-read" // keyless, last_read_at 1h before fleetNow in the config
	ownKeyURL     = "https://www.tesla.com/_ak/partner.app.car"
	smartcarKey   = "https://www.tesla.com/_ak/smartcar.com"
	enterpriseKey = "https://www.tesla.com/_ak/fleetco.app.car"
)

// testFleetConfig returns a free-plan fleet with one vehicle per case, at the default intervals.
func testFleetConfig() config.Config {
	return config.Config{
		Account:   config.Account{Plan: config.PlanFree},
		Intervals: policy.DefaultIntervals(),
		Vehicles: []fleet.Vehicle{
			{ID: idLegacy, VIN: "5YJSA1E23JF245190", Name: "Legacy", Make: "Tesla", Model: "Model S", Year: 2018,
				Key: policy.KeyMissing},
			{ID: idAsleep, VIN: "5YJXCAE24LF265418", Name: "Asleep", Make: "Tesla", Model: "Model X", Year: 2019,
				Asleep: true},
			{ID: idInstalled, VIN: "5YJ3E1EA8NF187342", Name: "Installed", Make: "Tesla", Model: "Model 3", Year: 2022,
				Key: policy.KeyPaired},
			{ID: idKeyless, VIN: "7SAYGDEE5PA095337", Name: "Keyless", Make: "Tesla", Model: "Model Y", Year: 2023,
				Key: policy.KeyMissing, VirtualKeyURL: ownKeyURL},
			{ID: idUnknown, VIN: "5YJ3E1EAXSF901256", Name: "Unknown", Make: "Tesla", Model: "Model 3", Year: 2021},
			{ID: idConfigRead, VIN: "5YJ3E1EA9JF046211", Name: "config.Config read", Make: "Tesla", Model: "Model 3",
				Year: 2018, Key: policy.KeyMissing, LastReadAt: fleetNow.Add(-time.Hour)},
		},
	}
}

// fileLedger is a SQLite ledger and the path of its file.
type fileLedger struct {
	ledger.Ledger
	path string
}

// Path returns the ledger's file.
func (f *fileLedger) Path() string { return f.path }

// openSQLite opens a handle on the SQLite ledger at path (another console's, when one is open), closed at the end.
func openSQLite(t *testing.T, path string) *fileLedger {
	t.Helper()
	l, err := ledger.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &fileLedger{Ledger: l, path: path}
}

// seededStateFile returns a SQLite ledger in a new temporary directory holding the given last reads.
func seededStateFile(t *testing.T, reads map[string]time.Time) *fileLedger {
	t.Helper()
	sf := openSQLite(t, filepath.Join(t.TempDir(), "ledger.db"))
	for id, at := range reads {
		if _, err := ledger.RecordRead(sf, id, at); err != nil {
			t.Fatal(err)
		}
	}
	return sf
}

// entryOf returns the entry of id.
func entryOf(t *testing.T, entries []fleet.Entry, id string) fleet.Entry {
	t.Helper()
	for _, e := range entries {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("entries have no vehicle %q", id)
	return fleet.Entry{}
}

func TestFleetReadAllowed(t *testing.T) {
	tests := []struct {
		name string
		id   string
		last time.Time // zero: never read
	}{
		{"legacy never read", idLegacy, time.Time{}},
		{"legacy at the boundary", idLegacy, fleetNow.Add(-5 * time.Minute)},
		{"key-installed at the boundary", idInstalled, fleetNow.Add(-30 * time.Minute)},
		{"keyless 9h ago", idKeyless, fleetNow.Add(-9 * time.Hour)},
		{"unknown never read", idUnknown, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := map[string]time.Time{}
			if !tt.last.IsZero() {
				reads[tt.id] = tt.last
			}
			sf := seededStateFile(t, reads)
			entries, err := fleet.New(testFleetConfig(), sf).Read(context.Background(), tt.id, fleetNow)
			if err != nil {
				t.Fatalf("Read(%q, now) = %v, want nil", tt.id, err)
			}
			if got := entryOf(t, entries, tt.id).LastRead; !got.Equal(fleetNow) {
				t.Errorf("Read(%q, now) entry LastRead = %v, want %v", tt.id, got, fleetNow)
			}
			// The read is on disk: a new handle on the file (another console) sees it.
			st, err := openSQLite(t, sf.Path()).Load()
			if err != nil || !st.LastRead(tt.id).Equal(fleetNow) {
				t.Errorf("state after Read(%q, now) = %v, %v; want LastRead %v", tt.id, st, err, fleetNow)
			}
		})
	}
}

func TestFleetReadRefused(t *testing.T) {
	tests := []struct {
		name     string
		id       string
		last     time.Time // the state's record; zero: none
		wantNext time.Time // zero: no next read
	}{
		{"legacy 1m ago", idLegacy, fleetNow.Add(-time.Minute), fleetNow.Add(4 * time.Minute)},
		{"legacy asleep never read", idAsleep, time.Time{}, time.Time{}},
		{"legacy asleep read long ago", idAsleep, fleetNow.Add(-24 * time.Hour), time.Time{}},
		{"key-installed 10m ago", idInstalled, fleetNow.Add(-10 * time.Minute), fleetNow.Add(20 * time.Minute)},
		{"key-installed 1ns before", idInstalled, fleetNow.Add(-30*time.Minute + 1), fleetNow.Add(1)},
		{"keyless 1h ago", idKeyless, fleetNow.Add(-time.Hour), fleetNow.Add(7 * time.Hour)},
		{"unknown 7h59m ago", idUnknown, fleetNow.Add(-7*time.Hour - 59*time.Minute), fleetNow.Add(time.Minute)},
		{"config last_read_at later than state", idConfigRead, fleetNow.Add(-10 * time.Hour), fleetNow.Add(7 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := map[string]time.Time{idLegacy: fleetNow.Add(-time.Hour)} // so the file exists in every case
			if !tt.last.IsZero() {
				reads[tt.id] = tt.last
			}
			sf := seededStateFile(t, reads)
			before, err := sf.Cursor()
			if err != nil {
				t.Fatal(err)
			}
			entries, err := fleet.New(testFleetConfig(), sf).Read(context.Background(), tt.id, fleetNow)
			var na *ledger.NotAllowedError
			if !errors.As(err, &na) || !errors.Is(err, ledger.ErrNotAllowed) {
				t.Fatalf("Read(%q, now) = %v, want a *ledger.NotAllowedError that is ledger.ErrNotAllowed", tt.id, err)
			}
			if na.ID != tt.id || !na.Next.Equal(tt.wantNext) {
				t.Errorf("Read(%q, now) = {ID %q, Next %v}, want {ID %q, Next %v}", tt.id, na.ID, na.Next, tt.id, tt.wantNext)
			}
			if got := entryOf(t, entries, tt.id).LastRead; got.Equal(fleetNow) {
				t.Errorf("Read(%q, now) refused but its entry shows LastRead = now", tt.id)
			}
			if after, err := sf.Cursor(); err != nil || after != before {
				t.Errorf("ledger cursor after a refused Read(%q) = %d, %v; want it unchanged at %d", tt.id, after, err, before)
			}
		})
	}
}

func TestNotAllowedErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *ledger.NotAllowedError
		want string
	}{
		{"next read", &ledger.NotAllowedError{ID: "v1", Next: fleetNow.In(time.FixedZone("", 3600))},
			"vehicle v1: next read allowed at 2026-03-14T09:26:53Z"},
		{"asleep", &ledger.NotAllowedError{ID: "v2"}, "vehicle v2 is asleep: no read until it wakes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFleetReadUnknownVehicle(t *testing.T) {
	l := openSQLite(t, filepath.Join(t.TempDir(), "ledger.db"))
	_, err := fleet.New(testFleetConfig(), l).Read(context.Background(), "nope", fleetNow)
	if err == nil || errors.Is(err, ledger.ErrNotAllowed) || err.Error() != `no vehicle matches "nope"` {
		t.Errorf(`Read("nope", now) = %v, want error "no vehicle matches \"nope\"" (not ledger.ErrNotAllowed)`, err)
	}
	if c, err := l.Cursor(); err != nil || c != 0 {
		t.Errorf(`after Read("nope", now), ledger cursor = %d, %v; want 0: never written`, c, err)
	}
}

// TestFleetReadConcurrentSpendsOnce is two consoles (two Fleets over two handles on one state file) reading the same
// keyless vehicle at once: exactly one read is spent, whatever the interleaving.
func TestFleetReadConcurrentSpendsOnce(t *testing.T) {
	const readers = 20
	path := filepath.Join(t.TempDir(), "ledger.db")
	consoles := []*fleet.Fleet{
		fleet.New(testFleetConfig(), openSQLite(t, path)),
		fleet.New(testFleetConfig(), openSQLite(t, path)),
	}
	errs := make([]error, readers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() {
			<-start
			_, errs[i] = consoles[i%2].Read(context.Background(), idKeyless, fleetNow.Add(time.Duration(i)*time.Millisecond))
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("Read %d and Read %d both succeeded: the budget was spent twice", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ledger.ErrNotAllowed):
			t.Errorf("Read %d = %v, want nil or ledger.ErrNotAllowed", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no Read of %d succeeded, want exactly one", readers)
	}
	st, err := openSQLite(t, path).Load()
	want := fleetNow.Add(time.Duration(winner) * time.Millisecond)
	if err != nil || !st.LastRead(idKeyless).Equal(want) {
		t.Errorf("state after the reads = %v, %v; want the one successful read at %v", st, err, want)
	}
}

func TestFleetEntries(t *testing.T) {
	reads := map[string]time.Time{
		idInstalled:  fleetNow.Add(-10 * time.Minute),
		idConfigRead: fleetNow.Add(-10 * time.Hour), // the config's last_read_at (1h ago) is later
		idKeyless:    fleetNow.Add(-2 * time.Hour),
		"removed":    fleetNow, // a vehicle no longer in the config
	}
	entries, err := fleet.New(testFleetConfig(), ledger.NewMemoryStore(statesOf(reads))).Entries()
	if err != nil {
		t.Fatalf("Entries() = %v", err)
	}
	tests := []struct {
		id       string
		badge    policy.Badge
		lastRead time.Time
		keyURL   string
	}{
		{idLegacy, policy.Legacy, time.Time{}, ""},
		{idAsleep, policy.Legacy, time.Time{}, ""},
		{idInstalled, policy.KeyInstalled, fleetNow.Add(-10 * time.Minute), smartcarKey},
		{idKeyless, policy.Keyless, fleetNow.Add(-2 * time.Hour), ownKeyURL},
		{idUnknown, policy.Unknown, time.Time{}, smartcarKey},
		{idConfigRead, policy.Keyless, fleetNow.Add(-time.Hour), smartcarKey},
	}
	if len(entries) != len(tests) {
		t.Fatalf("Entries() has %d entries, want %d, in config order", len(entries), len(tests))
	}
	for i, tt := range tests {
		e := entries[i]
		if e.ID != tt.id || e.Badge != tt.badge || !e.LastRead.Equal(tt.lastRead) || e.KeyURL != tt.keyURL {
			t.Errorf("Entries()[%d] = {%s %v %v %q}, want {%s %v %v %q}", i, e.ID, e.Badge, e.LastRead, e.KeyURL,
				tt.id, tt.badge, tt.lastRead, tt.keyURL)
		}
	}
}

// statesOf returns a ledger.State holding the given last reads.
func statesOf(reads map[string]time.Time) ledger.State {
	st := ledger.State{Vehicles: map[string]ledger.Record{}}
	for id, at := range reads {
		st.Vehicles[id] = ledger.Record{LastReadAt: at}
	}
	return st
}

// TestFleetStateLaterThanConfig: when the state's record is later than the config's last_read_at, the state wins.
func TestFleetStateLaterThanConfig(t *testing.T) {
	later := fleetNow.Add(-time.Minute)
	f := fleet.New(testFleetConfig(), ledger.NewMemoryStore(statesOf(map[string]time.Time{idConfigRead: later})))
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if got := entryOf(t, entries, idConfigRead).LastRead; !got.Equal(later) {
		t.Errorf("Entries() LastRead of %s = %v, want the state's %v", idConfigRead, got, later)
	}
}

func TestFleetKeyURL(t *testing.T) {
	cfg := testFleetConfig()
	legacy, keyless, own := cfg.Vehicles[0], cfg.Vehicles[4], cfg.Vehicles[3]
	tests := []struct {
		name    string
		account config.Account
		v       fleet.Vehicle
		want    string
	}{
		{"free", config.Account{Plan: config.PlanFree}, keyless, smartcarKey},
		{"build", config.Account{Plan: config.PlanBuild}, keyless, smartcarKey},
		{"enterprise", config.Account{Plan: config.PlanEnterprise, Subdomain: "fleetco"}, keyless, enterpriseKey},
		{"per-vehicle URL beats the plan", config.Account{Plan: config.PlanEnterprise, Subdomain: "fleetco"}, own, ownKeyURL},
		{"legacy needs none", config.Account{Plan: config.PlanEnterprise, Subdomain: "fleetco"}, legacy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg.Account = tt.account
			if got := fleet.New(cfg, ledger.NewMemoryStore(ledger.State{})).KeyURL(tt.v); got != tt.want {
				t.Errorf("KeyURL(%s) on plan %s = %q, want %q", tt.v.ID, tt.account.Plan, got, tt.want)
			}
		})
	}
}

func TestFleetFind(t *testing.T) {
	f := fleet.New(testFleetConfig(), ledger.NewMemoryStore(ledger.State{}))
	tests := []struct {
		name, q, wantID string
	}{
		{"id", idKeyless, idKeyless},
		{"VIN", "5YJ3E1EA8NF187342", idInstalled},
		{"exact name", "config.Config read", idConfigRead},
		{"name prefix", "config.Config", ""},
		{"unknown", "nope", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := f.Find(tt.q)
			if ok != (tt.wantID != "") || v.ID != tt.wantID {
				t.Errorf("Find(%q) = %q, %v; want %q, %v", tt.q, v.ID, ok, tt.wantID, tt.wantID != "")
			}
		})
	}
}

// TestConfigSourceSharesReads: with the config source, a read by one console reaches every subscriber of the process.
func TestConfigSourceSharesReads(t *testing.T) {
	f := fleet.New(testFleetConfig(), ledger.NewMemoryStore(ledger.State{}))
	ctx, cancel := context.WithCancel(context.Background())
	a, b := f.Changes(ctx), f.Changes(ctx)
	if _, err := f.Read(ctx, idKeyless, fleetNow); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan fleet.Change{a, b} {
		c := <-ch
		if c.Entry.ID != idKeyless || !c.Entry.LastRead.Equal(fleetNow) {
			t.Errorf("subscriber got %+v, want the read of %s", c.Entry, idKeyless)
		}
	}
	cancel()
	for range a { // closed once ctx ends
	}
}
