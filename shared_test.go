package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
)

func TestSSHCommand(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:2222", "ssh -p 2222 127.0.0.1"},
		{"0.0.0.0:22", "ssh -p 22 localhost"},
		{":2222", "ssh -p 2222 localhost"},
		{"[::]:2222", "ssh -p 2222 localhost"},
		{"[::1]:2222", "ssh -p 2222 ::1"},
		{"ops.example.com:2022", "ssh -p 2022 ops.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			if got := sshCommand(tt.listen); got != tt.want {
				t.Errorf("sshCommand(%q) = %q, want %q", tt.listen, got, tt.want)
			}
		})
	}
}

// sharedFleet writes a one-vehicle config whose ledger is in the test's directory, with one read 10 hours ago; it
// returns the config and the ledger's path.
func sharedFleet(t *testing.T) (cfg, ledgerPath string) {
	t.Helper()
	dir := t.TempDir()
	cfg, ledgerPath = filepath.Join(dir, "config.toml"), filepath.Join(dir, "state", "ledger.db")
	writeTestFile(t, cfg, oneVehicleConfig("van-1", fmt.Sprintf("[state]\nurl = %q\n", "sqlite:"+ledgerPath)))
	l, err := ledger.OpenSQLite(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := ledger.RecordRead(l, "van-1", time.Now().Add(-10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return cfg, ledgerPath
}

// Two processes on one ledger are both full consoles: neither is refused for the other's sake, and the gate they
// share lets exactly one of two reads through.
func TestSharedLedgerOneBudget(t *testing.T) {
	isolate(t)
	cfg, ledgerPath := sharedFleet(t)
	other, err := ledger.OpenSQLite(ledgerPath) // another process's handle, open the whole time
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if r := runCLI(t, "--config", cfg, "read", "van-1"); r.code != 0 {
		t.Fatalf("run(read) beside another process = %d, %q; want 0", r.code, r.stderr)
	}
	if r := runCLI(t, "--config", cfg, "read", "van-1"); r.code != exitNotAllowed ||
		!strings.Contains(r.stdout, "next read allowed at") {
		t.Errorf("second run(read) = %d, %q; want %d and the next allowed time", r.code, r.stdout, exitNotAllowed)
	}
	st, err := other.Load()
	if err != nil || time.Since(st.LastRead("van-1")) > time.Minute {
		t.Errorf("the other handle sees last read %v, %v; want the CLI's read just now", st.LastRead("van-1"), err)
	}
}

// A fleet follows what another process writes to its ledger: the read arrives as news, without a full re-read.
func TestFollowSeesAnotherProcess(t *testing.T) {
	isolate(t)
	cfg, ledgerPath := sharedFleet(t)
	a, err := loadApp(globals{config: cfg}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := a.fleet.Changes(ctx)
	go a.fleet.Follow(ctx)
	other, err := ledger.OpenSQLite(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Follow takes its cursor when it starts: write until the change comes, each write a new read time.
	deadline := time.After(waitLimit)
	for at := time.Now(); ; at = at.Add(time.Second) {
		if _, err := ledger.RecordRead(other, "van-1", at); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-changes:
			if c.Entry.ID != "van-1" || c.Entry.LastRead.Before(at.Add(-time.Second)) {
				t.Fatalf("change = %+v, want van-1 read at %v", c.Entry, at)
			}
			return
		case <-time.After(2 * fleet.FollowEvery):
		case <-deadline:
			t.Fatalf("no change within %v of another process's reads", waitLimit)
		}
	}
}
