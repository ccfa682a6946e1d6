package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgChannel is the LISTEN/NOTIFY channel on which every write says that records changed.
const pgChannel = "fleetkey_ledger"

// idleInTx bounds how long the server keeps a transaction open with no statement coming.
const idleInTx = 10 * time.Second

// pgRetry is how long the listener waits before it connects again after losing its connection.
const pgRetry = 2 * time.Second

// PostgresOptions tune OpenPostgres.
type PostgresOptions struct {
	// CallerClock makes the gate and the lease use the now their callers pass instead of the database's now(), for
	// tests and simulations that run on a clock of their own.
	CallerClock bool
}

// OpenPostgres connects to the PostgreSQL ledger at url (a postgres:// URL or a key=value string; the password comes
// from PGPASSWORD or the passfile, as libpq's do, when the URL has none) and brings its schema up to date. Every
// write notifies the others on LISTEN/NOTIFY, so Since costs no query while nothing changed.
func OpenPostgres(url string, o PostgresOptions) (Ledger, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open ledger postgres: %w", err) // pgx's message never repeats the password
	}
	loc := fmt.Sprintf("postgres %s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	// A process frozen or cut off inside a transaction holds the change counter's lock, so every other writer waits:
	// the server ends such a transaction well before a lease expires, and its writes are rolled back.
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprint(idleInTx.Milliseconds())
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	l := &sqlLedger{db: db, loc: loc, d: dialect{name: "postgres", rebind: questionsToDollars,
		lockMigrations: "SELECT pg_advisory_xact_lock(7254732901)", notify: "SELECT pg_notify('" + pgChannel + "', '')"}}
	if !o.CallerClock {
		l.d.clock = "SELECT clock_timestamp()"
	}
	if err := l.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	w := newPgWatch(cfg)
	l.d.changed, l.d.closer = w.changed, w.close
	return l, nil
}

// pgWatch LISTENs on its own connection and remembers whether a NOTIFY came. While it is not listening (connecting,
// or the connection was lost) every Since queries: a notification may have been missed.
type pgWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	dirty     bool
	listening bool
}

func newPgWatch(cfg *pgx.ConnConfig) *pgWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &pgWatch{cancel: cancel, done: make(chan struct{}), dirty: true}
	go w.run(ctx, cfg.Copy())
	return w
}

// run listens until ctx ends, connecting again pgRetry after each loss.
func (w *pgWatch) run(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(w.done)
	for ctx.Err() == nil {
		w.listen(ctx, cfg)
		w.set(true, false)
		select {
		case <-ctx.Done():
		case <-time.After(pgRetry):
		}
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (w *pgWatch) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		return
	}
	w.set(true, true) // anything before the LISTEN was missed
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		w.set(true, true)
	}
}

func (w *pgWatch) set(dirty, listening bool) {
	w.mu.Lock()
	w.dirty, w.listening = dirty, listening
	w.mu.Unlock()
}

// changed reports whether a notification came since the last call, or the listener is not listening.
func (w *pgWatch) changed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	moved := w.dirty || !w.listening
	w.dirty = false
	return moved
}

func (w *pgWatch) close() error {
	w.cancel()
	<-w.done
	return nil
}
