package schedule_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

func TestSchedulerBucketSharesOldestFirst(t *testing.T) {
	last := map[string]time.Duration{"v1": time.Hour, "v3": 2 * time.Hour, "v4": 10 * time.Minute, "v5": 30 * time.Minute}
	initial := map[string]ledger.Record{}
	for id, ago := range last {
		initial[id] = ledger.Record{LastReadAt: t0.Add(-ago)}
	}
	store := ledger.NewMemoryStore(records(initial))
	api := newFakeAPI(store)
	cfg := testConfig()
	cfg.BucketSize, cfg.Concurrency = 3, 10
	var ts []schedule.Target
	for _, id := range []string{"v1", "v2", "v3", "v4", "v5"} {
		ts = append(ts, target(id, "legacy"))
	}
	s := newScheduler(cfg, store, api, ts...)
	steps := []struct {
		now         time.Time
		wantCalls   []string
		wantNext    time.Time
		wantLimited bool
	}{
		{now: t0, wantCalls: []string{"v2", "v3", "v1"}, wantNext: t0.Add(30 * time.Second), wantLimited: true},
		{now: t0.Add(30 * time.Second), wantCalls: []string{"v5"}, wantNext: t0.Add(time.Minute), wantLimited: true},
		{now: t0.Add(time.Minute), wantCalls: []string{"v4"}, wantNext: t0.Add(5 * time.Minute)},
	}
	calls := 0
	for _, st := range steps {
		next := s.Step(context.Background(), st.now)
		got := api.ids()[calls:]
		calls += len(got)
		if !slices.Equal(got, st.wantCalls) || !next.Equal(st.wantNext) {
			t.Errorf("Step(t0+%v) = %v calling %v; want %v calling %v", st.now.Sub(t0), next, got, st.wantNext,
				st.wantCalls)
		}
		if status := s.Status(st.now); status.BucketLimited != st.wantLimited {
			t.Errorf("Step(t0+%v): Status().BucketLimited = %v, want %v", st.now.Sub(t0), status.BucketLimited,
				st.wantLimited)
		}
	}
}

func TestSchedulerReadNowSpendsTheBucket(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	cfg := testConfig()
	cfg.BucketSize, cfg.Auto = 1, nil // nothing automatic
	s := newScheduler(cfg, store, api, target("a", "keyless"), target("b", "keyless"))
	if next := s.Step(context.Background(), t0); !next.IsZero() || len(api.ids()) != 0 {
		t.Fatalf("Step() with no auto badge = %v calling %v; want zero, none", next, api.ids())
	}
	if _, err := s.ReadNow(context.Background(), "a", t0); err != nil {
		t.Fatalf("ReadNow(a) error = %v", err)
	}
	var na *ledger.NotAllowedError
	if _, err := s.ReadNow(context.Background(), "b", t0); !errors.As(err, &na) || !na.Next.Equal(t0.Add(30*time.Second)) {
		t.Errorf("ReadNow(b) with an empty bucket error = %v, want *ledger.NotAllowedError next %v", err, t0.Add(30*time.Second))
	}
	if _, err := s.ReadNow(context.Background(), "b", t0.Add(30*time.Second)); err != nil {
		t.Errorf("ReadNow(b) when a token is back error = %v", err)
	}
	if got := api.ids(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("calls = %v, want [a b]", got)
	}
}

func TestSchedulerConcurrency(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.hold = true
	cfg := testConfig()
	cfg.Inline, cfg.Concurrency = false, 2
	s := newScheduler(cfg, store, api, target("a", "legacy"), target("b", "legacy"), target("c", "legacy"),
		target("d", "legacy"))
	for round := range 2 {
		s.Step(context.Background(), t0)
		s.Step(context.Background(), t0) // slots full: starts nothing more
		if st := s.Status(t0); st.InFlight != 2 || st.Ready != 2-2*round || st.BucketLimited {
			t.Errorf("round %d: Status() in flight, ready, limited = %d, %d, %v; want 2, %d, false", round,
				st.InFlight, st.Ready, st.BucketLimited, 2-2*round)
		}
		got := []string{<-api.arrived, <-api.arrived}
		slices.Sort(got)
		if want := []string{"ab", "cd"}[round]; got[0]+got[1] != want {
			t.Errorf("round %d: arrived %v, want %s", round, got, want)
		}
		api.release <- struct{}{}
		api.release <- struct{}{}
		s.Wait()
	}
	if got := len(api.ids()); got != 4 {
		t.Errorf("calls = %d, want 4", got)
	}
}

func TestSchedulerJitterSpreadsABurst(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	cfg := testConfig()
	cfg.Jitter, cfg.Concurrency, cfg.BucketSize = 20*time.Second, 1000, 1000
	var ts []schedule.Target
	for i := range 300 {
		ts = append(ts, target(string(rune('A'+i/26))+string(rune('a'+i%26)), "legacy"))
	}
	ts = append(ts, target("manual", "keyless"))
	cfg.Auto = map[policy.Badge]bool{policy.Legacy: true}
	s := newScheduler(cfg, store, api, ts...)
	if _, err := s.ReadNow(context.Background(), "manual", t0); err != nil {
		t.Errorf("ReadNow() at t0 error = %v: a manual read has no jitter", err)
	}
	perInstant := map[time.Time]int{}
	for now := t0; !now.IsZero() && now.Before(t0.Add(time.Minute)); {
		before := len(api.ids())
		next := s.Step(context.Background(), now)
		if n := len(api.ids()) - before; n > 0 {
			perInstant[now] += n
		}
		now = next
	}
	reads := 0
	for at, n := range perInstant {
		reads += n
		if at.Before(t0) || at.After(t0.Add(20*time.Second)) || n > 3 {
			t.Errorf("%d reads at t0+%v, want at most 3 at any instant within 20s", n, at.Sub(t0))
		}
	}
	if reads != 300 || len(perInstant) < 280 {
		t.Errorf("%d reads at %d instants, want 300 reads at 280 or more", reads, len(perInstant))
	}
}
