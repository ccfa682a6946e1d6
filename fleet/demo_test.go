package fleet_test

import (
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
)

// demoConfig loads the documented example, which the console runs on as its demo fleet.
func demoConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.Load(config.example.toml) = %v", err)
	}
	return cfg
}

// TestDemoStateLiveMix checks that the demo shows what the issue asks, at any clock: some vehicles ready, some a few
// minutes (or seconds) away, some hours.
func TestDemoStateLiveMix(t *testing.T) {
	cfg := demoConfig(t)
	tests := []struct {
		name string
		now  time.Time
	}{
		{"fixed", fleetNow},
		{"another year", time.Date(2031, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"fraction of a second, not UTC", time.Date(2026, 7, 1, 6, 0, 0, 123_456_789, time.FixedZone("", -7*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fleet.New(cfg, ledger.NewMemoryStore(fleet.DemoState(cfg.Vehicles, cfg.Intervals, tt.now)))
			entries, err := f.Entries()
			if err != nil {
				t.Fatal(err)
			}
			var ready, soon, far, asleep int
			for _, e := range entries {
				next, ok := e.NextRead(cfg.Intervals, tt.now)
				wait := next.Sub(tt.now)
				switch {
				case !ok:
					asleep++
				case e.Allowed(cfg.Intervals, tt.now):
					ready++
				case wait > 0 && wait < 10*time.Minute:
					soon++
				case wait > time.Hour:
					far++
				}
			}
			if ready < 1 || soon < 1 || far < 1 {
				t.Errorf("demo at %v: %d ready, %d under 10m away, %d over 1h away, %d asleep; want at least one of "+
					"each of the first three", tt.now, ready, soon, far, asleep)
			}
		})
	}
}

func TestDemoStateRecords(t *testing.T) {
	cfg := demoConfig(t)
	st := fleet.DemoState(cfg.Vehicles, cfg.Intervals, fleetNow)
	if len(st.Vehicles) != len(cfg.Vehicles) {
		t.Errorf("DemoState has %d records, want one per vehicle (%d)", len(st.Vehicles), len(cfg.Vehicles))
	}
	later := fleet.DemoState(cfg.Vehicles, cfg.Intervals, fleetNow.Add(time.Hour))
	for _, v := range cfg.Vehicles {
		at := st.LastRead(v.ID)
		if at.IsZero() || at.After(fleetNow) {
			t.Errorf("DemoState(now).LastRead(%s) = %v, want a read before now (%v)", v.ID, at, fleetNow)
		}
		if got := later.LastRead(v.ID); !got.Equal(at.Add(time.Hour)) {
			t.Errorf("DemoState(now+1h).LastRead(%s) = %v, want %v: the history follows the clock", v.ID, got,
				at.Add(time.Hour))
		}
	}
}
