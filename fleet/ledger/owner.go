package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// ownerWait bounds how long ClaimOwner retries a held lock: OwnerOf holds a shared lock on the owner file for an
// instant, and a probe by a local console must not make `fleetkey serve` fail to start. A real owner holds the lock
// for its whole life, so waiting longer would not help.
const (
	ownerWait  = 250 * time.Millisecond
	ownerRetry = 5 * time.Millisecond
)

// OwnedError reports that the state file is owned by a running `fleetkey serve`: another process holds the owner
// lock. PID is the owner's process id, 0 when it has not written it yet.
type OwnedError struct {
	Path string // the state file
	PID  int
}

// Error reads like "state file /var/lib/fleetkey/state.json is owned by fleetkey serve (pid 4242)".
func (e *OwnedError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("state file %s is owned by fleetkey serve (%s)", e.Path, pid)
}

// ownerPath is the owner lock of a state file: a separate file, since the data file is replaced on each write. It
// sits beside the file that symlinks resolve to, so every path naming one state file names one lock.
func ownerPath(statePath string) string { return resolvePath(statePath) + ".owner" }

// ClaimOwner makes the calling process the owner of the state file at statePath, for `fleetkey serve`: it takes an
// exclusive, non-blocking flock(2) on statePath+".owner" (creating it 0600, and its directory 0700) and writes the
// process id into it. While another open file holds it, in this process or another, ClaimOwner returns an
// *OwnedError. release empties the file and drops the lock; it is safe to call more than once. When the process dies
// without calling it, the kernel drops the lock, so a crashed owner never blocks the next one.
func ClaimOwner(statePath string) (release func() error, err error) {
	path := ownerPath(statePath)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("claim state %s: %w", statePath, err)
	}
	lk := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR))
	ctx, cancel := context.WithTimeout(context.Background(), ownerWait)
	defer cancel()
	locked, err := lk.TryLockContext(ctx, ownerRetry)
	if !locked && (err == nil || errors.Is(err, context.DeadlineExceeded)) {
		return nil, &OwnedError{Path: statePath, PID: readOwnerPID(path)}
	}
	if err != nil {
		return nil, fmt.Errorf("claim state %s: %w", statePath, err)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("claim state %s: %w", statePath, err), lk.Unlock())
	}
	var once sync.Once
	var releaseErr error
	return func() error {
		once.Do(func() {
			// Empty the file first, while still holding the lock, so that no one reads a pid that owns nothing.
			releaseErr = errors.Join(os.Truncate(path, 0), lk.Unlock())
			if releaseErr != nil {
				releaseErr = fmt.Errorf("release state %s: %w", statePath, releaseErr)
			}
		})
		return releaseErr
	}, nil
}

// OwnerOf reports whether a process holds the owner lock of the state file at statePath, and its pid (0 when it
// has not written it yet, or when the lock is free). It probes with a shared lock that it drops at once, and creates
// nothing: a missing owner file is a free lock.
func OwnerOf(statePath string) (pid int, held bool, err error) {
	path := ownerPath(statePath)
	lk := flock.New(path, flock.SetFlag(os.O_RDONLY))
	ok, err := lk.TryRLock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("probe owner of state %s: %w", statePath, err)
	case ok:
		if err := lk.Unlock(); err != nil {
			return 0, false, fmt.Errorf("probe owner of state %s: %w", statePath, err)
		}
		return 0, false, nil
	}
	return readOwnerPID(path), true, nil
}

// readOwnerPID returns the pid written in an owner file; 0 when there is none yet, or it cannot be read.
func readOwnerPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
