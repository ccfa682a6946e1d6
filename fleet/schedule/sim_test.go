package schedule_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

// simKinds are the true key cases of the simulated fleet, in turn: the config knows only that legacy vehicles are
// legacy; the scheduler learns the rest from the reads.
var simKinds = []string{"legacy", "installed", "keyless", "unknown"}

// simStore is the ledger of the long simulations: a ledger.MemoryStore, whose Update costs O(records changed), as
// a week of 1 000 vehicles makes some 1.2 million updates.
type simStore struct{ *ledger.MemoryStore }

func newSimStore() *simStore { return &simStore{ledger.NewMemoryStore(ledger.State{})} }

// lastRead returns the read time stored for id, a reservation included.
func (m *simStore) lastRead(id string) time.Time {
	st, _ := m.Get([]string{id})
	return st.Vehicles[id].ReadAt()
}

// simBucket is the fake API's own app-wide bucket, written independently of the scheduler's: whole tokens, refilled
// one per every, and a full bucket banks no time.
type simBucket struct {
	size, tokens int
	every        time.Duration
	last         time.Time
}

func (b *simBucket) take(now time.Time) bool {
	if b.tokens < b.size {
		n := int(now.Sub(b.last) / b.every)
		b.tokens = min(b.size, b.tokens+n)
		b.last = b.last.Add(time.Duration(n) * b.every)
	}
	if b.tokens == b.size {
		b.last = now
	}
	if b.tokens == 0 {
		return false
	}
	b.tokens--
	return true
}

// simAPI is the fake API of the simulations. It knows each vehicle's true key case and enforces the rules itself:
// a read earlier than the true interval after the vehicle's previous read is a violation, and a request without a
// token of its own bucket is rejected with a 429 SMARTCAR_API. It measures how soon each window was used and how
// old each vehicle's data got.
type simAPI struct {
	now    *time.Time
	store  *simStore
	start  time.Time
	iv     policy.Intervals
	kind   map[string]string
	bucket simBucket
	last   map[string]time.Time

	reads, violations, rejections, unrecorded int
	windows, onTime                           int           // reads after a first; those within a minute of the window
	maxGap                                    time.Duration // the longest a vehicle's data aged
}

func (a *simAPI) Vehicles(context.Context) ([]schedule.RemoteVehicle, error) { return nil, nil }

func (a *simAPI) Prepare(context.Context) error { return nil }

func (a *simAPI) Read(_ context.Context, v schedule.RemoteVehicle) (ledger.Reading, error) {
	now := *a.now
	if !a.bucket.take(now) {
		a.rejections++
		return ledger.Reading{}, fmt.Errorf("%w: 429 SMARTCAR_API", schedule.ErrAppRateLimited)
	}
	if a.store.lastRead(v.ID).Before(now) { // the time recorded before the send must not precede it
		a.unrecorded++
	}
	a.reads++
	interval := a.iv.Of(map[string]policy.Badge{"legacy": policy.Legacy, "installed": policy.KeyInstalled}[a.kind[v.ID]])
	if prev, ok := a.last[v.ID]; ok {
		if now.Before(prev.Add(interval)) {
			a.violations++
		}
		a.windows++
		if now.Sub(prev.Add(interval)) <= time.Minute {
			a.onTime++
		}
		a.maxGap = max(a.maxGap, now.Sub(prev))
	} else {
		a.maxGap = max(a.maxGap, now.Sub(a.start))
	}
	a.last[v.ID] = now
	return simReading(a.kind[v.ID], v.ID, now), nil
}

// simReading is what a vehicle of a kind answers: its key signal as that kind reports it.
func simReading(kind, id string, now time.Time) ledger.Reading {
	r := ledger.Reading{At: now, Battery: ledger.Value[float64]{Status: ledger.StatusOK, V: 50, UpdatedAt: now},
		VIN: ledger.Value[string]{Status: ledger.StatusOK, V: "VIN-" + id}}
	switch kind {
	case "installed":
		r.KeyPaired = ledger.Value[bool]{Status: ledger.StatusOK, V: true}
	case "keyless":
		r.KeyPaired = ledger.Value[bool]{Status: ledger.StatusOK, V: false}
		r.KeyMissing = len(id)%2 == 0 // half say so by VIRTUAL_KEY_REQUIRED too
	case "unknown":
		r.KeyPaired = ledger.Value[bool]{Status: ledger.StatusUnavailable}
	}
	return r
}

// sim is one simulation: a fleet, its fake API and a scheduler.
type sim struct {
	clock time.Time
	api   *simAPI
	sched *schedule.Scheduler
	steps int
}

