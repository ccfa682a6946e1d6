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

// yearless are vehicles with a fact missing: a Model S/X without a year, a Model S without a make, a Tesla without a
// model. None is known to be legacy, so each is badged by its key status: unknown here.
var yearless = []fleet.Vehicle{
	{ID: "s-no-year", Name: "S without a year", Make: "Tesla", Model: "Model S"},
	{ID: "x-negative", Name: "X, negative year", Make: "Tesla", Model: "Model X", Year: -1, Asleep: true},
	{ID: "s-no-make", Name: "S without a make", Model: "Model S", Year: 2016},
	{ID: "no-model", Name: "Tesla without a model", Make: "Tesla", Year: 2016},
}

// TestMissingFactsNeverLegacy: a fleet whose vehicles lack a fact badges none of them legacy; each has the
// install URL, and a read 5 minutes ago (legacy's interval) does not allow another: they are budgeted as keyless.
func TestMissingFactsNeverLegacy(t *testing.T) {
	reads := map[string]time.Time{}
	for _, v := range yearless {
		reads[v.ID] = fleetNow.Add(-5 * time.Minute)
	}
	cfg := config.Config{Account: config.Account{Plan: config.PlanFree}, Intervals: policy.DefaultIntervals(),
		Vehicles: yearless}
	f := fleet.New(cfg, seededStateFile(t, reads))
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Badge != policy.Unknown || e.KeyURL != smartcarKey {
			t.Errorf("%s: badge %v, key URL %q; want unknown and %q", e.ID, e.Badge, e.KeyURL, smartcarKey)
		}
		next, ok := e.NextRead(cfg.Intervals, fleetNow)
		if want := reads[e.ID].Add(8 * time.Hour); !ok || !next.Equal(want) {
			t.Errorf("%s: NextRead = %v, %v; want %v, true (keyless budget)", e.ID, next, ok, want)
		}
	}
}

// TestDemoStateMissingYear: the demo places a yearless Model S's last read by a fraction of the keyless interval (hours
// ago), not of legacy's (minutes ago).
func TestDemoStateMissingYear(t *testing.T) {
	iv := policy.DefaultIntervals()
	st := fleet.DemoState(yearless[:1], iv, fleetNow)
	if ago := fleetNow.Sub(st.Vehicles["s-no-year"].LastReadAt); ago < time.Hour {
		t.Errorf("demo last read of a yearless Model S is %v ago, want a fraction of the keyless %v", ago, iv.Keyless)
	}
}

// TestLiveMissingYearNotAutoRead: a Model S that the connections listing gives without a year (null, so 0) is listed
// unknown, and the scheduler with the default auto badges (key-installed, legacy) never reads it by itself.
func TestLiveMissingYearNotAutoRead(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, fakeserver.Car{VehicleID: "veh-s0", UserID: "user-1",
		Make: "TESLA", Model: "Model S", Battery: 50, Online: true})
	base, token := srv.Start()
	t.Cleanup(srv.Close)
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret", APIBase: base,
		TokenURL: token, Now: clock.Now, MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	store := ledger.NewMemoryStore(ledger.State{})
	api := fleet.NewSmartcarAPI(client, "live", clock.Now)
	sched := schedule.New(schedule.Config{Intervals: policy.DefaultIntervals(), Auto: config.DefaultAuto(),
		Inline: true, Jitter: -1, Rand: rand.New(rand.NewPCG(5, 6))}, store, api)
	f := fleet.NewLive(config.Config{Intervals: policy.DefaultIntervals(), Account: config.Account{Plan: config.PlanFree}},
		store, api, sched)
	ctx := context.Background()
	if err := f.Refresh(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Year != 0 || entries[0].Badge != policy.Unknown || entries[0].KeyURL == "" {
		t.Fatalf("entries = %+v, want one yearless Model S, badged unknown, with a key URL", entries)
	}
	for range 30 {
		clock.Set(clock.Now().Add(5 * time.Minute))
		sched.Step(ctx, clock.Now())
	}
	if n := srv.ReadCount("veh-s0"); n != 0 {
		t.Errorf("the yearless Model S was read %d times in 150 minutes, want 0: unknown is not auto-read", n)
	}
}
