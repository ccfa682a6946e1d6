package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// testSplitReadings writes the import fixture as schema version 1 kept it, each Reading inside its rec column, and
// opens it: the migration to version 2 moves every Reading into its own column, and every record reads back the
// same, whole from Load and Get, lean from Lean, at the same change numbers.
func testSplitReadings(t *testing.T, db *testDB) {
	fixture, err := os.ReadFile(importFixture)
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadState(bytes.NewReader(fixture))
	if err != nil {
		t.Fatal(err)
	}
	if err := Put(db, want, stateBase); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, db)
	seqs := func() string { return querySeqs(t, db, "SELECT id, seq FROM fk_records ORDER BY id") }
	before := seqs()
	readings := 0
	for id, r := range want.Vehicles {
		v1, err := json.Marshal(r.utc())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(db.rebind("UPDATE fk_records SET rec = ? WHERE id = ?"), string(v1), id); err != nil {
			t.Fatal(err)
		}
		if r.Reading != nil {
			readings++
		}
	}
	for _, stmt := range []string{"ALTER TABLE fk_records DROP COLUMN reading", "DROP INDEX fk_listing_order",
		"UPDATE fk_schema SET version = 1"} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if readings == 0 {
		t.Fatalf("%s has no record with a reading", importFixture)
	}
	l := db.handle(t)
	wantLoad(t, l, want, "after the migration to version 2")
	var split, inside int
	if err := raw.QueryRow("SELECT COUNT(*) FROM fk_records WHERE reading IS NOT NULL").Scan(&split); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM fk_records WHERE rec LIKE '%"reading":%'`).Scan(&inside); err != nil {
		t.Fatal(err)
	}
	if split != readings || inside != 0 {
		t.Errorf("after the migration %d rows have a reading column and %d a reading inside rec; want %d and 0",
			split, inside, readings)
	}
	if after := seqs(); after != before {
		t.Errorf("the migration changed the change numbers:\nbefore %s\nafter  %s", before, after)
	}
}

// querySeqs returns the rows of q, pairs of id and change number, as one line.
func querySeqs(t *testing.T, db *testDB, q string) string {
	t.Helper()
	rows, err := rawDB(t, db).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", id, seq)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// rebind turns ? placeholders into db's engine's.
func (db *testDB) rebind(q string) string {
	if db.engine == "postgres" {
		return questionsToDollars(q)
	}
	return q
}

// testLeanWrite writes a lean copy of a record over it, as a caller holding only lean copies might: the Reading is
// kept, not cleared, and the copy's other changes are taken.
func testLeanWrite(t *testing.T, db *testDB) {
	at := stateBase.Add(-time.Hour)
	rd := Reading{At: at, Battery: Value[float64]{Status: StatusOK, V: 81, Unit: "percent", UpdatedAt: at}}
	whole := Record{LastReadAt: at, Reading: &rd, UpdatedAt: at}
	if err := Put(db, State{Vehicles: map[string]Record{"v": whole}}, stateBase); err != nil {
		t.Fatal(err)
	}
	later := whole.Lean()
	later.LastError, later.LastErrorAt = "asleep", stateBase
	later = later.Touch(stateBase)
	if _, err := db.Update([]string{"v"}, stateBase, func(State, time.Time) State {
		return State{Vehicles: map[string]Record{"v": later}}
	}); err != nil {
		t.Fatal(err)
	}
	want := later
	want.Reading, want.ReadingAt = &rd, time.Time{}
	wantLoad(t, db.other(t), State{Vehicles: map[string]Record{"v": want}}, "after a lean write")
}
