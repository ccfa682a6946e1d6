package ui

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
)

// BenchmarkSessionCost is what one more console costs over rows shared by serve's sessions: the live heap that
// sessions consoles add, each subscribed to one Shared, sized 100×30 and drawn once, divided by sessions
// (MB/session), at 10 000 and 100 000 vehicles. ns/op is the start of one console.
//
//	go test ./ui -run '^$' -bench SessionCost -benchtime 1x -count 3
func BenchmarkSessionCost(b *testing.B) {
	const sessions = 20
	for _, n := range fleetSizes[1:] {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := NewShared(ctx, bigFleet(n), policy.DefaultIntervals(), make(chan fleet.Change), func() time.Time { return testNow })
			var per float64
			for b.Loop() {
				b.StopTimer()
				before := heapNow()
				b.StartTimer()
				models := make([]Model, sessions)
				for i := range models {
					models[i] = newTestModel(b, 100, 30, Options{Feed: s.Subscribe(ctx), Records: noRecords{}})
					_ = models[i].View()
				}
				b.StopTimer()
				per += float64(heapNow()-before) / sessions
				runtime.KeepAlive(models)
				b.StartTimer()
			}
			b.ReportMetric(per/float64(b.N)/(1<<20), "MB/session")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sessions)/1e6, "ms/session")
		})
	}
}
