package serve

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// auditT0 is the fixed clock of the audit tests.
var auditT0 = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// auditEntry returns an entry at auditT0+offset for vehicle v.
func auditEntry(offset time.Duration, v string) AuditEntry {
	return AuditEntry{Time: auditT0.Add(offset), Who: "alice@laptop", Fingerprint: "SHA256:abc", Action: AuditRead,
		Vehicle: v, Result: "ok"}
}

// openTestAudit opens an audit log in a new directory under t.TempDir and closes it at the end of the test.
func openTestAudit(t *testing.T) (*Audit, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "logs", "audit.jsonl")
	a, err := OpenAudit(path)
	if err != nil {
		t.Fatalf("OpenAudit(%s) error = %v", path, err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a, path
}

// readAuditFile decodes the audit log at path; it fails t on any error.
func readAuditFile(t *testing.T, path string) []AuditEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadAudit(f, time.Time{})
	if err != nil {
		t.Fatalf("ReadAudit(%s) error = %v", path, err)
	}
	return got
}

func TestAuditConcurrentWrites(t *testing.T) {
	a, path := openTestAudit(t)
	const n = 20
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := auditEntry(time.Duration(i)*time.Second, fmt.Sprintf("vehicle-%02d", i))
			e.Result = strings.Repeat("x", 4096) // long lines are where interleaving would show
			errs <- a.Write(e)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Write error = %v", err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines != n {
		t.Fatalf("audit log has %d lines, want %d", lines, n)
	}
	seen := map[string]bool{}
	for _, e := range readAuditFile(t, path) {
		seen[e.Vehicle] = true
	}
	if len(seen) != n {
		t.Errorf("audit log holds %d distinct vehicles, want %d", len(seen), n)
	}
}

