package main

import (
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
)

// TestE2ESharedLedger runs two real consoles in tmux on one fleet's ledger: both are full consoles (no read-only
// attach), and a read that a third process records shows in each within 2 s.
func TestE2ESharedLedger(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	f := writeTestFleet(t, time.Now())
	first := startConsole(t, bin, f, 200, 30, nil, "--config", f.config)
	second := f
	second.dir = t.TempDir() // its own tmux server and home; the same config and ledger
	other := startConsole(t, bin, second, 200, 30, nil, "--config", f.config)
	for _, c := range []*console{first, other} {
		screen := c.waitScreen("the table", func(s string) bool { return strings.Contains(s, unknownName) })
		if header, _, _ := strings.Cut(screen, "\n"); strings.Contains(header, "read-only") {
			t.Errorf("a console beside another: header %q, want a full console", header)
		}
	}
	l, err := ledger.OpenSQLite(ledgerBeside(f.stateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	wrote := time.Now()
	if _, err := ledger.RecordRead(l, "unknown-y", wrote); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*console{"first": first, "second": other} {
		c.waitScreen("the read another process recorded", func(s string) bool {
			_, d, ok := countdownOf(s, unknownName)
			return ok && d > 7*time.Hour
		})
		if took := time.Since(wrote); took > 2*time.Second {
			t.Errorf("the %s console showed another process's read after %v, want within 2s", name, took)
		}
	}
	for _, c := range []*console{first, other} {
		c.keys("q")
		if status := c.waitExit(); status != 0 {
			t.Errorf("exit status after q = %d, want 0", status)
		}
	}
}

// TestE2ELeaseHeader runs two live consoles in tmux on one ledger: the first schedules and says so, the second says
// which process does; when the first quits, it gives the lease up and the second takes over, and says so. A third,
// started with Smartcar down, draws the kept listing at once and says it is stale.
func TestE2ELeaseHeader(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	srv, f := startTruthFleet(t)
	header := func(s string) string { h, _, _ := strings.Cut(s, "\n"); return h }
	first := startConsole(t, bin, f, 200, 20, []string{secretEnv}, "--config", f.config)
	first.waitScreen("the lease taken", func(s string) bool { return strings.Contains(header(s), "scheduling here") })
	second := f
	second.dir = t.TempDir()
	other := startConsole(t, bin, second, 200, 20, []string{secretEnv}, "--config", f.config)
	other.waitScreen("the other process named as the scheduler", func(s string) bool {
		return strings.Contains(header(s), "scheduled by ") && strings.Contains(header(s), " pid ")
	})
	first.keys("q")
	if status := first.waitExit(); status != 0 {
		t.Errorf("first console exit status = %d, want 0", status)
	}
	other.waitScreen("the lease taken over", func(s string) bool { return strings.Contains(header(s), "scheduling here") })
	other.keys("q")
	other.waitExit()

	srv.Close() // Smartcar down: the third console starts on the kept listing
	third := f
	third.dir = t.TempDir()
	down := startConsole(t, bin, third, 200, 20, []string{secretEnv}, "--config", f.config)
	down.waitScreen("the kept listing, stale", func(s string) bool {
		return strings.Contains(header(s), "(stale)") && strings.Contains(s, keylessName) && strings.Contains(s, pairedName)
	})
}
