package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// CorruptStateError reports a state file that exists but cannot be decoded. fleetkey stops rather than reset it.
type CorruptStateError struct {
	Path string
	Err  error
}

// Error names the file, says why it cannot be read and what the user can do about it.
func (e *CorruptStateError) Error() string {
	return fmt.Sprintf("state file %s is corrupt (%v): it holds the read history that protects each vehicle's "+
		"read budget, so fleetkey will not reset it. Fix or restore it, or move it aside to start empty "+
		"(every vehicle then counts as never read).", e.Path, e.Err)
}

// Unwrap returns the decoding error.
func (e *CorruptStateError) Unwrap() error { return e.Err }

// StateFile is the JSON state file of fleetkey before the Ledger: Import reads it once into a ledger. Its writer
// stays as the baseline the benchmarks measure the ledger's engines against (a whole-file rewrite per update), and
// for tools that still write the format; fleetkey itself no longer writes it.
//
// Every operation takes a lock on the separate file <path>.lock (the data file itself is replaced on each write,
// so a lock on it would guard a stale inode): Load a shared lock, Update an exclusive one. The locks block until
// they are granted, without timeout: the holder is another fleetkey doing one small read-modify-write, and waiting
// is always safer than reading a state that is being changed. Each operation opens its own lock, so one StateFile
// may be used from many goroutines. Writes are atomic: a crash leaves either the old file or the new one, never a
// mix. The locks are advisory flock(2) locks, so the file must not live on a network file system that ignores them.
type StateFile struct {
	path string
}

// OpenStateFile returns the state file at path. Symlinks in path are resolved once, here (see resolvePath), so the
// lock and the atomic rename work on the file they lead to: a link stays a link, and two configs that name the link
// and its target share one lock. A missing file is created by the first Update.
func OpenStateFile(path string) *StateFile {
	return &StateFile{path: resolvePath(path)}
}

// maxLinks bounds how many symlinks resolvePath follows, as the kernel does.
const maxLinks = 40

// resolvePath returns path absolute with every symlink resolved: those of its directories, and the file's own,
// even when it dangles (a link to a state file not written yet resolves to that file). A path that cannot be
// resolved (a loop, an unreadable directory) is returned as far as it got: reading it then fails with the reason.
func resolvePath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	for range maxLinks {
		dir, base := filepath.Split(path)
		if d, err := filepath.EvalSymlinks(dir); err == nil {
			dir = d
		}
		path = filepath.Join(dir, base)
		target, err := os.Readlink(path)
		if err != nil {
			return path // not a link, or not there
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		path = target
	}
	return path
}

// Path returns the path of the data file, symlinks resolved.
func (f *StateFile) Path() string { return f.path }

// Load returns the state in the file. A missing file (or directory) is an empty state; a file that cannot be
// decoded is a *CorruptStateError. Load creates no directory; it may create the lock file.
func (f *StateFile) Load() (State, error) {
	lk := flock.New(f.path + ".lock")
	if err := lk.RLock(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return State{Vehicles: map[string]Record{}}, nil // no directory, so no state file either
		}
		return State{}, fmt.Errorf("lock state %s: %w", f.path, err)
	}
	defer lk.Unlock()
	st, _, err := f.read()
	return st, err
}

// Update re-reads the file under an exclusive lock, hands fn that state, merges fn's result over it (see Store),
// writes the merged state atomically when it differs from the file, and returns it. The directory is created
// (mode 0700) when missing. A corrupt file is never overwritten: Update returns its *CorruptStateError and leaves
// the bytes as they are. Update also removes temporary files left by a crash of an earlier writer.
func (f *StateFile) Update(fn func(State) State) (State, error) {
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return State{}, fmt.Errorf("create state directory %s: %w", dir, err)
	}
	lk := flock.New(f.path + ".lock")
	if err := lk.Lock(); err != nil {
		return State{}, fmt.Errorf("lock state %s: %w", f.path, err)
	}
	defer lk.Unlock()
	cur, old, err := f.read()
	if err != nil {
		return State{}, err
	}
	f.removeStrayTemps()
	next := cur.Merge(fn(cur.clone()))
	var buf bytes.Buffer
	if err := next.Save(&buf); err != nil {
		return State{}, fmt.Errorf("save state %s: %w", f.path, err)
	}
	if old != nil && bytes.Equal(buf.Bytes(), old) {
		return next, nil
	}
	if err := f.write(buf.Bytes()); err != nil {
		return State{}, err
	}
	return next, nil
}

// read decodes the data file; it returns the state and the bytes it was decoded from (nil when there is no file).
// The caller holds a lock.
func (f *StateFile) read() (State, []byte, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{Vehicles: map[string]Record{}}, nil, nil
	}
	if err != nil {
		return State{}, nil, fmt.Errorf("read state %s: %w", f.path, err)
	}
	st, err := LoadState(bytes.NewReader(b))
	if err != nil {
		return State{}, nil, &CorruptStateError{Path: f.path, Err: err}
	}
	return st, b, nil
}

// tempPrefix starts the name of every temporary file that write creates next to the data file.
func (f *StateFile) tempPrefix() string {
	return "." + filepath.Base(f.path) + ".tmp-"
}

// write replaces the data file with b atomically: a temporary file in the same directory, written, synced and
// made 0600, is renamed over the target, then the directory is synced so the rename itself survives a crash.
// The temporary file is removed on any error before the rename. The caller holds the exclusive lock.
func (f *StateFile) write(b []byte) error {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, f.tempPrefix()+"*")
	if err != nil {
		return fmt.Errorf("write state %s: %w", f.path, err)
	}
	if err := fillTemp(tmp, b); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write state %s: %w", f.path, err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write state %s: %w", f.path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write state %s: %w", f.path, err)
	}
	return nil
}

// fillTemp writes b to tmp, sets mode 0600 whatever the umask, syncs and closes it. tmp is closed in every case.
func fillTemp(tmp *os.File, b []byte) error {
	_, err := tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	return errors.Join(err, tmp.Close())
}

// syncDir flushes the directory entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// removeStrayTemps deletes temporary files of writers that crashed before their rename. Every writer holds the
// exclusive lock while its temporary file exists, so under that lock any such file is a leftover. Failures are
// ignored: a stray file is untidy, not harmful, since nothing ever reads it.
func (f *StateFile) removeStrayTemps() {
	dir := filepath.Dir(f.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), f.tempPrefix()) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// DefaultStateDir returns the directory of fleetkey's state and log: $XDG_STATE_HOME/fleetkey, or
// ~/.local/state/fleetkey when XDG_STATE_HOME is unset or not absolute (as the XDG spec asks).
func DefaultStateDir() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "fleetkey"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "fleetkey"), nil
}

// DefaultStatePath returns the default state file: state.json in DefaultStateDir.
func DefaultStatePath() (string, error) {
	dir, err := DefaultStateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "state.json"), nil
}