func TestAuditRoundTrip(t *testing.T) {
	a, path := openTestAudit(t)
	local := time.FixedZone("CEST", 2*3600)
	want := []AuditEntry{
		auditEntry(0, "van-1"),
		{Time: auditT0.Add(time.Minute).In(local), Who: "bob", Fingerprint: "SHA256:def", Action: AuditConnect,
			Result: "added 2 vehicles"},
		{Time: auditT0.Add(2 * time.Minute), Who: "é\x1b[31m", Fingerprint: "SHA256:ghi", Action: AuditKeyCheck,
			Vehicle: "van-2", Result: "key missing"},
	}
	for _, e := range want {
		if err := a.Write(e); err != nil {
			t.Fatalf("Write(%+v) error = %v", e, err)
		}
	}
	want[1].Time = want[1].Time.UTC()
	if got := readAuditFile(t, path); !reflect.DeepEqual(got, want) {
		t.Errorf("ReadAudit(written) =\n%+v\nwant\n%+v", got, want)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"time":"2026-06-15T12:01:00Z"`) {
		t.Errorf("audit log = %s, want times in UTC", data)
	}
}

// TestAuditSyncsEachWrite watches the sync: one per entry, after the whole line is in the file.
func TestAuditSyncsEachWrite(t *testing.T) {
	a, path := openTestAudit(t)
	var sizes []int64
	a.sync = func(f *os.File) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		sizes = append(sizes, fi.Size())
		return f.Sync()
	}
	for i := range 3 {
		if err := a.Write(auditEntry(time.Duration(i)*time.Second, "van-1")); err != nil {
			t.Fatalf("Write error = %v", err)
		}
	}
	data, _ := os.ReadFile(path)
	var want []int64
	for i, c := range string(data) {
		if c == '\n' {
			want = append(want, int64(i+1))
		}
	}
	if !reflect.DeepEqual(sizes, want) {
		t.Errorf("file sizes at each sync = %v, want %v (one sync per line, after the line)", sizes, want)
	}
}

func TestAuditWriteErrors(t *testing.T) {
	a, path := openTestAudit(t)
	full := errors.New("disk full")
	a.sync = func(*os.File) error { return full }
	err := a.Write(auditEntry(0, "van-1"))
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "sync audit "+path) {
		t.Errorf("Write with a failing sync error = %v, want it to wrap %v and name %s", err, full, path)
	}
	a.sync = (*os.File).Sync
	for _, e := range []AuditEntry{{Action: AuditRead}, {Time: auditT0}} {
		if err := a.Write(e); err == nil {
			t.Errorf("Write(%+v) error = nil, want an error: no time or no action", e)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close error = %v", err)
	}
	if err := a.Write(auditEntry(0, "van-1")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close error = %v, want os.ErrClosed", err)
	}
}

func TestOpenAuditModes(t *testing.T) {
	_, path := openTestAudit(t)
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("mode of %s = %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
}

func TestOpenAuditRefusesUnsafeFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		mode os.FileMode
		want string // "" means opened
	}{
		{"world-writable", 0o666, "writable by its group or others (mode 0666)"},
		{"group-writable", 0o620, "writable by its group or others (mode 0620)"},
		{"readable by all is allowed", 0o644, ""},
		{"private", 0o600, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".jsonl")
			const line = `{"time":"2026-06-15T12:00:00Z","who":"a","fingerprint":"f","action":"read","result":"ok"}` + "\n"
			if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // Chmod, not WriteFile's mode: the umask would mask it
				t.Fatal(err)
			}
			a, err := OpenAudit(path)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("OpenAudit(mode %04o) error = %v, want nil", tt.mode, err)
				}
				_ = a.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("OpenAudit(mode %04o) error = %v, want one saying %q and how to fix it", tt.mode, err, tt.want)
			}
			if got, _ := os.ReadFile(path); string(got) != line {
				t.Errorf("file after the refusal = %q, want it untouched", got)
			}
		})
	}
	if _, err := OpenAudit(dir); err == nil {
		t.Errorf("OpenAudit(a directory) error = nil, want an error")
	}
}

func TestReadAudit(t *testing.T) {
	line := func(offset time.Duration, v string) string {
		return fmt.Sprintf(`{"time":%q,"who":"alice@laptop","fingerprint":"SHA256:abc","action":"read","vehicle":%q,"result":"ok"}`,
			auditT0.Add(offset).Format(time.RFC3339Nano), v)
	}
	a, b, c := line(0, "a"), line(time.Hour, "b"), line(2*time.Hour, "c")
	all := []AuditEntry{auditEntry(0, "a"), auditEntry(time.Hour, "b"), auditEntry(2*time.Hour, "c")}
	tests := []struct {
		name, src string
		since     time.Time
		want      []AuditEntry
		err       string // a part of the error; "" for none
	}{
		{"empty", "", time.Time{}, nil, ""},
		{"whole lines", a + "\n" + b + "\n" + c + "\n", time.Time{}, all, ""},
		{"torn last line is skipped", a + "\n" + b + "\n" + c[:40], time.Time{}, all[:2], ""},
		{"torn after its closing brace: only the newline is missing", a + "\n" + b + "\n" + c, time.Time{}, all, ""},
		{"since at an entry keeps it", a + "\n" + b + "\n" + c + "\n", auditT0.Add(time.Hour), all[1:], ""},
		{"since 1ns after an entry drops it", a + "\n" + b + "\n" + c + "\n", auditT0.Add(time.Hour + 1), all[2:], ""},
		{"unknown fields are allowed", a[:len(a)-1] + `,"session":7}` + "\n", time.Time{}, all[:1], ""},
		{"corrupt middle line", a + "\n" + b[:30] + "\n" + c + "\n", time.Time{}, nil, "audit line 2: not an audit entry"},
		{"blank middle line", a + "\n\n" + c + "\n", time.Time{}, nil, "audit line 2:"},
		{"bad last line with its newline", a + "\n" + "garbage\n", time.Time{}, nil, "audit line 2:"},
		{"two objects on a line", a + a + "\n", time.Time{}, nil, "audit line 1:"},
		{"no time", `{"who":"a","action":"read","result":"ok"}` + "\n", time.Time{}, nil, "audit line 1: not an audit entry: no time"},
		{"no action", `{"time":"2026-06-15T12:00:00Z","result":"ok"}` + "\n" + a + "\n", time.Time{}, nil, "audit line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAudit(strings.NewReader(tt.src), tt.since)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ReadAudit(%q) error = %v, want one containing %q", tt.src, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadAudit(%q) = %+v, %v, want %+v, nil", tt.src, got, err, tt.want)
			}
		})
	}
}
