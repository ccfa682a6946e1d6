package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
)

// mountTmpfs mounts a tmpfs of size on a fresh directory for the test's life: a real file system that fills up.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("this machine does not let the test mount a tmpfs: %v", err)
		}
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillDisk writes a file in dir until the file system is full, and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			break
		}
	}
	for _, n := range []int{512, 64, 1} { // the last bytes too
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// TestReadOnAFullDisk: the disk fills while a read is in flight. The read's time was saved before it left; its
// answer (a 429 with a 2 h Retry-After) cannot be: `fleetkey read` says so and exits 1, and the read still counts.
func TestReadOnAFullDisk(t *testing.T) {
	isolate(t)
	dir := mountTmpfs(t, "256k")
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "")
	statePath := filepath.Join(dir, "state.json")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, cfg, strings.Replace(string(b), `state_file = "state.json"`, `state_file = "`+statePath+`"`, 1))
	srv.Inject("veh-paired", 1, fakeserver.Failure{Type: "RATE_LIMIT", Code: "VEHICLE", RetryAfter: 2 * time.Hour})
	release := srv.Hold("veh-paired")
	defer release()
	done := make(chan cliResult, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run([]string{"--config", cfg, "read", "veh-paired"}, nil, &stdout, &stderr)
		done <- cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
	}()
	<-srv.Held("veh-paired")
	filler := fillDisk(t, dir)
	release()
	r := <-done
	if r.code != 1 || !strings.Contains(r.stderr, "database or disk is full") || !strings.Contains(r.stderr, "429") {
		t.Fatalf("read on a full disk: exit %d, stderr %q; want 1 with the 429 and the failed write", r.code, r.stderr)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	again := runCLI(t, "--config", cfg, "read", "veh-paired")
	if again.code != exitNotAllowed {
		t.Errorf("read after the disk was freed: exit %d (%q), want 3: the read whose answer was lost still counts",
			again.code, again.stdout+again.stderr)
	}
	if n := srv.ReadCount("veh-paired"); n != 1 {
		t.Errorf("the fake saw %d reads, want 1", n)
	}
}
