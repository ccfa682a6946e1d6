//go:build unix

package ledger

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// wantOnlyStateAndLock fails t unless dir holds exactly state.json and its lock file.
func wantOnlyStateAndLock(t *testing.T, dir, when string) {
	t.Helper()
	var got []string
	entries, err := os.ReadDir(dir)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"state.json", "state.json.lock"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("%s the directory holds %q, %v; want %q", when, got, err, want)
	}
}

// modeOf returns the permission bits of path.
func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// writeFile writes b to path with mode perm, whatever the umask.
func writeFile(t *testing.T, path string, b []byte, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestStateFileLoadMissing(t *testing.T) {
	tests := []struct {
		name, sub string
	}{
		{name: "no file", sub: ""},
		{name: "no directory", sub: "fleetkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := OpenStateFile(filepath.Join(dir, tt.sub, "state.json"))
			got, err := f.Load()
			if err != nil || got.Vehicles == nil || len(got.Vehicles) != 0 {
				t.Errorf("Load(%s) = %v, %v; want an empty state", f.Path(), got, err)
			}
			if _, err := os.Stat(f.Path()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Load(%s) created the data file (stat error %v)", f.Path(), err)
			}
			if _, err := os.Stat(filepath.Join(dir, "fleetkey")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Load(%s) created a directory (stat error %v)", f.Path(), err)
			}
		})
	}
}

