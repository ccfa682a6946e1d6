package ui

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
)

var fleetSizes = []int{100, 10_000, 100_000}

// bigFleet is n vehicles of every badge with read history spread over the last 9 hours.
func bigFleet(n int) []fleet.Entry {
	models := []struct {
		model string
		year  int
		key   policy.KeyStatus
	}{{"Model S", 2016, policy.KeyUnknown}, {"Model 3", 2022, policy.KeyPaired}, {"Model Y", 2023, policy.KeyMissing}, {"Model X", 2024, policy.KeyUnknown}}
	out := make([]fleet.Entry, n)
	for i := range out {
		m := models[i%len(models)]
		v := fleet.Vehicle{ID: "v" + strconv.Itoa(i), VIN: fmt.Sprintf("5YJ3E1EA%09d", i), Name: fmt.Sprintf("Depot %d – van %d", i%97, i),
			Make: "Tesla", Model: m.model, Year: m.year, Key: m.key}
		e := fleet.Entry{Vehicle: v, Badge: policy.BadgeOf(v.Facts()), KeyURL: freeURL}
		e.LastRead = testNow.Add(-time.Duration(i%(9*3600)) * time.Second)
		out[i] = e
	}
	return out
}

// BenchmarkView renders a whole frame after a tick (the cache is invalidated each time, as a tick does).
func BenchmarkView(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := newTestModel(b, 100, 30, Options{Entries: bigFleet(n)})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m.touch()
				m.now = testNow.Add(time.Duration(i) * time.Second)
				_ = m.View()
			}
		})
	}
}

// BenchmarkTick is the tick message through Update, then View: the work of one second of the console.
func BenchmarkTick(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := newTestModel(b, 100, 30, Options{Entries: bigFleet(n)})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				next, _ := m.Update(tickAt(time.Duration(i) * time.Second))
				m = next.(Model)
				_ = m.View()
			}
		})
	}
}

// BenchmarkFilter is one keystroke of the filter: the view made again over every vehicle.
func BenchmarkFilter(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := newTestModel(b, 100, 30, Options{Entries: bigFleet(n), Records: noRecords{}})
			queries := []string{"depot 4", "keyless", "5yj3e1ea0000123", "model y"}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m.list.setFilter(queries[i%len(queries)])
			}
		})
	}
}

// BenchmarkLoad100k builds the console's rows for 100 000 vehicles (done when the data changes, not per frame) and
// reports, once the input slice is garbage, the live heap and the process's resident memory with the console alive,
// and what the console keeps per vehicle (the heap it adds over the heap before, divided by the vehicles). The
// console loads the detail pane's entry from its Records, as the real one does.
func BenchmarkLoad100k(b *testing.B) {
	const n = 100_000
	var m Model
	before := heapNow()
	for b.Loop() {
		b.StopTimer()
		entries := bigFleet(n)
		b.StartTimer()
		m = newTestModel(b, 100, 30, Options{Entries: entries, Records: noRecords{}})
	}
	b.StopTimer()
	heap := heapNow()
	b.ReportMetric(float64(heap)/(1<<20), "MB-heap")
	b.ReportMetric(float64(heap-before)/n, "B/vehicle")
	b.ReportMetric(rssMB(b), "MB-rss")
	runtime.KeepAlive(m)
}

// rssMB reads the resident set size from /proc/self/status.
func rssMB(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// heapNow is the live heap after a full collection.
func heapNow() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
