package config

import (
	"fleetkey/fleet/config/configtest"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkParse parses a synthetic fleet of 100, 10 000 and 100 000 vehicles (configtest.Fleet). Besides time and
// allocations it reports B/vehicle-kept: the live heap the returned Config holds, per vehicle, measured once outside
// the timed loop with the file's buffer dropped, so a Config that kept substrings of the file would show the whole
// file here.
//
//	go test -run '^$' -bench Parse -benchtime 5x ./fleet/config/
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("vehicles=%d", n), func(b *testing.B) {
			data := configtest.Fleet(n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseConfig("fleet.toml", data, configTestNow); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(keptPerVehicle(b, n), "B/vehicle-kept")
		})
	}
}

// keptPerVehicle parses a fresh synthetic fleet of n vehicles, drops the file's buffer and returns the growth of the
// live heap (after a GC) per vehicle while the Config is held.
func keptPerVehicle(b *testing.B, n int) float64 {
	b.Helper()
	var before, after runtime.MemStats
	settle()
	runtime.ReadMemStats(&before)
	cfg, err := parseConfig("fleet.toml", configtest.Fleet(n), configTestNow)
	if err != nil {
		b.Fatal(err)
	}
	settle()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(cfg)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// settle collects garbage twice: once for the heap, once more for what sync.Pools (the decoder's among them) kept
// for a GC cycle in their victim caches.
func settle() {
	runtime.GC()
	runtime.GC()
}
