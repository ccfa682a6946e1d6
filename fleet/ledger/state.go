// Package ledger keeps the read history of the fleet: one Record per vehicle (its last read and any read reserved and
// not ended, holds, backoff, what reads learned, the last good value of each signal), the Ledger that persists it
// for every process that shares it (SQLite, PostgreSQL, or memory for the demo) with the scheduler's lease and the
// kept listing, the JSON format of the old state file (imported once, and written by export), and the gate:
// Record.NextRead decides when a vehicle may next be read, from the rules of package policy and the record's own
// holds. It does not send reads or decide which vehicle is read next: package schedule does.
package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"fleetkey/policy"
)

// stateVersion is the version of the state format that Save writes. LoadState reads it and every older version.
const stateVersion = 3

// ErrUnsupportedStateVersion is what LoadState wraps when the input has a version this build cannot read,
// most likely because a newer fleetkey wrote it.
var ErrUnsupportedStateVersion = errors.New("unsupported state version")

// Record is what the state knows about one vehicle.
//
// A field added here must also get a rule in Record.merge, and a new version of the format when an older
// fleetkey could not read it.
type Record struct {
	// LastReadAt is when a read was last sent, or may have been: no earlier than the request left. Zero (and absent
	// from the file) when never read.
	LastReadAt time.Time `json:"last_read_at,omitzero"`
	// ReservedAt is when the gate granted a read that has not ended yet. It is recorded before the request leaves and
	// counts as a read (see ReadAt), so a crash between the grant and the answer cannot allow a second one. The
	// read's end moves it into LastReadAt, or clears it when the request provably never left. Zero when none.
	ReservedAt time.Time `json:"reserved_at,omitzero"`
	// NotBefore is the earliest next read whatever the rules say: a 429's Retry-After or a backoff.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Failures counts consecutive transient failures, for exponential backoff.
	Failures int `json:"failures,omitempty"`
	// Key is the learned key status ("installed", "missing" or "unknown"), KeyAt when it was learned and
	// KeySource from which signal or error.
	Key       string    `json:"key,omitempty"`
	KeyAt     time.Time `json:"key_at,omitzero"`
	KeySource string    `json:"key_source,omitempty"`
	// VIN is the learned VIN and VINAt when it was read.
	VIN   string    `json:"vin,omitempty"`
	VINAt time.Time `json:"vin_at,omitzero"`
	// Asleep is whether the last answer said the vehicle sleeps, learned at AsleepAt.
	Asleep   bool      `json:"asleep,omitempty"`
	AsleepAt time.Time `json:"asleep_at,omitzero"`
	// Reading holds the last good value of each signal (see MergeReading); nil when never read successfully, and in
	// a lean copy (see Lean).
	Reading *Reading `json:"reading,omitempty"`
	// ReadingAt is when the Reading was taken, in a lean copy that leaves the Reading out; zero otherwise. DataAt
	// reads that time from either.
	ReadingAt time.Time `json:"-"`
	// Stopped says why reads of the vehicle are stopped (billing, a rejected request); "" when they are not.
	Stopped string `json:"stopped,omitempty"`
	// LastError is the last read's error and LastErrorAt when it happened. A later DataAt means it is over.
	// ErrorKind names its kind (see Condition): "asleep", "rate-limited", "failing", "billing", "rejected", ….
	LastError   string    `json:"last_error,omitempty"`
	ErrorKind   string    `json:"error_kind,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// UpdatedAt is when the record last changed; merge takes every field but the two times above from the later one.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// LearnedKey returns the key status learned from reads; KeyUnknown when none was.
func (r Record) LearnedKey() policy.KeyStatus {
	if r.Key == "" {
		return policy.KeyUnknown // the common case, without the cost of a parse error
	}
	k, err := policy.ParseKeyStatus(r.Key)
	if err != nil {
		return policy.KeyUnknown
	}
	return k
}

// ReadAt returns the vehicle's last read as the gate counts it: the later of the last read and a read reserved and
// not ended (zero when never read).
func (r Record) ReadAt() time.Time { return later(r.LastReadAt, r.ReservedAt) }

// DataAt returns when the kept Reading was taken, also in a lean copy; zero when the vehicle was never read well.
func (r Record) DataAt() time.Time {
	if r.Reading != nil {
		return r.Reading.At
	}
	return r.ReadingAt
}

// Lean returns r without its Reading, keeping when it was taken (DataAt): all that the rows and the scheduler need,
// at a fraction of the memory and none of the cost of decoding every vehicle's kept values.
func (r Record) Lean() Record {
	r.ReadingAt, r.Reading = r.DataAt(), nil
	return r
}

// IsLean reports that r is a lean copy of a record that has a Reading (see Lean).
func (r Record) IsLean() bool { return r.Reading == nil && !r.ReadingAt.IsZero() }

// merge combines two records of one vehicle. LastReadAt and NotBefore take the later time, so a record never goes
// back in time; every other field comes from the record with the later UpdatedAt, o on a tie (in a Store's Update,
// o is the new write). ReservedAt is among those: a reservation released by the newer record stays released.
func (r Record) Merge(o Record) Record {
	out := o
	if r.UpdatedAt.After(o.UpdatedAt) {
		out = r
	}
	out.LastReadAt = later(r.LastReadAt, o.LastReadAt)
	out.NotBefore = later(r.NotBefore, o.NotBefore)
	if out.IsLean() { // a lean copy left the Reading out; it did not clear it
		for _, x := range []Record{r, o} {
			if x.Reading != nil && !x.Reading.At.Before(out.ReadingAt) {
				out.Reading, out.ReadingAt = x.Reading, time.Time{}
			}
		}
	}
	return out
}

// touch returns r marked as changed at now: UpdatedAt becomes now, or just after r's own UpdatedAt when that is not
// earlier, so the change wins a merge over the record it was made from even when clocks disagree.
func (r Record) Touch(now time.Time) Record {
	if now.After(r.UpdatedAt) {
		r.UpdatedAt = now
	} else {
		r.UpdatedAt = r.UpdatedAt.Add(time.Nanosecond)
	}
	return r
}

// utc returns r with every time in UTC, so equal records save as equal bytes. The Reading is copied, not changed.
func (r Record) utc() Record {
	for _, t := range []*time.Time{&r.LastReadAt, &r.ReservedAt, &r.NotBefore, &r.KeyAt, &r.VINAt, &r.AsleepAt, &r.LastErrorAt,
		&r.UpdatedAt, &r.ReadingAt} {
		*t = t.UTC()
	}
	if r.Reading != nil {
		rd := r.Reading.utc()
		r.Reading = &rd
	}
	return r
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// State maps vehicle id → Record. It is a value: its methods return new maps and never change the receiver's.
// A zero State is empty and usable. A Record's Reading is shared between copies and must never be changed in place.
type State struct {
	Vehicles map[string]Record
}

// stateDoc is the versioned JSON document of a State; Vehicles is decoded once the version is known.
type stateDoc struct {
	Version  int             `json:"version"`
	Vehicles json.RawMessage `json:"vehicles,omitempty"`
}

// savedDoc is the document Save writes.
type savedDoc struct {
	Version  int               `json:"version"`
	Vehicles map[string]Record `json:"vehicles"`
}

// recordV1 is a Record as version 1 wrote it.
type recordV1 struct {
	LastReadAt time.Time `json:"last_read_at,omitzero"`
}

// LoadState decodes a state written by Save, of this version or an older one. It is strict: empty input, bad JSON,
// trailing data, unknown fields, a missing or unknown version, an empty vehicle id, a time that is not RFC 3339 and
// an unknown key status are all errors, because guessing at a damaged read history could spend a read budget twice.
// The returned Vehicles map is never nil.
func LoadState(r io.Reader) (State, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var doc stateDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return State{}, errors.New("decode state: empty input")
		}
		return State{}, fmt.Errorf("decode state: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return State{}, errors.New("decode state: data after the state object")
	}
	vs, err := decodeVehicles(doc)
	if err != nil {
		return State{}, fmt.Errorf("decode state: %w", err)
	}
	if _, ok := vs[""]; ok {
		return State{}, errors.New("decode state: empty vehicle id")
	}
	return State{Vehicles: vs}, nil
}

// decodeVehicles decodes the vehicles of doc as its version wrote them; the map is never nil.
func decodeVehicles(doc stateDoc) (map[string]Record, error) {
	vs := map[string]Record{}
	switch doc.Version {
	case 1:
		var v1 map[string]recordV1
		if err := decodeStrict(doc.Vehicles, &v1); err != nil {
			return nil, err
		}
		for id, r := range v1 {
			vs[id] = Record{LastReadAt: r.LastReadAt}
		}
	case 2, stateVersion: // version 3 added reserved_at and error_kind
		if err := decodeStrict(doc.Vehicles, &vs); err != nil {
			return nil, err
		}
		for id, r := range vs {
			if err := r.validate(); err != nil {
				return nil, fmt.Errorf("vehicle %q: %w", id, err)
			}
		}
	case 0:
		return nil, errors.New("missing version")
	default:
		return nil, fmt.Errorf("%w %d (written by a newer fleetkey? this one reads versions 1 to %d)",
			ErrUnsupportedStateVersion, doc.Version, stateVersion)
	}
	if vs == nil {
		vs = map[string]Record{} // "vehicles": null
	}
	return vs, nil
}

// decodeStrict decodes raw into v, rejecting unknown fields; absent raw leaves v as it is.
func decodeStrict(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// validate rejects values that no fleetkey writes.
func (r Record) validate() error {
	if r.Key != "" {
		if _, err := policy.ParseKeyStatus(r.Key); err != nil {
			return err
		}
	}
	if r.Failures < 0 {
		return fmt.Errorf("negative failures %d", r.Failures)
	}
	return nil
}

// Save writes the state as indented JSON with a version field. The output is stable: vehicles sorted by id, times
// in UTC, so equal states give equal bytes. An empty vehicle id is an error (LoadState would reject it).
func (s State) Save(w io.Writer) error {
	vs := make(map[string]Record, len(s.Vehicles))
	for id, r := range s.Vehicles {
		if id == "" {
			return errors.New("encode state: empty vehicle id")
		}
		vs[id] = r.utc()
	}
	b, err := json.MarshalIndent(savedDoc{Version: stateVersion, Vehicles: vs}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Merge returns the union of s and o. For a vehicle in both, the records merge field by field (see Record.merge):
// the later LastReadAt and NotBefore win, so a merge never moves a record back in time whatever the order of its
// operands, and the other fields come from the record changed last.
func (s State) Merge(o State) State {
	out := make(map[string]Record, len(s.Vehicles)+len(o.Vehicles))
	maps.Copy(out, s.Vehicles)
	for id, r := range o.Vehicles {
		if cur, ok := out[id]; ok {
			r = cur.Merge(r)
		}
		out[id] = r
	}
	return State{Vehicles: out}
}

// LastRead returns when vehicle id was last read, a reserved read included; zero when never.
func (s State) LastRead(id string) time.Time {
	return s.Vehicles[id].ReadAt()
}

// clone returns a copy of s that shares no map with it; the Vehicles map is never nil.
func (s State) clone() State {
	return s.Merge(State{})
}

// RecordRead records in l that vehicle id was read at at, unless a later read is already recorded, and returns the
// stored record.
func RecordRead(l Ledger, id string, at time.Time) (State, error) {
	if id == "" {
		return State{}, errors.New("record read: empty vehicle id")
	}
	return l.Update([]string{id}, at, func(State, time.Time) State {
		return State{Vehicles: map[string]Record{id: {LastReadAt: at}}}
	})
}
