package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migration is one step of the schema: its statements, common to SQLite and PostgreSQL, then its move of the data,
// if any.
type migration struct {
	stmts []string
	move  func(ctx context.Context, tx *sql.Tx, d dialect) error
}

// migrations are the ledger's schema, one step per version: migrations[i] takes a database from version i to i+1.
// Each runs in its own transaction with the version bump, so a crash leaves a whole version or none. A step, once
// released, never changes: a new column is a new step.
var migrations = []migration{{stmts: []string{
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
}}, {
	// Version 2: each vehicle's Reading in a column of its own, so that start-up decodes only the lean records.
	// And the kept listing indexed in the order it is read in.
	stmts: []string{`ALTER TABLE fk_records ADD COLUMN reading TEXT`,
		`CREATE INDEX fk_listing_order ON fk_listing (seen_ns DESC, pos)`},
	move: splitReadings,
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
	if err := migrations[v].run(ctx, tx, l.d); err != nil {
		return false, fmt.Errorf("version %d: %w", v+1, err)
	}
	if err := setSchemaVersion(ctx, tx, v+1); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

func (m migration) run(ctx context.Context, tx *sql.Tx, d dialect) error {
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if m.move == nil {
		return nil
	}
	return m.move(ctx, tx, d)
}

// splitBatch is how many rows splitReadings reads at a time.
const splitBatch = 1000

// splitReadings moves each record's Reading out of its rec column into its reading column, a batch of rows at a
// time in the order of their ids. The records do not change, so neither do their change numbers.
func splitReadings(ctx context.Context, tx *sql.Tx, d dialect) error {
	after := ""
	for {
		batch, err := oldRows(ctx, tx, d, after)
		if err != nil || len(batch) == 0 {
			return err
		}
		for _, row := range batch {
			if row.r.Reading == nil {
				continue
			}
			rec, reading, err := encodeRow(row.r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, d.rebind("UPDATE fk_records SET rec = ?, reading = ? WHERE id = ?"),
				rec, reading, row.id); err != nil {
				return err
			}
		}
		after = batch[len(batch)-1].id
	}
}

type idRecord struct {
	id string
	r  Record
}

// oldRows reads the next batch of rows after id after, decoded as version 1 wrote them, whole in rec.
func oldRows(ctx context.Context, tx *sql.Tx, d dialect, after string) ([]idRecord, error) {
	rows, err := tx.QueryContext(ctx, d.rebind("SELECT id, rec FROM fk_records WHERE id > ? ORDER BY id LIMIT ?"),
		after, splitBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []idRecord
	for rows.Next() {
		var id string
		var rec sql.RawBytes
		if err := rows.Scan(&id, &rec); err != nil {
			return nil, err
		}
		r, err := decodeRec(id, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, idRecord{id, r})
	}
	return out, rows.Err()
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
