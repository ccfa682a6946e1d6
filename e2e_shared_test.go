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
