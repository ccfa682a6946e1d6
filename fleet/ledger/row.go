package ledger

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	fastjson "github.com/segmentio/encoding/json"
)

// storedRec is a record as its row's rec column keeps it: without its Reading, which has a column of its own so that
// a lean load (see Ledger.Lean) never decodes it, and with the time the Reading was taken, which a lean copy keeps.
type storedRec struct {
	Record
	At time.Time `json:"reading_at,omitzero"`
}

// encodeRow returns r's rec and reading columns; reading is nil (NULL) when r has no Reading.
func encodeRow(r Record) (rec string, reading any, err error) {
	r = r.utc()
	b, err := json.Marshal(storedRec{Record: r.Lean(), At: r.DataAt()})
	if err != nil {
		return "", nil, err
	}
	if r.Reading == nil {
		return string(b), nil, nil
	}
	rd, err := json.Marshal(r.Reading)
	if err != nil {
		return "", nil, err
	}
	return string(b), string(rd), nil
}

// decodeRec decodes a rec column into a lean record. Rows are decoded by segmentio's drop-in decoder, which
// copies what it keeps as encoding/json does and is 4.5 times as fast on a record (BENCHMARKS.md), the most of
// start-up's wait at 100 000 vehicles. A row that schema version 1 wrote holds its Reading inside rec,
// which is kept: the caller makes it lean or whole.
func decodeRec(id string, rec []byte) (Record, error) {
	var s storedRec
	if err := fastjson.Unmarshal(rec, &s); err != nil {
		return Record{}, fmt.Errorf("vehicle %q: corrupt record: %w", id, err)
	}
	r := s.Record
	if r.Reading == nil {
		r.ReadingAt = s.At
	}
	return r, nil
}

// decodeRow decodes a row's rec and reading columns into the whole record.
func decodeRow(id string, rec, reading []byte) (Record, error) {
	r, err := decodeRec(id, rec)
	if err != nil || reading == nil {
		return r, err
	}
	var rd Reading
	if err := fastjson.Unmarshal(reading, &rd); err != nil {
		return Record{}, fmt.Errorf("vehicle %q: corrupt reading: %w", id, err)
	}
	r.Reading, r.ReadingAt = &rd, time.Time{}
	return r, nil
}

// scanRecords decodes rows of (id, rec, reading) into whole records and closes them. The columns are decoded where
// the driver holds them (sql.RawBytes), not copied first.
func scanRecords(rows *sql.Rows) (State, error) {
	defer rows.Close()
	st := State{Vehicles: map[string]Record{}}
	for rows.Next() {
		var id string
		var rec, reading sql.RawBytes
		if err := rows.Scan(&id, &rec, &reading); err != nil {
			return State{}, err
		}
		r, err := decodeRow(id, rec, reading)
		if err != nil {
			return State{}, err
		}
		st.Vehicles[id] = r
	}
	return st, rows.Err()
}

// scanLean decodes rows of (id, rec) into lean records and closes them.
func scanLean(rows *sql.Rows) (State, error) {
	defer rows.Close()
	st := State{Vehicles: map[string]Record{}}
	for rows.Next() {
		var id string
		var rec sql.RawBytes
		if err := rows.Scan(&id, &rec); err != nil {
			return State{}, err
		}
		r, err := decodeRec(id, rec)
		if err != nil {
			return State{}, err
		}
		st.Vehicles[id] = r.Lean()
	}
	return st, rows.Err()
}
