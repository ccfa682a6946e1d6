package fleet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/fleet/smartcar"
	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// fakeClock is the one clock of the fake server, the client and the scheduler.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestSchedulerOverHTTP drives the real client and the real scheduler against the fake Smartcar server for a
// simulated day: 40 vehicles of every key case, every badge in auto, the default app-wide bucket. The fake enforces
// the rules and the bucket itself; it must record no early read and answer no 429, and the scheduler must learn each
// vehicle's key status from the reads.
func TestSchedulerOverHTTP(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, httpCars(40)...)
	base, token := srv.Start()
	defer srv.Close()
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret", APIBase: base,
		TokenURL: token, Now: clock.Now, MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	store := ledger.NewMemoryStore(ledger.State{})
	auto := map[policy.Badge]bool{policy.Legacy: true, policy.KeyInstalled: true, policy.Keyless: true, policy.Unknown: true}
	api := fleet.NewSmartcarAPI(client, "live", clock.Now)
	sched := schedule.New(schedule.Config{Intervals: policy.DefaultIntervals(), Auto: auto, Inline: true,
		Rand: rand.New(rand.NewPCG(1, 2))}, store, api)
	f := fleet.NewLive(config.Config{Intervals: policy.DefaultIntervals()}, store, api, sched)
	ctx := context.Background()
	if err := f.Refresh(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	end := clock.Now().Add(24 * time.Hour)
	for now := clock.Now(); now.Before(end); {
		next := sched.Step(ctx, now)
		if next.IsZero() || next.Sub(now) > time.Minute {
			next = now.Add(time.Minute)
		}
		now = next
		clock.Set(now)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("the fake recorded %d early reads, first %+v", len(v), v[0])
	}
	if n := srv.BucketRejections(); n != 0 {
		t.Errorf("the fake answered %d 429 SMARTCAR_API; the scheduler must stay inside the bucket", n)
	}
	checkLearned(t, f)
}

// httpCars are n Teslas cycling through legacy, key paired, keyless (VIRTUAL_KEY_REQUIRED) and not capable.
func httpCars(n int) []fakeserver.Car {
	yes, no := true, false
	cars := make([]fakeserver.Car, n)
	for i := range cars {
		c := fakeserver.Car{VehicleID: fmt.Sprintf("veh-%02d", i), UserID: "user-1", Make: "TESLA", Model: "Model 3",
			Year: 2022, Battery: 50, RangeKM: 300, OdometerKM: 1000, Online: true}
		switch i % 4 {
		case 0:
			c.Model, c.Year = "Model S", 2016
		case 1:
			c.KeyPaired = &yes
		case 2:
			c.KeyPaired, c.KeyRequired = &no, true
		}
		cars[i] = c
	}
	return cars
}

func checkLearned(t *testing.T, f *fleet.Fleet) {
	t.Helper()
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.Badge{policy.Legacy, policy.KeyInstalled, policy.Keyless, policy.Unknown}
	if len(entries) != 40 {
		t.Fatalf("%d entries, want 40", len(entries))
	}
	for _, e := range entries {
		var i int
		fmt.Sscanf(e.ID, "veh-%d", &i)
		if e.Badge != want[i%4] {
			t.Errorf("%s: badge %v after a day of reads, want %v", e.ID, e.Badge, want[i%4])
		}
		if e.Badge != policy.Keyless && e.Record.DataAt().IsZero() {
			t.Errorf("%s: the row has no time of a good read after a day of reads", e.ID)
		}
		rec, err := f.Record(e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Badge != policy.Keyless && (rec.Reading == nil || !rec.Reading.Battery.OK()) {
			t.Errorf("%s: no battery value kept after a day of reads", e.ID)
		}
	}
}

// TestChangesApplyOverlayByLearnedVIN: a config entry matched by VIN names the vehicle as soon as a read has told the
// VIN, in the feed the console shows.
func TestChangesApplyOverlayByLearnedVIN(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	cars := httpCars(2)
	cars[1].VIN = "5YJ3E1EA8NF187342"
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, cars...)
	base, token := srv.Start()
	defer srv.Close()
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret", APIBase: base,
		TokenURL: token, Now: clock.Now, MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("overlay.toml", []byte("[fleet]\nsource = \"smartcar\"\n[smartcar]\nclient_id = \"c\"\n"+
		"client_secret_env = \"S\"\n[[vehicle]]\nvin = \"5YJ3E1EA8NF187342\"\nname = \"Depot van\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := ledger.NewMemoryStore(ledger.State{})
	api := fleet.NewSmartcarAPI(client, "live", clock.Now)
	sched := schedule.New(schedule.Config{Intervals: cfg.Intervals, Inline: true}, store, api)
	f := fleet.NewLive(cfg, store, api, sched)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := f.Refresh(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	changes := f.Changes(ctx)
	if _, err := f.Read(ctx, "veh-01", clock.Now()); err != nil {
		t.Fatal(err)
	}
	for c := range changes {
		if c.Entry.ID == "veh-01" && !c.Entry.LastRead.IsZero() && c.Entry.Record.VIN != "" {
			if c.Entry.Name != "Depot van" {
				t.Errorf("after the read the name is %q, want the overlay's Depot van", c.Entry.Name)
			}
			return
		}
	}
	t.Fatal("the feed closed without the read")
}
