package ledger

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fullRecord is a record with every field set, its times in a zone other than UTC.
func fullRecord() Record {
	tokyo := time.FixedZone("JST", 9*3600)
	at := stateBase.Add(-30 * time.Minute).In(tokyo)
	return Record{
		LastReadAt: at, NotBefore: at.Add(90 * time.Second), Failures: 2,
		Key: "missing", KeyAt: at, KeySource: "signal connectivitystatus-isdigitalkeypaired",
		VIN: "5YJSA1E26MF000001", VINAt: at, Asleep: true, AsleepAt: at,
		Reading: &Reading{
			At:       at,
			Battery:  Value[float64]{Status: StatusOK, V: 75.5, Unit: "percent", UpdatedAt: at.Add(-time.Minute)},
			Location: Value[Location]{Status: StatusOK, V: Location{Lat: 48.85, Lon: 2.35, Kind: "CURRENT"}},
			Range:    Value[float64]{Status: StatusError, Err: "UPSTREAM:NO_RESPONSE"},
			Failures: map[string]string{"tractionbattery-range": "UPSTREAM:NO_RESPONSE"},
		},
		Stopped:   "billing limit reached: 500 requests this month",
		LastError: "temporary failure: 502", LastErrorAt: at, UpdatedAt: at.Add(time.Second),
	}
}

// goldenStateV2 is the state that testdata/state/v2.json holds.
func goldenStateV2() State {
	st := goldenState()
	st.Vehicles["d-full"] = fullRecord()
	return st
}

// goldenStateV3 is the state that testdata/state/v3.json holds: v2's, with a read in flight and an error's kind.
func goldenStateV3() State {
	st := goldenStateV2()
	r := st.Vehicles["d-full"]
	r.ReservedAt, r.ErrorKind = r.UpdatedAt, "billing"
	st.Vehicles["d-full"] = r
	return st
}

func TestLoadStateVersions(t *testing.T) {
	tests := []struct {
		name, file string
		want       State
	}{
		{name: "version 1", file: "v1.json", want: goldenState()},
		{name: "version 2", file: "v2.json", want: goldenStateV2()},
		{name: "version 3", file: "v3.json", want: goldenStateV3()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "state", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := LoadState(f)
			if err != nil || !equalStates(got, tt.want) {
				t.Errorf("LoadState(%s) = %v, %v; want %v", tt.file, got, err, tt.want)
			}
		})
	}
}

func TestLoadStateV1SavesAsCurrent(t *testing.T) {
	st, err := LoadState(strings.NewReader(`{"version": 1, "vehicles": {"a": {"last_read_at": "2025-03-01T12:00:00Z"}}}`))
	if err != nil {
		t.Fatalf("LoadState(v1) error = %v", err)
	}
	var buf bytes.Buffer
	if err := st.Save(&buf); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	if want := `"version": 3`; !strings.Contains(buf.String(), want) {
		t.Errorf("Save(LoadState(v1)) =\n%s\nwant it to contain %s", buf.String(), want)
	}
}

