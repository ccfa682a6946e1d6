package main

import (
	"fleetkey/fleet/config/configtest"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCheck runs the real `fleetkey check FILE` as its own process, once per op, on a synthetic fleet of 100,
// 10 000 and 100 000 vehicles (configtest.Fleet): the whole start-up of a console up to its config, process start and the
// read of the file included. It reports the wall time of one check and the highest peak resident memory of the checks
// (the process's maximum RSS). Bounded in time: a 100 000-vehicle check takes well under a second.
//
//	go test -run '^$' -bench Check -benchtime 5x .
func BenchmarkCheck(b *testing.B) {
	bin, dir := buildFleetkey(b), b.TempDir()
	for _, n := range []int{100, 10_000, 100_000} {
		path := filepath.Join(dir, fmt.Sprintf("fleet-%d.toml", n))
		if err := os.WriteFile(path, configtest.Fleet(n), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vehicles=%d", n), func(b *testing.B) {
			var peakKB int64
			start := time.Now()
			for b.Loop() {
				peakKB = max(peakKB, runCheckProcess(b, bin, dir, path, n))
			}
			b.ReportMetric(time.Since(start).Seconds()*1000/float64(b.N), "ms/check")
			b.ReportMetric(float64(peakKB)/1024, "MB-peak")
		})
	}
}

// runCheckProcess runs `fleetkey check path` with dir as its home, fails b unless it says "ok: n vehicles", and
// returns the process's peak resident memory in KiB.
func runCheckProcess(b *testing.B, bin, dir, path string, n int) int64 {
	b.Helper()
	cmd := exec.Command(bin, "check", path)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if want := fmt.Sprintf("ok: %d vehicles", n); err != nil || !strings.Contains(string(out), want) {
		b.Fatalf("fleetkey check %s: %v\n%s", path, err, out)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
}
