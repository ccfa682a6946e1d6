package schedule_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

func TestSchedulerRecordsBeforeSend(t *testing.T) {
	tests := []struct {
		name string
		read func(s *schedule.Scheduler) error
	}{
		{name: "Step", read: func(s *schedule.Scheduler) error { s.Step(context.Background(), t0); return nil }},
		{name: "ReadNow", read: func(s *schedule.Scheduler) error {
			_, err := s.ReadNow(context.Background(), "a", t0)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := stateFile(t, ledger.State{})
			api := newFakeAPI(store)
			s := newScheduler(testConfig(), store, api, target("a", "legacy"))
			if err := tt.read(s); err != nil {
				t.Fatalf("read error = %v", err)
			}
			calls := api.callList()
			if want := t0.Add(schedule.SendWindow); len(calls) != 1 || !calls[0].recorded.Equal(want) {
				t.Fatalf("calls = %+v, want one call that found its read reserved at %v already in the state file",
					calls, want)
			}
		})
	}
}

// TestSchedulerCrashAfterRecord takes the state file as it is on disk while a read is in flight (what a crash
// leaves), starts a new scheduler on it, and checks that it sends nothing inside the window.
func TestSchedulerCrashAfterRecord(t *testing.T) {
	store := stateFile(t, ledger.State{})
	api := newFakeAPI(store)
	api.hold = true
	cfg := testConfig()
	cfg.Inline = false
	s := newScheduler(cfg, store, api, target("a", "legacy"))
	s.Step(context.Background(), t0)
	<-api.arrived
	path := filepath.Join(t.TempDir(), "ledger.db")
	for _, suffix := range []string{"", "-wal"} { // what is on disk: the database and its write-ahead log
		crashed, err := os.ReadFile(store.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, crashed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	close(api.release)
	s.Wait()

	restarted := openLedger(t, path, ledger.State{})
	api2 := newFakeAPI(restarted)
	s2 := newScheduler(testConfig(), restarted, api2, target("a", "legacy"))
	// The crash left a reservation: a read counted at the latest moment it could have been sent.
	opens := t0.Add(schedule.SendWindow + 5*time.Minute)
	for _, now := range []time.Time{t0.Add(time.Second), t0.Add(schedule.SendWindow / 2), opens.Add(-1)} {
		if next := s2.Step(context.Background(), now); !next.Equal(opens) {
			t.Errorf("Step(%v) after the crash = %v, want %v", now, next, opens)
		}
		var na *ledger.NotAllowedError
		if _, err := s2.ReadNow(context.Background(), "a", now); !errors.As(err, &na) || !na.Next.Equal(opens) {
			t.Errorf("ReadNow(%v) after the crash error = %v, want *ledger.NotAllowedError next %v", now, err, opens)
		}
	}
	if got := api2.ids(); len(got) != 0 {
		t.Errorf("after the crash, calls = %v, want none inside the window", got)
	}
	s2.Step(context.Background(), opens)
	if got := api2.ids(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("calls when the window opens = %v, want [a]", got)
	}
}

func TestSchedulerGate(t *testing.T) {
	tests := []struct {
		name     string
		target   schedule.Target
		rec      ledger.Record
		now      time.Time
		wantRead bool
		wantNext time.Time // of the *ledger.NotAllowedError when refused
		stopped  bool      // refused as stopped
	}{
		{name: "never read", target: target("v", "unknown"), now: t0, wantRead: true},
		{name: "legacy at the boundary", target: target("v", "legacy"), rec: ledger.Record{LastReadAt: t0},
			now: t0.Add(5 * time.Minute), wantRead: true},
		{name: "legacy 1ns before", target: target("v", "legacy"), rec: ledger.Record{LastReadAt: t0},
			now: t0.Add(5*time.Minute - 1), wantNext: t0.Add(5 * time.Minute)},
		{name: "config key installed", target: target("v", "installed"), rec: ledger.Record{LastReadAt: t0},
			now: t0.Add(30 * time.Minute), wantRead: true},
		{name: "learned key installed", target: target("v", "unknown"),
			rec: ledger.Record{LastReadAt: t0, Key: "installed"}, now: t0.Add(30 * time.Minute), wantRead: true},
		{name: "config key beats learned", target: target("v", "keyless"),
			rec: ledger.Record{LastReadAt: t0, Key: "installed"}, now: t0.Add(30 * time.Minute),
			wantNext: t0.Add(8 * time.Hour)},
		{name: "unknown is budgeted keyless", target: target("v", "unknown"), rec: ledger.Record{LastReadAt: t0},
			now: t0.Add(time.Hour), wantNext: t0.Add(8 * time.Hour)},
		{name: "not before", target: target("v", "legacy"),
			rec: ledger.Record{LastReadAt: t0, NotBefore: t0.Add(time.Hour)}, now: t0.Add(30 * time.Minute),
			wantNext: t0.Add(time.Hour)},
		{name: "at not before", target: target("v", "legacy"),
			rec: ledger.Record{LastReadAt: t0, NotBefore: t0.Add(time.Hour)}, now: t0.Add(time.Hour), wantRead: true},
		{name: "stopped", target: target("v", "legacy"), rec: ledger.Record{Stopped: "billing"}, now: t0,
			stopped: true},
		{name: "clock skew", target: target("v", "legacy"), rec: ledger.Record{LastReadAt: t0.Add(time.Hour)},
			now: t0, wantNext: t0.Add(5 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, how := range []string{"Step", "ReadNow"} {
				store := ledger.NewMemoryStore(records(map[string]ledger.Record{"v": tt.rec}))
				api := newFakeAPI(store)
				s := newScheduler(testConfig(), store, api, tt.target)
				var err error
				if how == "Step" {
					s.Step(context.Background(), tt.now)
				} else {
					_, err = s.ReadNow(context.Background(), "v", tt.now)
				}
				if got := len(api.ids()) == 1; got != tt.wantRead {
					t.Errorf("%s(%v) read = %v, want %v", how, tt.now, got, tt.wantRead)
				}
				checkRefusal(t, how, err, tt.wantRead, tt.stopped, tt.wantNext)
			}
		})
	}
}

// checkRefusal checks ReadNow's error against what the gate should say.
func checkRefusal(t *testing.T, how string, err error, read, stopped bool, next time.Time) {
	t.Helper()
	if how != "ReadNow" {
		return
	}
	var na *ledger.NotAllowedError
	switch {
	case read && err != nil:
		t.Errorf("ReadNow() error = %v, want nil", err)
	case stopped && (!errors.As(err, &na) || na.Stopped == ""):
		t.Errorf("ReadNow() error = %v, want *ledger.NotAllowedError with Stopped", err)
	case !read && !stopped && (!errors.As(err, &na) || !na.Next.Equal(next)):
		t.Errorf("ReadNow() error = %v, want *ledger.NotAllowedError next %v", err, next)
	}
}

func TestSchedulerAsleepLegacyIsNeverRead(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	tg := target("a", "legacy")
	tg.Facts.Asleep = true
	s := newScheduler(testConfig(), store, api, tg)
	if next := s.Step(context.Background(), t0); !next.IsZero() {
		t.Errorf("Step() = %v, want zero (nothing to do)", next)
	}
	var na *ledger.NotAllowedError
	if _, err := s.ReadNow(context.Background(), "a", t0); !errors.As(err, &na) || !na.Next.IsZero() {
		t.Errorf("ReadNow(asleep legacy) error = %v, want *ledger.NotAllowedError with no next", err)
	}
	if got := api.ids(); len(got) != 0 {
		t.Errorf("calls = %v, want none", got)
	}
}

// TestSchedulerRechecksTheStore has another console read the vehicle after the scheduler loaded its targets: the
// scheduler's copy says the gate is open, the store says it is not, and the store wins.
func TestSchedulerRechecksTheStore(t *testing.T) {
	store := stateFile(t, ledger.State{})
	api := newFakeAPI(store)
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	updates, cancel := s.Subscribe()
	defer cancel()
	if _, err := ledger.RecordRead(openLedger(t, store.Path(), ledger.State{}), "a", t0); err != nil {
		t.Fatal(err)
	}
	if next := s.Step(context.Background(), t0.Add(time.Minute)); !next.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("Step() = %v, want %v (the other console's read + 5m)", next, t0.Add(5*time.Minute))
	}
	var na *ledger.NotAllowedError
	if _, err := s.ReadNow(context.Background(), "a", t0.Add(2*time.Minute)); !errors.As(err, &na) {
		t.Errorf("ReadNow() error = %v, want *ledger.NotAllowedError", err)
	}
	if got := api.ids(); len(got) != 0 {
		t.Errorf("calls = %v, want none", got)
	}
	if st := s.Status(t0.Add(2 * time.Minute)); st.Tokens != schedule.DefaultBucketSize || st.InFlight != 0 {
		t.Errorf("Status() tokens, in flight = %v, %d; want %d (refused reads give their token back), 0", st.Tokens,
			st.InFlight, schedule.DefaultBucketSize)
	}
	for u := range updates {
		if u.ID == "a" {
			if !u.Record.LastReadAt.Equal(t0) {
				t.Errorf("update of a = %+v, want the stored record (LastReadAt %v)", u.Record, t0)
			}
			break
		}
	}
}

func TestSchedulerSetTargets(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	s := newScheduler(testConfig(), store, api, target("a", "legacy"), target("b", "legacy"))
	s.Step(context.Background(), t0)
	s.SetTargets([]schedule.Target{target("b", "legacy"), target("c", "installed")})
	s.Step(context.Background(), t0.Add(5*time.Minute))
	if got, want := api.ids(), []string{"a", "b", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v (a no longer a target; c new, never read, so first)", got, want)
	}
	if _, err := s.ReadNow(context.Background(), "a", t0.Add(time.Hour)); err == nil {
		t.Errorf("ReadNow(removed target) error = nil, want an error")
	}
	if st := s.Status(t0); st.Vehicles != 2 {
		t.Errorf("Status().Vehicles = %d, want 2", st.Vehicles)
	}
}

func TestSchedulerStoreFailure(t *testing.T) {
	store := stateFile(t, ledger.State{})
	store.Close() // every operation now fails: what a lost database looks like
	api := newFakeAPI(ledger.NewMemoryStore(ledger.State{}))
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	next := s.Step(context.Background(), t0)
	if st := s.Status(t0); !isClosed(st.Err) || !st.PausedUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("Status() err, paused until = %v, %v; want the closed database, %v", st.Err, st.PausedUntil,
			t0.Add(time.Minute))
	}
	if !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("Step() = %v, want %v", next, t0.Add(time.Minute))
	}
	if _, err := s.ReadNow(context.Background(), "a", t0.Add(time.Minute)); !isClosed(err) {
		t.Errorf("ReadNow() error = %v, want the closed database", err)
	}
	if got := api.ids(); len(got) != 0 {
		t.Errorf("calls = %v, want none: a read whose time cannot be recorded is not sent", got)
	}
}

// isClosed says err is a closed database's.
func isClosed(err error) bool {
	return err != nil && strings.Contains(err.Error(), "database is closed")
}
