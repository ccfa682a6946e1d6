package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
)

// The old JSON state file is imported on the first start, every record with it, and kept renamed as a backup; the
// next start imports nothing; `state export` writes the ledger back in the same format.
func TestImportOnFirstStart(t *testing.T) {
	env := isolate(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	writeTestFile(t, cfg, oneVehicleConfig("van-1", ""))
	read := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	writeState(t, env.statePath, map[string]time.Time{"van-1": read, "gone-2": read})

	first := runCLI(t, "--config", cfg, "list", "--json")
	if first.code != 0 || !strings.Contains(first.stderr, "imported 2 vehicle records from "+env.statePath) {
		t.Fatalf("first list = %d, stderr %q; want 0 and the import named", first.code, first.stderr)
	}
	if !strings.Contains(first.stdout, read.Format(time.RFC3339)) {
		t.Errorf("first list shows %s, want van-1 last read at %s (imported)", first.stdout, read.Format(time.RFC3339))
	}
	if _, err := os.Stat(env.statePath); !os.IsNotExist(err) {
		t.Errorf("state file after the import: %v, want it renamed", err)
	}
	backups, _ := filepath.Glob(env.statePath + ".imported-*")
	if len(backups) != 1 {
		t.Fatalf("backups = %q, want one", backups)
	}
	if st, err := ledger.OpenStateFile(backups[0]).Load(); err != nil || len(st.Vehicles) != 2 {
		t.Errorf("backup holds %v, %v; want the 2 records as they were", st, err)
	}
	if again := runCLI(t, "--config", cfg, "list"); again.code != 0 || again.stderr != "" {
		t.Errorf("second list = %d, stderr %q; want 0 and no import", again.code, again.stderr)
	}
	out := filepath.Join(dir, "backup.json")
	if r := runCLI(t, "--config", cfg, "state", "export", "--out", out); r.code != 0 {
		t.Fatalf("state export = %d, %q", r.code, r.stderr)
	}
	st, err := ledger.OpenStateFile(out).Load()
	if err != nil || len(st.Vehicles) != 2 || !st.LastRead("van-1").Equal(read) {
		t.Errorf("export holds %v, %v; want both records, van-1 read at %v", st, err, read)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode = %v, %v; want 0600", fi, err)
	}
}

func TestStateUsage(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"state"}, {"state", "import"}, {"state", "export", "extra"}} {
		if r := runCLI(t, args...); r.code != exitUsage || !strings.Contains(r.stderr, "Usage: fleetkey state export") {
			t.Errorf("run(%q) = %d, %q; want %d and the usage", args, r.code, r.stderr, exitUsage)
		}
	}
}
