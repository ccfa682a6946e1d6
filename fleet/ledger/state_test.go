package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateBase is the fixed clock of the state tests.
var stateBase = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// states builds a State from id → time pairs.
func states(kv ...any) State {
	s := State{Vehicles: map[string]Record{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Vehicles[kv[i].(string)] = Record{LastReadAt: kv[i+1].(time.Time)}
	}
	return s
}

// equalStates reports whether a and b hold the same ids and the same records: the same instants (whatever their
// zones) and the same values.
func equalStates(a, b State) bool {
	if len(a.Vehicles) != len(b.Vehicles) {
		return false
	}
	for id, r := range a.Vehicles {
		o, ok := b.Vehicles[id]
		if !ok || !equalRecords(r, o) {
			return false
		}
	}
	return true
}

// equalRecords reports whether two records hold the same instants and values, comparing their UTC JSON.
func equalRecords(a, b Record) bool {
	ja, errA := json.Marshal(a.utc())
	jb, errB := json.Marshal(b.utc())
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// goldenState is the state that testdata/state/v1.json holds (and the v1 part of v2.json).
func goldenState() State {
	paris := time.FixedZone("CET", 3600)
	return states(
		"b-keyless", stateBase.Add(-8*time.Hour+500*time.Millisecond),
		"a-legacy", stateBase.In(paris),
		"c-never", time.Time{},
	)
}

func TestStateSaveGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "state", "v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := goldenStateV3().Save(&got); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	if got.String() != string(want) {
		t.Errorf("Save() =\n%s\nwant\n%s", got.String(), want)
	}
	// Maps iterate in random order: saving again must still give the same bytes.
	for range 20 {
		var again bytes.Buffer
		if err := goldenStateV3().Save(&again); err != nil || !bytes.Equal(again.Bytes(), got.Bytes()) {
			t.Fatalf("Save() is not stable: second output =\n%s", again.String())
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   State
	}{
		{name: "golden", in: goldenStateV3()},
		{name: "every field", in: State{Vehicles: map[string]Record{"x": fullRecord()}}},
		{name: "empty", in: State{}},
		{name: "nanoseconds and zones", in: states("x", stateBase.Add(time.Nanosecond).In(time.FixedZone("A", -7*3600)))},
		{name: "unicode id", in: states("véhicule \"1\"", stateBase)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.in.Save(&buf); err != nil {
				t.Fatalf("Save() error = %v", err)
			}
			got, err := LoadState(&buf)
			if err != nil {
				t.Fatalf("LoadState(Save(%v)) error = %v", tt.in, err)
			}
			if !equalStates(got, tt.in.clone()) || got.Vehicles == nil {
				t.Errorf("LoadState(Save(%v)) = %v, want the same", tt.in, got)
			}
		})
	}
}

