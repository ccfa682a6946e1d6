package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"fleetkey/fleet/config/configtest"
	"fleetkey/ui"
)

// BenchmarkFirstRowTOML measures the console's start path on a TOML config of 100, 10 000 and 100 000 vehicles
// (configtest.Fleet, written once per size), against the in-process `fleetkey check` of the same file in the same
// run. The first row is what runConsole does before Bubble Tea takes the terminal: loadApp, Entries and ui.New,
// then one 100×30 WindowSizeMsg through Update and View; the frame must show a vehicle of the config. The check is
// runCheck on the file, which must say "ok: N vehicles". Every op has a fresh, empty SQLite ledger in a new
// $XDG_STATE_HOME, made outside the timer, so each first row opens and creates its ledger as a first start does;
// the heap is collected, also outside the timer, before each of the two timed parts.
//
// firstrow-ms and check-ms are the two times, extra-ms what the first row costs beyond the check, and
// firstrow/check their ratio; ns/op is the two together. MB-heap is the live heap of the process after a GC with the
// console started (the app and the model, whose detail pane loads entries from the app's fleet, as runConsole's
// does); B/vehicle is that heap's growth over the settled heap just before loadApp, divided by the vehicles: what a
// running console keeps per vehicle, config, fleet, scheduler and rows together.
//
//	go test -run '^$' -bench FirstRowTOML -benchtime 3x .
func BenchmarkFirstRowTOML(b *testing.B) {
	dir := b.TempDir()
	for _, n := range []int{100, 10_000, 100_000} {
		path := filepath.Join(dir, fmt.Sprintf("fleet-%d.toml", n))
		if err := os.WriteFile(path, configtest.Fleet(n), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vehicles=%d", n), func(b *testing.B) { benchFirstRow(b, path, n) })
	}
}

// firstRowTotals sums the figures of BenchmarkFirstRowTOML over its ops.
type firstRowTotals struct {
	ops          int
	check, first time.Duration
	// heap is the live heap with the console started; kept is its growth over the heap before loadApp.
	heap, kept int64
}

// benchFirstRow runs the ops of BenchmarkFirstRowTOML on the config at path, of n vehicles.
func benchFirstRow(b *testing.B, path string, n int) {
	base := b.TempDir()
	b.Setenv("XDG_STATE_HOME", base) // restored after the sub-benchmark; each op points it at a new directory below
	var t firstRowTotals
	for b.Loop() {
		b.StopTimer()
		state := freshStateHome(b, base)
		settleHeap()
		b.StartTimer()
		t.check += timeCheck(b, path, n)
		b.StopTimer()
		before := settleHeap()
		b.StartTimer()
		began := time.Now()
		s := firstRow(b, path)
		t.first += time.Since(began)
		b.StopTimer()
		checkFrame(b, s)
		t.measure(b, s, before)
		if err := os.RemoveAll(state); err != nil {
			b.Fatal(err)
		}
		t.ops++
		b.StartTimer()
	}
	t.report(b, n)
}

// freshStateHome makes a new directory under base and points $XDG_STATE_HOME at it, so the next loadApp creates
// an empty ledger there.
func freshStateHome(b *testing.B, base string) string {
	b.Helper()
	dir, err := os.MkdirTemp(base, "state-")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Setenv("XDG_STATE_HOME", dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// timeCheck runs `fleetkey check path` in the process, fails b unless it says "ok: n vehicles", and returns how
// long it took.
func timeCheck(b *testing.B, path string, n int) time.Duration {
	b.Helper()
	var out bytes.Buffer
	began := time.Now()
	code := runCheck(globals{}, []string{path}, &out, io.Discard)
	took := time.Since(began)
	if want := fmt.Sprintf("ok: %d vehicles\n", n); code != 0 || out.String() != want {
		b.Fatalf("runCheck(%s) = %d, %q; want 0, %q", path, code, out.String(), want)
	}
	return took
}

// started is the console after its first frame.
type started struct {
	app   *app
	model ui.Model
	frame string // the first frame without its escape codes
}

// firstRow is runConsole's start path up to the first frame, on the config at path, the frame after a 100×30
// WindowSizeMsg.
func firstRow(b *testing.B, path string) *started {
	b.Helper()
	now := time.Now()
	a, err := loadApp(globals{config: path, readOnly: true, keptFirst: true}, now)
	if err != nil {
		b.Fatal(err)
	}
	entries, err := a.fleet.Entries()
	if err != nil {
		b.Fatal(err)
	}
	m := ui.New(ui.Options{Entries: entries, Intervals: a.cfg.Intervals, Records: a.fleet, Now: now, Label: a.label, ReadOnly: true,
		Listing: a.fleet.Listed(), Notes: a.notes, AltScreen: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m = next.(ui.Model)
	return &started{app: a, model: m, frame: ansi.Strip(m.View().Content)}
}

// checkFrame fails b unless the first frame shows the name of one of the app's vehicles.
func checkFrame(b *testing.B, s *started) {
	b.Helper()
	for _, v := range s.app.cfg.Vehicles {
		if strings.Contains(s.frame, v.Name) {
			return
		}
	}
	b.Fatalf("the first frame shows none of the %d vehicles:\n%s", len(s.app.cfg.Vehicles), s.frame)
}

// measure adds the live heap with the console started, then closes its app; before is the settled heap before
// loadApp.
func (t *firstRowTotals) measure(b *testing.B, s *started, before uint64) {
	b.Helper()
	heap := settleHeap()
	t.heap += int64(heap)
	t.kept += int64(heap) - int64(before)
	runtime.KeepAlive(s)
	if err := s.app.Close(); err != nil {
		b.Fatal(err)
	}
}

// report reports the per-op averages of t for a fleet of n vehicles.
func (t firstRowTotals) report(b *testing.B, n int) {
	ops := float64(max(t.ops, 1))
	b.ReportMetric(t.first.Seconds()*1000/ops, "firstrow-ms")
	b.ReportMetric(t.check.Seconds()*1000/ops, "check-ms")
	b.ReportMetric((t.first-t.check).Seconds()*1000/ops, "extra-ms")
	b.ReportMetric(t.first.Seconds()/t.check.Seconds(), "firstrow/check")
	b.ReportMetric(float64(t.heap)/ops/(1<<20), "MB-heap")
	b.ReportMetric(float64(t.kept)/ops/float64(n), "B/vehicle")
}

// settleHeap collects garbage twice (the second time for what sync.Pools kept in their victim caches) and returns
// the live heap in bytes.
func settleHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}
