package ledger

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gofrs/flock"
)

// ownerHelperEnv names the state file the child process of TestOwnerHeldByAnotherProcess claims.
const ownerHelperEnv = "FLEETKEY_TEST_OWNER_OF"

func TestOwnedErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  OwnedError
		want string
	}{
		{"pid", OwnedError{Path: "/var/lib/fleetkey/state.json", PID: 4242},
			"state file /var/lib/fleetkey/state.json is owned by fleetkey serve (pid 4242)"},
		{"pid not written yet", OwnedError{Path: "state.json"}, "state file state.json is owned by fleetkey serve (pid unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("(%+v).Error() = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// checkOwner fails t unless OwnerOf(statePath) is (pid, held, nil).
func checkOwner(t *testing.T, statePath string, pid int, held bool) {
	t.Helper()
	gotPID, gotHeld, err := OwnerOf(statePath)
	if gotPID != pid || gotHeld != held || err != nil {
		t.Errorf("OwnerOf(%s) = %d, %v, %v, want %d, %v, nil", statePath, gotPID, gotHeld, err, pid, held)
	}
}

// checkOwned fails t unless err is an *OwnedError for statePath and pid.
func checkOwned(t *testing.T, err error, statePath string, pid int) {
	t.Helper()
	var owned *OwnedError
	if !errors.As(err, &owned) || owned.Path != statePath || owned.PID != pid {
		t.Errorf("ClaimOwner(%s) error = %v, want *OwnedError{%s, %d}", statePath, err, statePath, pid)
	}
}

func TestClaimOwnerTwiceInProcess(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "new", "state.json")
	checkOwner(t, statePath, 0, false)
	if _, err := os.Stat(filepath.Dir(statePath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OwnerOf created %s (stat: %v), want nothing created", filepath.Dir(statePath), err)
	}
	release, err := ClaimOwner(statePath)
	if err != nil {
		t.Fatalf("ClaimOwner(%s) error = %v", statePath, err)
	}
	if fi, err := os.Stat(statePath + ".owner"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("owner file: %v, %v; want mode 0600", fi, err)
	}
	_, err = ClaimOwner(statePath) // a second open file: flock(2) locks belong to open files, not processes
	checkOwned(t, err, statePath, os.Getpid())
	checkOwner(t, statePath, os.Getpid(), true)
	if err := release(); err != nil {
		t.Fatalf("release() error = %v", err)
	}
	if err := release(); err != nil {
		t.Errorf("second release() error = %v, want nil", err)
	}
	checkOwner(t, statePath, 0, false)
	again, err := ClaimOwner(statePath)
	if err != nil {
		t.Fatalf("ClaimOwner after release error = %v", err)
	}
	if err := again(); err != nil {
		t.Errorf("release() error = %v", err)
	}
}

// TestClaimOwnerLockedByOther holds the owner lock the way a foreign process would, without writing a pid.
func TestClaimOwnerLockedByOther(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	lk := flock.New(statePath + ".owner")
	if err := lk.Lock(); err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	_, err := ClaimOwner(statePath)
	checkOwned(t, err, statePath, 0)
	checkOwner(t, statePath, 0, true)
}

func TestOwnerHeldByAnotherProcess(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOwnerProcess$")
	cmd.Env = append(os.Environ(), ownerHelperEnv+"="+statePath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q (%v), want \"ready\"", line, err)
	}
	child := cmd.Process.Pid
	checkOwner(t, statePath, child, true)
	_, err = ClaimOwner(statePath)
	checkOwned(t, err, statePath, child)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil { // no release: the kernel must drop the lock
		t.Fatal(err)
	}
	_ = cmd.Wait()
	checkOwner(t, statePath, 0, false)
	release, err := ClaimOwner(statePath)
	if err != nil {
		t.Fatalf("ClaimOwner after the owner died error = %v, want nil", err)
	}
	checkOwner(t, statePath, os.Getpid(), true)
	if err := release(); err != nil {
		t.Errorf("release() error = %v", err)
	}
}

// TestHelperOwnerProcess is the child of TestOwnerHeldByAnotherProcess: it claims the state named by
// $FLEETKEY_TEST_OWNER_OF, says "ready", and holds it until its stdin ends or it is killed.
func TestHelperOwnerProcess(t *testing.T) {
	statePath := os.Getenv(ownerHelperEnv)
	if statePath == "" {
		return // not a child: nothing to do
	}
	if _, err := ClaimOwner(statePath); err != nil {
		fmt.Println("claim:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