func TestLoadStateRejects(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "state", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
	}{
		{name: "empty", in: "", want: "empty input"},
		{name: "whitespace", in: " \n", want: "empty input"},
		{name: "truncated", in: string(golden[:len(golden)/2]), want: "unexpected EOF"},
		{name: "not json", in: "last_read_at = 2025", want: "invalid character"},
		{name: "null", in: "null", want: "missing version"},
		{name: "missing version", in: `{"vehicles": {}}`, want: "missing version"},
		{name: "newer version", in: `{"version": 4, "vehicles": {}}`, want: "unsupported state version 4"},
		{name: "v2 field in v1", in: `{"version": 1, "vehicles": {"a": {"failures": 1}}}`, want: `unknown field "failures"`},
		{name: "unknown key status", in: `{"version": 2, "vehicles": {"a": {"key": "paired"}}}`, want: `"paired"`},
		{name: "negative failures", in: `{"version": 2, "vehicles": {"a": {"failures": -1}}}`, want: "negative failures"},
		{name: "unknown reading field", in: `{"version": 2, "vehicles": {"a": {"reading": {"soc": 1}}}}`,
			want: `unknown field "soc"`},
		{name: "empty id v2", in: `{"version": 2, "vehicles": {"": {}}}`, want: "empty vehicle id"},
		{name: "version as string", in: `{"version": "1"}`, want: "cannot unmarshal string"},
		{name: "bad time", in: `{"version": 1, "vehicles": {"a": {"last_read_at": "yesterday"}}}`, want: "cannot parse"},
		{name: "time without zone", in: `{"version": 1, "vehicles": {"a": {"last_read_at": "2025-03-01T12:00:00"}}}`,
			want: "cannot parse"},
		{name: "unknown field", in: `{"version": 1, "vehicles": {"a": {"last_red_at": "2025-03-01T12:00:00Z"}}}`,
			want: `unknown field "last_red_at"`},
		{name: "unknown top field", in: `{"version": 1, "fleet": {}}`, want: `unknown field "fleet"`},
		{name: "empty id", in: `{"version": 1, "vehicles": {"": {}}}`, want: "empty vehicle id"},
		{name: "trailing data", in: `{"version": 1}{"version": 1}`, want: "data after the state object"},
		{name: "trailing garbage", in: `{"version": 1} x`, want: "data after the state object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadState(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadState(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLoadStateUnsupportedVersionIsSentinel(t *testing.T) {
	_, err := LoadState(strings.NewReader(`{"version": 7}`))
	if !errors.Is(err, ErrUnsupportedStateVersion) {
		t.Errorf("LoadState(version 7) error = %v, want errors.Is ErrUnsupportedStateVersion", err)
	}
}

func TestStateSaveRejectsEmptyID(t *testing.T) {
	var buf bytes.Buffer
	if err := states("", stateBase).Save(&buf); err == nil {
		t.Errorf("Save(empty id) = nil error, wrote %q; want error", buf.String())
	}
}

func TestStateMerge(t *testing.T) {
	early, late := stateBase, stateBase.Add(time.Hour)
	tests := []struct {
		name       string
		s, o, want State
	}{
		{name: "later in o wins", s: states("a", early), o: states("a", late), want: states("a", late)},
		{name: "never backwards", s: states("a", late), o: states("a", early), want: states("a", late)},
		{name: "zero never erases", s: states("a", late), o: states("a", time.Time{}), want: states("a", late)},
		{name: "disjoint union", s: states("a", early), o: states("b", late), want: states("a", early, "b", late)},
		{name: "nil maps", s: State{}, o: State{}, want: states()},
		{name: "into nil", s: State{}, o: states("a", early), want: states("a", early)},
		{name: "same instant other zone", s: states("a", early), o: states("a", early.In(time.FixedZone("X", 3600))),
			want: states("a", early)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sBefore, oBefore := tt.s.clone(), tt.o.clone()
			got := tt.s.Merge(tt.o)
			if !equalStates(got, tt.want) {
				t.Errorf("%v.Merge(%v) = %v, want %v", tt.s, tt.o, got, tt.want)
			}
			if !equalStates(tt.s, sBefore) || !equalStates(tt.o, oBefore) {
				t.Errorf("Merge changed its operands: %v, %v; want %v, %v", tt.s, tt.o, sBefore, oBefore)
			}
			if back := tt.o.Merge(tt.s); !equalStates(back, tt.want) {
				t.Errorf("%v.Merge(%v) = %v, want %v (order must not matter)", tt.o, tt.s, back, tt.want)
			}
		})
	}
}