func TestStateFileCorrupt(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "state", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content []byte
	}{
		{name: "bad json", content: []byte("{not json")},
		{name: "truncated", content: golden[:len(golden)-10]},
		{name: "empty file", content: nil}, // we never write one, so it is damage, not "no history"
		{name: "newer version", content: []byte(`{"version": 4, "vehicles": {}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := OpenStateFile(filepath.Join(dir, "state.json"))
			writeFile(t, f.Path(), tt.content, 0o600)
			_, loadErr := f.Load()
			_, updateErr := fileRecordRead(f, "a", stateBase)
			for op, err := range map[string]error{"Load": loadErr, "RecordRead": updateErr} {
				var ce *CorruptStateError
				if !errors.As(err, &ce) || ce.Path != f.Path() {
					t.Fatalf("%s() error = %v, want *CorruptStateError for %s", op, err, f.Path())
				}
				if msg := err.Error(); !strings.Contains(msg, f.Path()) || !strings.Contains(msg, "move it aside") {
					t.Errorf("%s() error = %q, want it to name the file and say what to do", op, msg)
				}
			}
			if got, _ := os.ReadFile(f.Path()); !bytes.Equal(got, tt.content) {
				t.Errorf("after RecordRead the corrupt file holds %q, want it unchanged %q", got, tt.content)
			}
			wantOnlyStateAndLock(t, dir, "after RecordRead")
		})
	}
}

// TestStateFileWrite must not run in parallel: it sets the umask, which belongs to the whole process.
func TestStateFileWrite(t *testing.T) {
	old := syscall.Umask(0) // the most permissive: only explicit modes keep the history private
	t.Cleanup(func() { syscall.Umask(old) })
	tests := []struct {
		name     string
		existing []byte // a world-readable state file already there; nil for none (and no directory)
		want     State
	}{
		{name: "new directory", want: states("a", stateBase.Add(2*time.Minute))},
		{name: "existing 0666 file", existing: []byte(`{"version": 1, "vehicles": {"b": {}}}`),
			want: states("a", stateBase.Add(2*time.Minute), "b", time.Time{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fleetkey")
			f := OpenStateFile(filepath.Join(dir, "state.json"))
			if tt.existing != nil {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				writeFile(t, f.Path(), tt.existing, 0o666)
			}
			for i := range 3 {
				if _, err := fileRecordRead(f, "a", stateBase.Add(time.Duration(i)*time.Minute)); err != nil {
					t.Fatalf("RecordRead() error = %v", err)
				}
			}
			wantOnlyStateAndLock(t, dir, "after RecordRead")
			for p, want := range map[string]fs.FileMode{f.Path(): 0o600, f.Path() + ".lock": 0o600, dir: 0o700} {
				if got := modeOf(t, p); got != want {
					t.Errorf("mode of %s under umask 0 = %v, want %v", p, got, want)
				}
			}
			if got, err := OpenStateFile(f.Path()).Load(); err != nil || !equalStates(got, tt.want) {
				t.Errorf("Load() from a second handle = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestStateFileStrayTemp(t *testing.T) {
	tests := []struct {
		name string
		old  State // the state before the crash; nil Vehicles for no state file
	}{
		{name: "crash replacing a state", old: states("a", stateBase)},
		{name: "crash writing the first state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := OpenStateFile(filepath.Join(dir, "state.json"))
			if tt.old.Vehicles != nil {
				if _, err := f.Update(func(State) State { return tt.old }); err != nil {
					t.Fatal(err)
				}
			}
			// What a writer leaves when it dies after writing part of its temp file, before the rename.
			stray := filepath.Join(dir, ".state.json.tmp-4242")
			writeFile(t, stray, []byte(`{"version": 1, "vehicles": {"a": {"last_re`), 0o600)
			got, err := f.Load()
			if err != nil || !equalStates(got, tt.old) {
				t.Errorf("Load() with a stray temp file = %v, %v; want %v", got, err, tt.old)
			}
			if _, err := fileRecordRead(f, "b", stateBase); err != nil {
				t.Fatalf("RecordRead() error = %v", err)
			}
			wantOnlyStateAndLock(t, dir, "after RecordRead")
		})
	}
}

func TestStateFileTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	handles := []*StateFile{OpenStateFile(path), OpenStateFile(path)} // two consoles on one machine
	var prefixes []string
	var wg sync.WaitGroup
	for h, f := range handles {
		for g := range 2 { // each console records 2×50 reads from two goroutines
			prefix := fmt.Sprintf("h%d-g%d", h, g)
			prefixes = append(prefixes, prefix)
			wg.Go(func() {
				if err := recordReads(f, prefix); err != nil {
					t.Errorf("%s: %v", prefix, err)
				}
			})
		}
	}
	wg.Wait()
	got, err := handles[0].Load()
	if want := writerState(prefixes...); err != nil || !equalStates(got, want) {
		t.Errorf("Load() after 200 concurrent RecordRead = %d records, %v; want all %d", len(got.Vehicles), err, len(want.Vehicles))
	}
}

// Environment of the child processes of TestStateFileCrossProcess, and the size of every writer's work.
const (
	childPathEnv   = "FLEETKEY_TEST_STATE_PATH"
	childPrefixEnv = "FLEETKEY_TEST_STATE_PREFIX"
	readsPerWriter = 50
)

// writerState is what the writers named prefixes record: each readsPerWriter reads of ids prefix-0….
func writerState(prefixes ...string) State {
	s := State{Vehicles: map[string]Record{}}
	for _, prefix := range prefixes {
		for i := range readsPerWriter {
			s.Vehicles[fmt.Sprintf("%s-%d", prefix, i)] = Record{LastReadAt: stateBase.Add(time.Duration(i) * time.Second)}
		}
	}
	return s
}

// recordReads records writerState(prefix) in s, read by read.
func recordReads(s *StateFile, prefix string) error {
	for id, r := range writerState(prefix).Vehicles {
		if _, err := fileRecordRead(s, id, r.LastReadAt); err != nil {
			return err
		}
	}
	return nil
}

// TestStateFileHelperProcess is the body of the child processes of TestStateFileCrossProcess; run directly, it
// has nothing to do.
func TestStateFileHelperProcess(t *testing.T) {
	path, prefix := os.Getenv(childPathEnv), os.Getenv(childPrefixEnv)
	if path == "" {
		return
	}
	fmt.Println("ready")
	if err := recordReads(OpenStateFile(path), prefix); err != nil {
		t.Fatalf("child %s: %v", prefix, err)
	}
}

// startChild starts a child process writing ids prefix-…, and returns once it says it is about to write.
func startChild(t *testing.T, path, prefix string) (wait func() error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStateFileHelperProcess$")
	cmd.Env = append(os.Environ(), childPathEnv+"="+path, childPrefixEnv+"="+prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, err := r.ReadString('\n'); line != "ready\n" {
		t.Fatalf("child %s said %q, %v; want \"ready\"", prefix, line, err)
	}
	return func() error {
		rest, _ := io.ReadAll(r)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("child %s: %w\n%s%s", prefix, err, rest, stderr.Bytes())
		}
		return nil
	}
}

func TestStateFileCrossProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	// Hold the lock while the children start, so that all of them queue on it and then race each other.
	gate := flock.New(path + ".lock")
	if err := gate.Lock(); err != nil {
		t.Fatal(err)
	}
	var waits []func() error
	for _, prefix := range []string{"c1", "c2", "c3"} {
		waits = append(waits, startChild(t, path, prefix))
	}
	if err := gate.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := recordReads(OpenStateFile(path), "parent"); err != nil {
		t.Errorf("parent: %v", err)
	}
	for _, wait := range waits {
		if err := wait(); err != nil {
			t.Error(err)
		}
	}
	got, err := OpenStateFile(path).Load()
	if want := writerState("c1", "c2", "c3", "parent"); err != nil || !equalStates(got, want) {
		t.Errorf("Load() after 4 processes wrote = %d records, %v; want all %d", len(got.Vehicles), err, len(want.Vehicles))
	}
}

// fileRecordRead records a read of id at at in the JSON file f.
func fileRecordRead(f *StateFile, id string, at time.Time) (State, error) {
	return f.Update(func(st State) State {
		return st.Merge(State{Vehicles: map[string]Record{id: {LastReadAt: at}}})
	})
}
