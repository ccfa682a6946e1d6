package schedule_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

// TestSchedulerSlowSubscriber reads while a subscriber reads nothing, then checks that the subscriber gets each
// vehicle's latest record, coalesced, and that cancel closes the feed.
func TestSchedulerSlowSubscriber(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	s := newScheduler(testConfig(), store, api, target("a", "legacy"), target("b", "legacy"))
	updates, cancel := s.Subscribe()
	_, cancelIdle := s.Subscribe() // never read at all
	defer cancelIdle()
	var last time.Time
	for i := range 10 {
		last = t0.Add(time.Duration(i) * 5 * time.Minute)
		for _, id := range []string{"a", "b"} {
			if _, err := s.ReadNow(context.Background(), id, last); err != nil {
				t.Fatalf("ReadNow(%s, +%v) error = %v", id, last.Sub(t0), err)
			}
		}
	}
	got := map[string]int{}
	for !latest(t, updates, got, last) || got["a"] == 0 {
		if got["a"]+got["b"] > 4 {
			t.Fatalf("received %v updates before the latest of each vehicle, want at most 4", got)
		}
	}
	cancel()
	for u := range updates { // drains, then ends: cancel closes the channel
		_ = u
	}
}

// latest receives one update, counts it, and reports whether it is the latest record of b (b is read last).
func latest(t *testing.T, updates <-chan schedule.Update, got map[string]int, last time.Time) bool {
	t.Helper()
	u, ok := <-updates
	if !ok {
		t.Fatal("feed closed before cancel")
	}
	got[u.ID]++
	return u.ID == "b" && u.Record.LastReadAt.Equal(last) && u.Record.Reading != nil
}

func TestSchedulerRun(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.hold = true
	cfg := testConfig()
	cfg.Inline = false
	s := newScheduler(cfg, store, api, target("a", "legacy"))
	updates, cancel := s.Subscribe()
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func() time.Time { return t0 }) }()
	if id := <-api.arrived; id != "a" {
		t.Errorf("Run read %s, want a", id)
	}
	api.release <- struct{}{}
	for u := range updates {
		if u.ID == "a" && u.Record.Reading != nil {
			break // the answer is recorded
		}
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	// The read is dated when its answer came, measured from t0 on the real clock: never before the send.
	if r := record(t, store, "a"); r.Reading == nil || r.LastReadAt.Before(t0) || !r.ReservedAt.IsZero() {
		t.Errorf("record after Run = %+v, want a reading read at %v or later, and no reservation left", r, t0)
	}
}

// countingStore is a ledger.MemoryStore that counts the calls it gets.
type countingStore struct {
	*ledger.MemoryStore
	loads, updates int
}

func (c *countingStore) Load() (ledger.State, error) {
	c.loads++
	return c.MemoryStore.Load()
}

func (c *countingStore) Update(ids []string, now time.Time, fn func(ledger.State, time.Time) ledger.State) (ledger.State, error) {
	c.updates++
	return c.MemoryStore.Update(ids, now, fn)
}

// TestSchedulerIdleStepTouchesNothing checks that a Step with nothing due neither loads the state nor writes it:
// the scheduler works from its heaps, not from a scan of the fleet.
func TestSchedulerIdleStepTouchesNothing(t *testing.T) {
	store := &countingStore{MemoryStore: ledger.NewMemoryStore(ledger.State{})}
	api := newFakeAPI(store.MemoryStore)
	s := newScheduler(testConfig(), store, api, target("a", "legacy"), target("b", "installed"))
	next := s.Step(context.Background(), t0) // reads both: one Update to record them, one per answer
	loads, updates := store.loads, store.updates
	if updates != 3 {
		t.Errorf("Step() reading 2 vehicles made %d store updates, want 3", updates)
	}
	for range 10 {
		s.Step(context.Background(), next.Add(-time.Second))
	}
	if store.loads != loads || store.updates != updates {
		t.Errorf("idle Steps made %d loads, %d updates; want none", store.loads-loads, store.updates-updates)
	}
}