func TestStateLastRead(t *testing.T) {
	tests := []struct {
		name string
		s    State
		id   string
		want time.Time
	}{
		{name: "known", s: states("a", stateBase), id: "a", want: stateBase},
		{name: "unknown id", s: states("a", stateBase), id: "b", want: time.Time{}},
		{name: "nil map", s: State{}, id: "a", want: time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.LastRead(tt.id); !got.Equal(tt.want) {
				t.Errorf("LastRead(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

// storeCases returns one fresh ledger of each kind that needs no server, all starting from initial.
func storeCases(t *testing.T, initial State) map[string]Ledger {
	sq, err := OpenSQLite(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	if err := Put(sq, initial, stateBase); err != nil {
		t.Fatal(err)
	}
	return map[string]Ledger{"sqlite": sq, "memory": NewMemoryStore(initial)}
}

func TestRecordRead(t *testing.T) {
	for name, s := range storeCases(t, states("a", stateBase)) {
		t.Run(name, func(t *testing.T) {
			steps := []struct {
				id   string
				at   time.Time
				want time.Time
			}{
				{id: "a", at: stateBase.Add(time.Minute), want: stateBase.Add(time.Minute)},
				{id: "a", at: stateBase, want: stateBase.Add(time.Minute)}, // never backwards
				{id: "b", at: stateBase, want: stateBase},
			}
			for _, st := range steps {
				got, err := RecordRead(s, st.id, st.at)
				if err != nil || !got.LastRead(st.id).Equal(st.want) {
					t.Fatalf("RecordRead(%q, %v) = %v, %v; want LastRead %v", st.id, st.at, got, err, st.want)
				}
			}
			loaded, err := s.Load()
			if want := states("a", stateBase.Add(time.Minute), "b", stateBase); err != nil || !equalStates(loaded, want) {
				t.Errorf("Load() = %v, %v; want %v", loaded, err, want)
			}
			if _, err := RecordRead(s, "", stateBase); err == nil {
				t.Errorf("RecordRead(empty id) = nil error, want error")
			}
		})
	}
}

func TestUpdateNeverDropsOrRewinds(t *testing.T) {
	initial := states("a", stateBase, "b", stateBase)
	for name, s := range storeCases(t, initial) {
		t.Run(name, func(t *testing.T) {
			got, err := s.Update([]string{"a", "c"}, stateBase, func(st State, _ time.Time) State {
				st.Vehicles["a"] = Record{LastReadAt: stateBase.Add(-time.Hour)} // fn may scribble on its copy
				return states("a", stateBase.Add(-time.Hour), "c", stateBase)
			})
			if want := states("a", stateBase, "c", stateBase); err != nil || !equalStates(got, want) {
				t.Errorf("Update(rewind a, add c) = %v, %v; want %v", got, err, want)
			}
			want := states("a", stateBase, "b", stateBase, "c", stateBase)
			if loaded, err := s.Load(); err != nil || !equalStates(loaded, want) {
				t.Errorf("Load() = %v, %v; want %v", loaded, err, want)
			}
		})
	}
}

func TestMemoryStoreIsolation(t *testing.T) {
	initial := states("a", stateBase)
	m := NewMemoryStore(initial)
	initial.Vehicles["a"] = Record{}
	loaded, _ := m.Load()
	loaded.Vehicles["b"] = Record{LastReadAt: stateBase}
	updated, _ := RecordRead(m, "c", stateBase)
	updated.Vehicles["d"] = Record{LastReadAt: stateBase}
	got, _ := m.Load()
	if want := states("a", stateBase, "c", stateBase); !equalStates(got, want) {
		t.Errorf("Load() after changing maps handed in and out = %v, want %v", got, want)
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	m := NewMemoryStore(State{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := RecordRead(m, fmt.Sprintf("g%d-%d", g, i), stateBase.Add(time.Duration(i)*time.Second)); err != nil {
					t.Errorf("RecordRead() error = %v", err)
				}
			}
		})
	}
	wg.Wait()
	got, _ := m.Load()
	if len(got.Vehicles) != 200 {
		t.Errorf("Load() after 2×100 concurrent RecordRead has %d records, want 200", len(got.Vehicles))
	}
}

func TestDefaultStatePath(t *testing.T) {
	tests := []struct {
		name, xdg, want string
	}{
		{name: "xdg set", xdg: "/srv/state", want: "/srv/state/fleetkey/state.json"},
		{name: "xdg unset", xdg: "", want: "/home/ops/.local/state/fleetkey/state.json"},
		{name: "xdg relative is ignored", xdg: "state", want: "/home/ops/.local/state/fleetkey/state.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", "/home/ops")
			t.Setenv("XDG_STATE_HOME", tt.xdg)
			if got, err := DefaultStatePath(); err != nil || got != tt.want {
				t.Errorf("DefaultStatePath() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