// newSim returns a simulation of n vehicles, a quarter of each kind, every badge read automatically.
func newSim(n, bucketSize int, refill float64) *sim {
	s := &sim{clock: t0}
	store := newSimStore()
	iv := policy.DefaultIntervals()
	s.api = &simAPI{now: &s.clock, store: store, start: t0, iv: iv, kind: map[string]string{},
		last: map[string]time.Time{}, bucket: simBucket{size: bucketSize, tokens: bucketSize,
			every: time.Duration(float64(time.Minute) / refill), last: t0}}
	cfg := schedule.Config{Intervals: iv, Auto: allBadges, BucketSize: bucketSize, RefillPerMinute: refill,
		Inline: true, Rand: rand.New(rand.NewPCG(42, 7))}
	s.sched = schedule.New(cfg, store, s.api)
	ts := make([]schedule.Target, n)
	for i := range ts {
		id, kind := fmt.Sprintf("v%05d", i), simKinds[i%len(simKinds)]
		s.api.kind[id] = kind
		ts[i] = target(id, map[string]string{"legacy": "legacy"}[kind]) // the config knows no key status
	}
	s.sched.SetTargets(ts)
	return s
}

// run advances the clock by d, to each time Step returns, a minute at most.
func (s *sim) run(t testing.TB, d time.Duration) {
	end := s.clock.Add(d)
	for s.clock.Before(end) {
		next := s.sched.Step(context.Background(), s.clock)
		s.steps++
		if !next.IsZero() && !next.After(s.clock) {
			t.Fatalf("Step(%v) = %v: not after now", s.clock, next)
		}
		if next.IsZero() || next.After(s.clock.Add(time.Minute)) {
			next = s.clock.Add(time.Minute)
		}
		s.clock = next
	}
}

// staleness returns the longest any vehicle's data aged, counting up to the end of the run.
func (s *sim) staleness() time.Duration {
	worst := s.api.maxGap
	for id := range s.api.kind {
		if last, ok := s.api.last[id]; ok {
			worst = max(worst, s.clock.Sub(last))
		} else {
			worst = max(worst, s.clock.Sub(t0))
		}
	}
	return worst
}

const week = 7 * 24 * time.Hour

func TestSchedulerSimulatedWeek(t *testing.T) {
	const vehicles = 1000
	t.Run("bucket for every allowed read", func(t *testing.T) {
		s := newSim(vehicles, 10_000_000, 2)
		s.run(t, week)
		a := s.api
		onTime := float64(a.onTime) / float64(a.windows)
		t.Logf("reads %d, steps %d, violations %d, rejections %d, unrecorded %d, windows used within 1m %d/%d "+
			"(%.4f%%)", a.reads, s.steps, a.violations, a.rejections, a.unrecorded, a.onTime, a.windows, 100*onTime)
		checkClean(t, a)
		if onTime < 0.99 {
			t.Errorf("windows used within 1m of opening = %.4f, want at least 0.99", onTime)
		}
	})
	t.Run("default bucket", func(t *testing.T) {
		s := newSim(vehicles, schedule.DefaultBucketSize, schedule.DefaultRefillPerMinute)
		s.run(t, week)
		a := s.api
		capacity := float64(schedule.DefaultBucketSize) + schedule.DefaultRefillPerMinute*week.Minutes()
		// Fair share: R reads a minute among N vehicles read each every N/R minutes; allow half as much again.
		fair := time.Duration(1.5 * vehicles / schedule.DefaultRefillPerMinute * float64(time.Minute))
		t.Logf("reads %d of a capacity of %.0f (%.2f%%), steps %d, violations %d, rejections %d, unrecorded %d, "+
			"oldest data %v (fair bound %v)", a.reads, capacity, 100*float64(a.reads)/capacity, s.steps,
			a.violations, a.rejections, a.unrecorded, s.staleness(), fair)
		checkClean(t, a)
		if float64(a.reads) < 0.95*capacity {
			t.Errorf("reads = %d, want at least 95%% of the bucket's capacity %.0f", a.reads, capacity)
		}
		if got := s.staleness(); got > fair {
			t.Errorf("oldest data = %v, want at most %v", got, fair)
		}
		if st := s.sched.Status(s.clock); !st.BucketLimited {
			t.Errorf("Status().BucketLimited = false, want true: the bucket, not the rules, limits this run")
		}
	})
}

// checkClean fails the test for any violation, rejection, or read whose time was not recorded before it arrived.
func checkClean(t *testing.T, a *simAPI) {
	t.Helper()
	if a.violations != 0 || a.rejections != 0 || a.unrecorded != 0 {
		t.Errorf("violations, rejections, unrecorded = %d, %d, %d; want 0, 0, 0", a.violations, a.rejections,
			a.unrecorded)
	}
}
