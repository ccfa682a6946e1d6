package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver: no cgo, so `go install` works everywhere
)

// sqliteBusy is how long a writer waits for another process's write transaction before failing, in milliseconds.
const sqliteBusy = 10000

// OpenSQLite opens (creating when missing, mode 0600 in a 0700 directory) the SQLite ledger at path and brings its
// schema up to date. It uses WAL with synchronous=FULL: a committed write survives a power cut, and readers never
// wait for writers. Write transactions are BEGIN IMMEDIATE, so processes sharing the file take turns.
func OpenSQLite(path string) (Ledger, error) {
	path = resolvePath(path)
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open ledger sqlite %s: %w", path, err)
	}
	q := url.Values{}
	// busy_timeout first: the pragmas after it (switching a new file to WAL takes a lock) wait for other processes.
	for _, p := range []string{fmt.Sprintf("busy_timeout(%d)", sqliteBusy), "journal_mode(WAL)", "synchronous(FULL)",
		"foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open ledger sqlite %s: %w", path, err)
	}
	l := &sqlLedger{db: db, loc: "sqlite " + path, d: dialect{name: "sqlite", rebind: func(s string) string { return s },
		serialWrites: true}}
	if err := migrateSQLite(l); err != nil {
		db.Close()
		return nil, sqliteAdvice(path, err)
	}
	w, err := newVersionWatch(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger sqlite %s: %w", path, err)
	}
	l.d.changed, l.d.closer = w.changed, w.close
	return l, nil
}

// migrateSQLite migrates l, trying again while another process holds the file's lock as it opens a new ledger too:
// switching a new file to WAL can answer SQLITE_BUSY at once, without waiting out busy_timeout (seen 1 open in 4
// when 4 open a new file together). It gives up after busy_timeout.
func migrateSQLite(l *sqlLedger) error {
	deadline := time.Now().Add(sqliteBusy * time.Millisecond)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := l.migrate()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// isBusy says err is SQLite's "database is locked".
func isBusy(err error) bool {
	return strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked")
}

// createPrivate creates the file at path, empty and 0600, and its directory 0700, unless the file exists.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// sqliteAdvice adds what to do to an error opening a file that is not a database, or a damaged one.
func sqliteAdvice(path string, err error) error {
	if msg := err.Error(); !strings.Contains(msg, "not a database") && !strings.Contains(msg, "malformed") {
		return err // a newer schema, a lock held too long, a full disk: the error says it
	}
	return fmt.Errorf("%w: it holds the read history that protects each vehicle's read budget, so fleetkey will "+
		"not reset it. Fix or restore %s, or move it aside to start empty (every vehicle then counts as never read)",
		err, path)
}

// versionWatch polls PRAGMA data_version on a connection of its own: the number changes when another connection
// commits, so an unchanged one means there is nothing new to read.
type versionWatch struct {
	mu   sync.Mutex
	conn *sql.Conn
	last int64
}

func newVersionWatch(db *sql.DB) (*versionWatch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &versionWatch{conn: conn, last: -1}, nil
}

// changed reports whether data_version moved since the last call; an error counts as a change.
func (w *versionWatch) changed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var v int64
	if err := w.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return true
	}
	moved := v != w.last
	w.last = v
	return moved
}

func (w *versionWatch) close() error { return w.conn.Close() }
