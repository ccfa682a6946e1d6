package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are the ledger's schema, one step per version: migrations[i] takes a database from version i to i+1.
// Each runs in its own transaction with the version bump, so a crash leaves a whole version or none. A step, once
// released, never changes: a new column is a new step. The SQL is common to SQLite and PostgreSQL.
var migrations = [][]string{{
	`CREATE TABLE fk_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)`,
	`INSERT INTO fk_counter (id, seq) VALUES (1, 0)`,
	`CREATE TABLE fk_records (id TEXT PRIMARY KEY, rec TEXT NOT NULL, seq BIGINT NOT NULL)`,
	`CREATE INDEX fk_records_seq ON fk_records (seq)`,
	`CREATE TABLE fk_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ns BIGINT NOT NULL)`,
	`INSERT INTO fk_lease (name, holder, until_ns) VALUES ('scheduler', '', 0)`,
	`CREATE TABLE fk_listing (id TEXT PRIMARY KEY, pos BIGINT NOT NULL, item TEXT NOT NULL, seen_ns BIGINT NOT NULL)`,
	`CREATE TABLE fk_listing_meta (id INTEGER PRIMARY KEY CHECK (id = 1), at_ns BIGINT NOT NULL,
		complete INTEGER NOT NULL, next_pos BIGINT NOT NULL)`,
	`INSERT INTO fk_listing_meta (id, at_ns, complete, next_pos) VALUES (1, 0, 0, 0)`,
}}

// SchemaVersion is the version of the ledger schema this fleetkey writes.
var SchemaVersion = len(migrations)

// migrate brings the database's schema to SchemaVersion, one transaction per step. A database of a newer version is
// refused with ErrNewerSchema, untouched.
func (l *sqlLedger) migrate() error {
	ctx, cancel := l.ctx()
	defer cancel()
	for {
		done, err := l.step(ctx)
		if err != nil {
			return l.wrap("migrate", err)
		}
		if done {
			return nil
		}
	}
}

// step runs the next migration, if any; done reports that the schema is current.
func (l *sqlLedger) step(ctx context.Context) (done bool, err error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if l.d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, l.d.lockMigrations); err != nil {
			return false, err
		}
	}
	// Under the lock: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent one.
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS fk_schema (version INTEGER NOT NULL)"); err != nil {
		return false, err
	}
	v, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case v > SchemaVersion:
		return false, fmt.Errorf("%w: it is at version %d and this fleetkey knows versions up to %d; "+
			"upgrade fleetkey (the ledger is left as it is)", ErrNewerSchema, v, SchemaVersion)
	case v == SchemaVersion:
		return true, nil
	}
	for _, stmt := range migrations[v] {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("version %d: %w", v+1, err)
		}
	}
	if err := setSchemaVersion(ctx, tx, v+1); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// schemaVersion reads the version row; 0 when there is none.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx, "SELECT version FROM fk_schema").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func setSchemaVersion(ctx context.Context, tx *sql.Tx, v int) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM fk_schema"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO fk_schema (version) VALUES (%d)", v))
	return err
}
