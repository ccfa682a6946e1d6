package fleet_test

import (
	"context"
	"math/rand/v2"
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

// liveFleet is a live fleet over the fake server sharing clock, with every badge automatic, so a vehicle the
// scheduler is allowed to read is read at the next Step.
func liveFleet(t *testing.T, clock *fakeClock, srv *fakeserver.Server) (*fleet.Fleet, *schedule.Scheduler) {
	t.Helper()
	base, token := srv.Start()
	t.Cleanup(srv.Close)
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret", APIBase: base,
		TokenURL: token, Now: clock.Now, MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	store := ledger.NewMemoryStore(ledger.State{})
	api := fleet.NewSmartcarAPI(client, "live", clock.Now)
	auto := map[policy.Badge]bool{policy.Legacy: true, policy.KeyInstalled: true, policy.Keyless: true, policy.Unknown: true}
	sched := schedule.New(schedule.Config{Intervals: policy.DefaultIntervals(), Auto: auto, Inline: true,
		Jitter: -1, Rand: rand.New(rand.NewPCG(3, 4))}, store, api)
	cfg := config.Config{Intervals: policy.DefaultIntervals(), Account: config.Account{Plan: config.PlanFree}}
	f := fleet.NewLive(cfg, store, api, sched)
	if err := f.Refresh(context.Background(), clock.Now()); err != nil {
		t.Fatal(err)
	}
	return f, sched
}

// TestOnboardSpendsOneReadAfterConfirm: the vehicles of a newly connected user are listed without a read, are not read
// by the scheduler while the operator waits for the owner, and are read exactly once when the operator confirms.
func TestOnboardSpendsOneReadAfterConfirm(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, httpCars(1)...)
	f, sched := liveFleet(t, clock, srv)
	yes := true
	srv.SetCar(fakeserver.Car{VehicleID: "veh-new", UserID: "user-new", Make: "TESLA", Model: "Model Y", Year: 2024,
		VIN: "7SAYGDEE9RA204613", KeyPaired: &yes, Battery: 90})
	ctx := context.Background()
	added, err := f.AddUser(ctx, "user-new", "https://www.tesla.com/_ak/fleetco.app.car", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0].ID != "veh-new" || added[0].KeyURL != "https://www.tesla.com/_ak/fleetco.app.car" {
		t.Fatalf("AddUser = %+v, want veh-new with the redirect's key URL", added)
	}
	for range 5 { // the operator waits; the scheduler runs
		clock.Set(clock.Now().Add(time.Minute))
		sched.Step(ctx, clock.Now())
	}
	if n := srv.ReadCount("veh-new"); n != 0 {
		t.Fatalf("the new vehicle was read %d times before the operator confirmed", n)
	}
	e, err := f.Confirm(ctx, "veh-new", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if e.Badge != policy.KeyInstalled {
		t.Errorf("badge after the confirmed read = %v, want key-installed", e.Badge)
	}
	if n := srv.ReadCount("veh-new"); n != 1 {
		t.Errorf("reads after the confirmation = %d, want exactly 1", n)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("violations: %+v", v)
	}
}

func TestOnboardNeedsLiveSource(t *testing.T) {
	f := fleet.New(config.Config{Intervals: policy.DefaultIntervals()}, ledger.NewMemoryStore(ledger.State{}))
	if _, err := f.AddUser(context.Background(), "u", "", time.Now()); err != fleet.ErrNoLiveSource {
		t.Errorf("AddUser on the config source = %v, want ErrNoLiveSource", err)
	}
}

// TestOnboardTellsSubscribers: a console watching Changes (every serve session) hears of the new user's vehicles as a
// listing at once, not at the next refresh.
func TestOnboardTellsSubscribers(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, httpCars(1)...)
	f, _ := liveFleet(t, clock, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := f.Changes(ctx)
	srv.SetCar(fakeserver.Car{VehicleID: "veh-new", UserID: "user-new", Make: "TESLA", Model: "Model Y", Year: 2024,
		VIN: "7SAYGDEE9RA204613", Battery: 90})
	if _, err := f.AddUser(ctx, "user-new", "https://www.tesla.com/_ak/smartcar.com", clock.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second) // a bound on failure, not a wait for success
	for {
		select {
		case c := <-changes:
			if c.Entries == nil {
				continue
			}
			for _, e := range c.Entries {
				if e.ID == "veh-new" {
					return
				}
			}
			t.Fatalf("the listing after AddUser lacks veh-new: %d entries", len(c.Entries))
		case <-deadline:
			t.Fatal("no listing came after AddUser")
		}
	}
}