func TestRecordMerge(t *testing.T) {
	t0 := stateBase
	older := Record{LastReadAt: t0.Add(time.Hour), NotBefore: t0.Add(3 * time.Hour), Failures: 3, Key: "missing",
		Stopped: "billing", LastError: "old", UpdatedAt: t0}
	newer := Record{LastReadAt: t0, NotBefore: t0.Add(time.Hour), Key: "installed", VIN: "V1",
		Reading: &Reading{At: t0}, UpdatedAt: t0.Add(time.Minute)}
	tests := []struct {
		name      string
		r, o      Record
		want      Record
		symmetric bool // the same result whatever the order of the operands
	}{
		{name: "times take the later, fields the record changed last", r: older, o: newer, symmetric: true,
			want: Record{LastReadAt: t0.Add(time.Hour), NotBefore: t0.Add(3 * time.Hour), Key: "installed", VIN: "V1",
				Reading: &Reading{At: t0}, UpdatedAt: t0.Add(time.Minute)}},
		{name: "a bare read time keeps the fields", r: newer, o: Record{LastReadAt: t0.Add(2 * time.Hour)}, symmetric: true,
			want: Record{LastReadAt: t0.Add(2 * time.Hour), NotBefore: t0.Add(time.Hour), Key: "installed", VIN: "V1",
				Reading: &Reading{At: t0}, UpdatedAt: t0.Add(time.Minute)}},
		{name: "version 1 records", r: Record{LastReadAt: t0}, o: Record{LastReadAt: t0.Add(time.Second)},
			symmetric: true, want: Record{LastReadAt: t0.Add(time.Second)}},
		{name: "zero never erases", r: older, o: Record{}, symmetric: true, want: older},
		{name: "tie: o wins the fields", r: Record{Key: "missing", UpdatedAt: t0, NotBefore: t0},
			o: Record{Key: "installed", UpdatedAt: t0}, want: Record{Key: "installed", UpdatedAt: t0, NotBefore: t0}},
		{name: "same instant other zone is a tie", r: Record{Failures: 1, UpdatedAt: t0},
			o:    Record{Failures: 2, UpdatedAt: t0.In(time.FixedZone("X", 3600))},
			want: Record{Failures: 2, UpdatedAt: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Merge(tt.o); !equalRecords(got, tt.want) {
				t.Errorf("%+v.Merge(%+v) = %+v, want %+v", tt.r, tt.o, got, tt.want)
			}
			if !tt.symmetric {
				return
			}
			if got := tt.o.Merge(tt.r); !equalRecords(got, tt.want) {
				t.Errorf("%+v.Merge(%+v) = %+v, want %+v (order must not matter)", tt.o, tt.r, got, tt.want)
			}
		})
	}
}

func TestRecordTouch(t *testing.T) {
	tests := []struct {
		name    string
		updated time.Time
		now     time.Time
		want    time.Time
	}{
		{name: "never changed", now: stateBase, want: stateBase},
		{name: "changed earlier", updated: stateBase.Add(-time.Hour), now: stateBase, want: stateBase},
		{name: "changed at the same instant", updated: stateBase, now: stateBase, want: stateBase.Add(time.Nanosecond)},
		{name: "changed later (skewed clock)", updated: stateBase.Add(time.Hour), now: stateBase,
			want: stateBase.Add(time.Hour + time.Nanosecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{UpdatedAt: tt.updated, Failures: 1}
			got := r.Touch(tt.now)
			if !got.UpdatedAt.Equal(tt.want) || got.Failures != 1 {
				t.Errorf("touch(%v).UpdatedAt = %v, want %v", tt.now, got.UpdatedAt, tt.want)
			}
			if merged := r.Merge(got); !equalRecords(merged, got) {
				t.Errorf("merge(touched) = %+v, want the touched record %+v", merged, got)
			}
		})
	}
}

func TestRecordLearnedKey(t *testing.T) {
	tests := []struct {
		name, key string
		want      string
	}{
		{name: "installed", key: "installed", want: "installed"},
		{name: "missing", key: "missing", want: "missing"},
		{name: "unknown", key: "unknown", want: "unknown"},
		{name: "none", key: "", want: "unknown"},
		{name: "damaged", key: "paired", want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Record{Key: tt.key}).LearnedKey().String(); got != tt.want {
				t.Errorf("Record{Key: %q}.LearnedKey() = %s, want %s", tt.key, got, tt.want)
			}
		})
	}
}

func TestStateMergeRecords(t *testing.T) {
	s := State{Vehicles: map[string]Record{"a": {LastReadAt: stateBase, Key: "missing", UpdatedAt: stateBase}}}
	o := State{Vehicles: map[string]Record{"a": {LastReadAt: stateBase.Add(-time.Hour), Key: "installed",
		UpdatedAt: stateBase.Add(time.Second)}}}
	want := Record{LastReadAt: stateBase, Key: "installed", UpdatedAt: stateBase.Add(time.Second)}
	for name, got := range map[string]State{"s.Merge(o)": s.Merge(o), "o.Merge(s)": o.Merge(s)} {
		if !equalRecords(got.Vehicles["a"], want) {
			t.Errorf("%s[a] = %+v, want %+v", name, got.Vehicles["a"], want)
		}
	}
}
