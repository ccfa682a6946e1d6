package ledger

import (
	"reflect"
	"testing"
	"time"
)

func TestMergeReading(t *testing.T) {
	t0 := stateBase
	ok := func(v float64, at time.Time) Value[float64] {
		return Value[float64]{Status: StatusOK, V: v, UpdatedAt: at}
	}
	failed := Value[float64]{Status: StatusError, Err: "UPSTREAM:NO_RESPONSE"}
	unavailable := Value[float64]{Status: StatusUnavailable}
	tests := []struct {
		name     string
		old, cur Value[float64]
		want     Value[float64]
	}{
		{name: "new good value", old: ok(50, t0), cur: ok(60, t0.Add(time.Hour)), want: ok(60, t0.Add(time.Hour))},
		{name: "failed keeps the last good", old: ok(50, t0), cur: failed, want: ok(50, t0)},
		{name: "unavailable keeps the last good", old: ok(50, t0), cur: unavailable, want: ok(50, t0)},
		{name: "absent keeps the last good", old: ok(50, t0), cur: Value[float64]{}, want: ok(50, t0)},
		{name: "failed twice shows the new failure", old: unavailable, cur: failed, want: failed},
		{name: "never good", old: Value[float64]{}, cur: failed, want: failed},
		{name: "good zero replaces", old: ok(50, t0), cur: ok(0, t0.Add(time.Hour)), want: ok(0, t0.Add(time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := Reading{At: t0, Battery: tt.old, Odometer: tt.old}
			cur := Reading{At: t0.Add(time.Hour), Battery: tt.cur, Odometer: tt.cur, KeyMissing: true,
				Failures: map[string]string{"x": "Y:Z"}}
			got := MergeReading(old, cur)
			if got.Battery != tt.want || got.Odometer != tt.want {
				t.Errorf("MergeReading(%+v, %+v).Battery, .Odometer = %+v, %+v; want %+v", tt.old, tt.cur, got.Battery,
					got.Odometer, tt.want)
			}
			if !got.At.Equal(cur.At) || !got.KeyMissing || !reflect.DeepEqual(got.Failures, cur.Failures) {
				t.Errorf("MergeReading() At, KeyMissing, Failures = %v, %v, %v; want the new read's", got.At,
					got.KeyMissing, got.Failures)
			}
		})
	}
}

func TestMergeReadingEverySignal(t *testing.T) {
	good := Reading{
		Battery:   Value[float64]{Status: StatusOK, V: 1},
		Range:     Value[float64]{Status: StatusOK, V: 2},
		Charging:  Value[string]{Status: StatusOK, V: "CHARGING"},
		PluggedIn: Value[bool]{Status: StatusOK, V: true},
		Location:  Value[Location]{Status: StatusOK, V: Location{Lat: 1, Lon: 2}},
		Odometer:  Value[float64]{Status: StatusOK, V: 3},
		Online:    Value[bool]{Status: StatusOK, V: true},
		Asleep:    Value[bool]{Status: StatusOK, V: true},
		KeyPaired: Value[bool]{Status: StatusOK, V: true},
		VIN:       Value[string]{Status: StatusOK, V: "VIN"},
	}
	got := MergeReading(good, Reading{At: stateBase}) // a read where every signal failed or was absent
	want := good
	want.At = stateBase
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeReading(all good, all absent) = %+v, want every good value kept %+v", got, want)
	}
}
