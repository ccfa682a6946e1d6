package serve

import (
	"bufio"
	"encoding/json"
	"errors"
	"fleetkey/fleet/ledger"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The actions an audit entry records.
const (
	AuditRead     = "read"      // a vehicle's data was read
	AuditKeyCheck = "key-check" // a vehicle's virtual key status was checked (the one read after onboarding)
	AuditConnect  = "connect"   // vehicles were added through Smartcar Connect
)

// AuditEntry is one line of the audit log: who did what to which vehicle, when, and how it went.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// Who is the comment of the SSH key that did it ("alice@laptop"); Fingerprint is that key's SHA256 fingerprint.
	Who         string `json:"who"`
	Fingerprint string `json:"fingerprint"`
	// Action is AuditRead, AuditKeyCheck or AuditConnect.
	Action string `json:"action"`
	// Vehicle is the vehicle's id; "" for an action on no single vehicle.
	Vehicle string `json:"vehicle,omitempty"`
	// Result is "ok" or what went wrong, as the user saw it.
	Result string `json:"result"`
}

// Audit is an append-only audit log: one JSON line per entry, on disk before Write returns. It is safe for
// concurrent use; each entry is a single write(2) to a file opened with O_APPEND, so lines never interleave, even
// with another process appending to the same file.
type Audit struct {
	mu   sync.Mutex
	f    *os.File
	path string
	sync func(*os.File) error // (*os.File).Sync; a test may watch it
}

// OpenAudit opens the audit log at path for appending, creating it (mode 0600) and its directory (mode 0700) when
// missing. An existing file that is not a regular file, or that the group or others may write, is refused: anyone
// able to write it could forge or erase entries.
func OpenAudit(path string) (*Audit, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create audit directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := checkAuditFile(f, path); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Audit{f: f, path: path, sync: (*os.File).Sync}, nil
}

// checkAuditFile refuses an audit log that is not a regular file, or that is group- or world-writable.
func checkAuditFile(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("audit log %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("audit log %s is writable by its group or others (mode %04o), so its entries could be "+
			"forged or erased: make it private with `chmod 600 %s`", path, perm, path)
	}
	return nil
}

// Write appends e as one JSON line and syncs the file to disk. An entry without a time or an action is refused.
func (a *Audit) Write(e AuditEntry) error {
	if e.Time.IsZero() || e.Action == "" {
		return fmt.Errorf("write audit %s: entry %+v has no time or no action", a.path, e)
	}
	e.Time = e.Time.UTC()
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("write audit %s: %w", a.path, err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(line); err != nil {
		return fmt.Errorf("write audit %s: %w", a.path, err)
	}
	if err := a.sync(a.f); err != nil {
		return fmt.Errorf("sync audit %s: %w", a.path, err)
	}
	return nil
}

// Close closes the log; a later Write fails.
func (a *Audit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("close audit %s: %w", a.path, err)
	}
	return nil
}

// ReadAudit decodes an audit log and returns its entries at or after since, in file order; a zero since returns
// them all. A last line without its newline that does not decode is the torn end of a write cut short by a crash:
// it is skipped without error. Any other line that is not one whole entry is an error naming its 1-based number.
func ReadAudit(r io.Reader, since time.Time) ([]AuditEntry, error) {
	br := bufio.NewReader(r)
	var out []AuditEntry
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read audit line %d: %w", n, err)
		}
		if len(line) == 0 {
			return out, nil // the end, after a newline
		}
		e, bad := decodeAuditLine(line)
		switch {
		case bad != nil && err != nil: // no newline: the torn last line
			return out, nil
		case bad != nil:
			return nil, fmt.Errorf("audit line %d: %w", n, bad)
		case !e.Time.Before(since):
			out = append(out, e)
		}
		if err != nil {
			return out, nil
		}
	}
}

// decodeAuditLine decodes one line, which must be a single JSON object with a time and an action. Unknown fields
// are allowed, so an older fleetkey can read the log of a newer one.
func decodeAuditLine(line []byte) (AuditEntry, error) {
	var e AuditEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return AuditEntry{}, fmt.Errorf("not an audit entry: %w", err)
	}
	if e.Time.IsZero() || e.Action == "" {
		return AuditEntry{}, errors.New("not an audit entry: no time or no action")
	}
	return e, nil
}

// DefaultAuditPath returns the default audit log: audit.jsonl in DefaultStateDir.
func DefaultAuditPath() (string, error) {
	dir, err := ledger.DefaultStateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "audit.jsonl"), nil
}
