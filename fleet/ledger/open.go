package ledger

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Open opens the ledger that url names: "sqlite:PATH" (a relative PATH is relative to base, the config file's
// directory) or a "postgres://" or "postgresql://" URL.
func Open(url, base string) (Ledger, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("open ledger: sqlite: URL without a path")
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		return OpenSQLite(path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return OpenPostgres(url, PostgresOptions{})
	}
	return nil, fmt.Errorf("open ledger: %q is neither sqlite:PATH nor a postgres:// URL", Redact(url))
}

// Redact returns url with any password replaced by "xxxxx", for messages.
func Redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	auth, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, ok := strings.Cut(auth, ":"); ok {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

// importChunk is how many records one transaction of Import writes.
const importChunk = 500

// Import merges every record of the JSON state file at path into l, then renames the file to a backup beside it
// (path + ".imported-<UTC time>") so it is imported once. A missing file imports nothing. A corrupt one is a
// *CorruptStateError and nothing is written or renamed. It returns how many records it imported and the backup.
func Import(l Ledger, path string, now time.Time) (int, string, error) {
	st, err := OpenStateFile(path).Load()
	if err != nil {
		return 0, "", err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, "", nil
	}
	if err := Put(l, st, now); err != nil {
		return 0, "", fmt.Errorf("import %s: %w", path, err)
	}
	backup := path + ".imported-" + now.UTC().Format("20060102T150405Z")
	err = os.Rename(path, backup)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return len(st.Vehicles), "", nil // another process started at the same time, imported it and renamed it
	case err != nil:
		return len(st.Vehicles), "", &NotRenamedError{Path: path, Err: err}
	}
	return len(st.Vehicles), backup, nil
}

// NotRenamedError says a state file was imported but could not be renamed (a read-only directory): the next start
// merges it again, which changes nothing. It is news for the user, not a reason to stop.
type NotRenamedError struct {
	Path string
	Err  error
}

func (e *NotRenamedError) Error() string {
	return fmt.Sprintf("imported %s into the ledger, but could not rename it (%v): each start merges it again, "+
		"which changes nothing; move it aside when you can", e.Path, e.Err)
}

// Unwrap returns the rename's error.
func (e *NotRenamedError) Unwrap() error { return e.Err }

// Put merges every record of st into l, in transactions of importChunk records.
func Put(l Ledger, st State, now time.Time) error {
	ids := make([]string, 0, len(st.Vehicles))
	for id := range st.Vehicles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for len(ids) > 0 {
		part := ids[:min(len(ids), importChunk)]
		if _, err := l.Update(part, now, func(State, time.Time) State {
			out := State{Vehicles: make(map[string]Record, len(part))}
			for _, id := range part {
				out.Vehicles[id] = st.Vehicles[id]
			}
			return out
		}); err != nil {
			return err
		}
		ids = ids[len(part):]
	}
	return nil
}

// Export writes every record of l to w in the JSON state format (see State.Save), for backups; Import reads it back.
func Export(l Ledger, w io.Writer) error {
	st, err := l.Load()
	if err != nil {
		return err
	}
	return st.Save(w)
}
