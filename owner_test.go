package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
)

// serveOwnerEnv names the state file that the child process of holdOwner claims, as `fleetkey serve` would.
const serveOwnerEnv = "FLEETKEY_TEST_SERVE_OWNER"

// holdOwner starts a child process (this test binary) that holds the owner lock of statePath, and waits for its
// "ready" line. kill ends it with SIGKILL, so the kernel alone drops its lock; the test's cleanup calls it too.
func holdOwner(t *testing.T, statePath string) (pid int, kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServeOwner$")
	cmd.Env = append(os.Environ(), serveOwnerEnv+"="+statePath)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	kill = func() {
		if !done {
			done = true
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			_ = stdin.Close()
		}
	}
	t.Cleanup(kill)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("owner child said %q (%v), want \"ready\"", line, err)
	}
	return cmd.Process.Pid, kill
}

// TestHelperServeOwner is the child of holdOwner: it claims the state named by $FLEETKEY_TEST_SERVE_OWNER, says
// "ready", and holds it until its stdin ends or it is killed.
func TestHelperServeOwner(t *testing.T) {
	statePath := os.Getenv(serveOwnerEnv)
	if statePath == "" {
		return // not a child: nothing to do
	}
	if _, err := ledger.ClaimOwner(statePath); err != nil {
		fmt.Println("claim:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// servedFleet writes a one-vehicle config whose state file is in the test's directory and [serve] listens on every
// interface, with one read in its state; it returns the config and state paths.
func servedFleet(t *testing.T) (cfg, statePath string) {
	t.Helper()
	dir := t.TempDir()
	cfg, statePath = filepath.Join(dir, "config.toml"), filepath.Join(dir, "state", "state.json")
	writeTestFile(t, cfg, oneVehicleConfig("van-1", fmt.Sprintf("state_file = %q\n[serve]\nlisten = \"0.0.0.0:2022\"\n",
		statePath)))
	writeState(t, statePath, map[string]time.Time{"van-1": time.Now().Add(-10 * time.Hour)})
	return cfg, statePath
}

func TestServedStateRefusesWriters(t *testing.T) {
	isolate(t)
	cfg, statePath := servedFleet(t)
	before, _ := os.ReadFile(statePath)
	pid, kill := holdOwner(t, statePath)
	refusal := fmt.Sprintf("fleetkey: fleetkey serve (pid %d) owns %s: use `ssh -p 2022 localhost` to reach the "+
		"console, or `fleetkey --readonly` to watch\n", pid, statePath)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a part of stdout
		stderr string // the whole stderr; "-" for any
	}{
		{"read", []string{"--config", cfg, "read", "van-1"}, 1, "", refusal},
		{"connect", []string{"--config", cfg, "connect"}, 1, "", refusal},
		{"console without a terminal is the list", []string{"--config", cfg}, 0, "van-1", "-"},
		{"list", []string{"--config", cfg, "list", "--json"}, 0, `"id": "van-1"`, ""},
		{"--readonly list", []string{"--config", cfg, "--readonly", "list"}, 0, "van-1", ""},
		{"qr", []string{"--config", cfg, "qr", "van-1"}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || tt.stderr != "-" && r.stderr != tt.stderr {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, stdout with %q, stderr %q", tt.args, r.code,
					r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	if after, _ := os.ReadFile(statePath); string(after) != string(before) {
		t.Errorf("state file while served = %s, want it untouched: %s", after, before)
	}
	kill()
	if r := runCLI(t, "--config", cfg, "read", "van-1"); r.code != 0 {
		t.Errorf("run(read) after serve died = %d, %q; want 0: the kernel dropped the lock", r.code, r.stderr)
	}
}

func TestDemoIgnoresTheOwnerLock(t *testing.T) {
	env := isolate(t)
	holdOwner(t, env.statePath) // the default state file, which the demo never uses
	if r := runCLI(t, "read", "hq-exec-1"); strings.Contains(r.stderr, "fleetkey serve") {
		t.Errorf("run(read) on the demo = %d, %q; want no word of serve", r.code, r.stderr)
	}
}

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

// nextChange waits for the next change on ch; it fails t at the deadline or when ch is closed.
func nextChange(t *testing.T, ch <-chan fleet.Change) fleet.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("watchState closed its channel, want a change")
		}
		return c
	case <-time.After(waitLimit):
		t.Fatalf("no change from watchState within %v", waitLimit)
	}
	return fleet.Change{}
}

// TestWatchState writes the state file as serve would and checks that the watcher reports each change once.
func TestWatchState(t *testing.T) {
	isolate(t)
	cfg, statePath := servedFleet(t)
	a, err := loadApp(globals{config: cfg}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.fleet.Entries()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := watchState(ctx, a.fleet, first, time.Millisecond)
	store := ledger.OpenStateFile(statePath)
	at := time.Now().UTC().Truncate(time.Second)
	if _, err := ledger.RecordRead(store, "van-1", at); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.Entry.ID != "van-1" || !c.Entry.LastRead.Equal(at) || c.Err != nil {
		t.Errorf("change after a read = %+v, want van-1 read at %v, no error", c, at)
	}
	_, err = store.Update(func(st ledger.State) ledger.State {
		rec := st.Vehicles["van-1"]
		rec.LastError, rec.LastErrorAt, rec.UpdatedAt = "rate limited", at.Add(time.Second), at.Add(time.Second)
		st.Vehicles["van-1"] = rec
		return st
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.Entry.ID != "van-1" || c.Err == nil || c.Err.Error() != "rate limited" {
		t.Errorf("change after a failed read = %+v, want van-1 with error \"rate limited\"", c)
	}
	writeTestFile(t, statePath, "{corrupt")
	if c := nextChange(t, ch); c.Entry.ID != "" || c.Err == nil || !strings.Contains(c.Err.Error(), "watch state") {
		t.Errorf("change after the state broke = %+v, want a fleet-wide error", c)
	}
	cancel()
	for range ch { // drains what was in flight; the loop ends when the watcher closes the channel
	}
}

// TestE2EServedState runs the real console in tmux on a state that another process owns: without --readonly it
// refuses and names serve; with it, it says so in its header and shows a read that the owner records.
func TestE2EServedState(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	f := writeTestFleet(t, time.Now())
	pid, _ := holdOwner(t, f.stateFile)

	c := startConsole(t, bin, f, 250, 30, nil, "--config", f.config)
	if status := c.waitExit(); status != 1 {
		t.Errorf("fleetkey on a served state exit status = %d, want 1", status)
	}
	if screen := c.capture("-S", "-"); !strings.Contains(screen, fmt.Sprintf("fleetkey serve (pid %d) owns %s", pid, f.stateFile)) {
		t.Errorf("fleetkey on a served state: want the refusal naming serve; screen:\n%s", screen)
	}
	watcher := f
	watcher.dir = t.TempDir() // its own tmux server and home; the same config and state
	c = startConsole(t, bin, watcher, 200, 30, nil, "--config", f.config, "--readonly")
	screen := c.waitScreen("the table", func(s string) bool { return strings.Contains(s, unknownName) })
	if header, _, _ := strings.Cut(screen, "\n"); !strings.Contains(header, servedLabel) {
		t.Errorf("--readonly on a served state: header %q, want %q in it", header, servedLabel)
	}
	if _, err := ledger.RecordRead(ledger.OpenStateFile(f.stateFile), "unknown-y", time.Now()); err != nil {
		t.Fatal(err)
	}
	c.waitScreen("the read recorded by the owner", func(s string) bool {
		_, d, ok := countdownOf(s, unknownName)
		return ok && d > 7*time.Hour
	})
	c.keys("q")
	if status := c.waitExit(); status != 0 {
		t.Errorf("fleetkey --readonly exit status after q = %d, want 0", status)
	}
}
