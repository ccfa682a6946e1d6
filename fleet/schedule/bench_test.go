package schedule_test

import (
	"context"
	"fleetkey/fleet/schedule"
	"runtime"
	"testing"
	"time"
)

// benchVehicles is the fleet size of the benchmarks.
const benchVehicles = 10_000

// BenchmarkSchedulerHour measures the scheduler's CPU per simulated hour of a 10 000-vehicle fleet in its steady
// state (every vehicle read once and its key status learned), a quarter of each key case, every badge automatic,
// with the fake API and store of the simulations. Unlimited: a bucket for every allowed read (about 36 000 reads an
// hour); default: Smartcar's bucket (120 reads an hour).
func BenchmarkSchedulerHour(b *testing.B) {
	for _, bc := range []struct {
		name   string
		bucket int
	}{{name: "unlimited", bucket: 100_000_000}, {name: "default", bucket: schedule.DefaultBucketSize}} {
		b.Run(bc.name, func(b *testing.B) {
			s := newSim(benchVehicles, bc.bucket, schedule.DefaultRefillPerMinute)
			s.run(b, 9*time.Hour) // past the first 8-hour window of the keyless vehicles
			reads := s.api.reads
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.run(b, time.Hour)
			}
			b.StopTimer()
			b.ReportMetric(float64(s.api.reads-reads)/float64(b.N), "reads/hour")
			if a := s.api; a.violations != 0 || a.rejections != 0 || a.unrecorded != 0 {
				b.Fatalf("violations, rejections, unrecorded = %d, %d, %d; want 0, 0, 0", a.violations, a.rejections,
					a.unrecorded)
			}
		})
	}
}

// BenchmarkSchedulerMemory measures the heap the scheduler itself holds for 10 000 vehicles whose records all have
// a reading (scheduler-MB: entries, heaps, targets, record copies; the readings are shared with the state), and the
// state's heap with the fake API's bookkeeping (state-MB). ns/op is the cost of SetTargets and a first Step at
// 10 000 vehicles.
func BenchmarkSchedulerMemory(b *testing.B) {
	before := heapBytes()
	s := newSim(benchVehicles, 100_000_000, schedule.DefaultRefillPerMinute)
	s.run(b, time.Hour) // every vehicle read once
	store, api, ts := s.api.store, s.api, targetsOf(s)
	s.sched = nil
	state := heapBytes() - before
	var sched *schedule.Scheduler
	var grown uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		sched = nil
		base := heapBytes()
		b.StartTimer()
		sched = schedule.New(schedule.Config{Auto: allBadges, Inline: true}, store, api)
		sched.SetTargets(ts)
		sched.Step(context.Background(), s.clock)
		b.StopTimer()
		grown = heapBytes() - base
		b.StartTimer()
	}
	runtime.KeepAlive(sched)
	b.ReportMetric(float64(grown)/1e6, "scheduler-MB")
	b.ReportMetric(float64(state)/1e6, "state-MB")
}

// targetsOf returns the targets of a simulation's fleet.
func targetsOf(s *sim) []schedule.Target {
	ts := make([]schedule.Target, 0, len(s.api.kind))
	for id, kind := range s.api.kind {
		ts = append(ts, target(id, map[string]string{"legacy": "legacy"}[kind]))
	}
	return ts
}

// heapBytes returns the live heap after a full collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
