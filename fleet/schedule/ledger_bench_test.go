package schedule_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/ledger/ledgertest"
	"fleetkey/fleet/ledger/pgtest"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

// BenchmarkSchedulerReads measures the reads per second the scheduler sustains over each ledger at 10 000 vehicles
// when neither the API nor the bucket limits it: the real scheduler (Run, not Inline: each read in its goroutine)
// with the default 4 or 64 reads in flight, over an API that answers at once, a bucket of a billion tokens, intervals
// of 1 ms and no jitter, so every vehicle is always due and the ledger's writes (the grants, one Update per Step's
// batch, and one outcome per read) are the limit. One op is one read reaching the API. The ledgers start with every
// vehicle's history. PostgreSQL runs with production durability (see durablePostgres), as SQLite's synchronous=FULL.
// The JSON state file is no Ledger any more: its figure is 1 / its per-read time in BenchmarkReadCost of package
// ledger (its updates take an exclusive lock, so concurrency cannot help it).
//
// sqlite+writelock is the same SQLite ledger with its Updates taken one at a time under a mutex of this process: not
// the product, but what an in-process write lock would give, as writers in one process otherwise queue on SQLite's
// busy handler, which sleeps (1 ms, 2 ms, … 100 ms) and is not woken when the lock is free. The update metrics are
// the latency of the scheduler's Update calls (p99-update-ms, max-update-ms) and how many it makes per read.
//
//	go test ./fleet/schedule -run '^$' -bench SchedulerReads -count 3
func BenchmarkSchedulerReads(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite", "sqlite+writelock", "postgres"} {
		for _, conc := range []int{schedule.DefaultConcurrency, 64} {
			b.Run(fmt.Sprintf("%s/%d", kind, conc), func(b *testing.B) {
				now := time.Now()
				st, ts := fleetHistories(benchVehicles, now)
				base, _, lock := strings.Cut(kind, "+")
				l := &timedLedger{Ledger: seededLedger(b, base, st, now), serial: lock}
				benchSchedulerReads(b, l, ts, conc)
				b.ReportMetric(float64(len(l.took))/float64(b.N), "updates/read")
				slices.Sort(l.took)
				b.ReportMetric(float64(l.took[len(l.took)*99/100])/1e6, "p99-update-ms")
				b.ReportMetric(float64(l.took[len(l.took)-1])/1e6, "max-update-ms")
			})
		}
	}
}

// benchSchedulerReads runs a scheduler over l and ts with conc reads in flight for b.N reads.
func benchSchedulerReads(b *testing.B, l ledger.Ledger, ts []schedule.Target, conc int) {
	api := &instantAPI{reads: make(chan struct{}, 1<<16)}
	iv := policy.Intervals{Legacy: time.Millisecond, KeyInstalled: time.Millisecond, Keyless: time.Millisecond}
	s := schedule.New(schedule.Config{Intervals: iv, Auto: allBadges, BucketSize: 1_000_000_000,
		RefillPerMinute: 1e12, Concurrency: conc, Jitter: -1}, l, api)
	s.SetTargets(ts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := false
	for b.Loop() {
		if !started { // the clock runs from the first read's wait
			go func() { done <- s.Run(ctx, time.Now) }()
			started = true
		}
		<-api.reads
	}
	err := s.Status(time.Now()).Err // a store that failed
	cancel()
	<-done
	if err != nil {
		b.Fatalf("scheduler error: %v", err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// timedLedger is a Ledger that times its Updates; serial takes them one at a time.
type timedLedger struct {
	ledger.Ledger
	serial bool
	lock   sync.Mutex // held across an Update when serial

	mu   sync.Mutex
	took []time.Duration
}

func (t *timedLedger) Update(ids []string, now time.Time, fn func(ledger.State, time.Time) ledger.State) (
	ledger.State, error) {
	began := time.Now()
	if t.serial {
		t.lock.Lock()
		defer t.lock.Unlock()
	}
	st, err := t.Ledger.Update(ids, now, fn)
	took := time.Since(began)
	t.mu.Lock()
	t.took = append(t.took, took)
	t.mu.Unlock()
	return st, err
}

// instantAPI is a schedule.API whose reads answer at once with a good reading, each told on reads (or dropped
// when nobody listens any more). Like a real one, it prepares nothing once ctx is done: the scheduler's Step goes on
// taking batches while slots free up and Prepare succeeds.
type instantAPI struct {
	reads chan struct{}
}

func (a *instantAPI) Prepare(ctx context.Context) error { return ctx.Err() }

func (a *instantAPI) Read(_ context.Context, v schedule.RemoteVehicle) (ledger.Reading, error) {
	select {
	case a.reads <- struct{}{}:
	default:
	}
	return ledgertest.Reading(time.Now(), "5YJ3E1EA0PF"+v.ID[len(v.ID)-6:], len(v.ID)), nil
}

// fleetHistories returns n vehicles with their key installed, each with the record of a good read in the 8 hours
// before now, and their targets.
func fleetHistories(n int, now time.Time) (ledger.State, []schedule.Target) {
	st := ledger.State{Vehicles: make(map[string]ledger.Record, n)}
	ts := make([]schedule.Target, n)
	f := policy.Facts{Make: "Tesla", Model: "Model 3", Year: 2023, Key: policy.KeyPaired}
	for i := range n {
		id := fmt.Sprintf("%08x-4b1e-4c2d-9f3a-%012d", i*2654435761%(1<<32), i)
		at := now.Add(-time.Duration(i%480)*time.Minute - time.Hour)
		st.Vehicles[id] = ledgertest.Record(at, i)
		ts[i] = schedule.Target{ID: id, Facts: f, Remote: schedule.RemoteVehicle{ID: id, UserID: "user-" + id[:8],
			Make: f.Make, Model: f.Model, Year: f.Year, Mode: "live"}}
	}
	return st, ts
}

// seededLedger returns a ledger of kind (memory, sqlite or postgres) holding st, closed at the end.
func seededLedger(tb testing.TB, kind string, st ledger.State, now time.Time) ledger.Ledger {
	var l ledger.Ledger
	var err error
	switch kind {
	case "memory":
		return ledger.NewMemoryStore(st)
	case "sqlite":
		l, err = ledger.OpenSQLite(filepath.Join(tb.TempDir(), "ledger.db"))
	default:
		l, err = ledger.OpenPostgres(durablePostgres(tb).URL(tb), ledger.PostgresOptions{CallerClock: true})
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	if err := ledger.Put(l, st, now); err != nil {
		tb.Fatal(err)
	}
	return l
}

// durablePostgres starts a server with PostgreSQL's own defaults for what pgtest turns off or down for quick tests
// (fsync, full_page_writes, shared_buffers), so a commit waits for its WAL on disk as SQLite's does.
func durablePostgres(tb testing.TB) *pgtest.Server {
	srv := pgtest.Start(tb)
	admin, err := sql.Open("pgx", srv.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range []string{"ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on",
		"ALTER SYSTEM SET shared_buffers = '128MB'"} {
		if _, err := admin.Exec(q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	admin.Close()
	srv.Kill(tb) // shared_buffers needs a restart
	srv.Restart(tb)
	return srv
}
