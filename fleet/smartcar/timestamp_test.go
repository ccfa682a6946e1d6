package smartcar

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	ms := time.UnixMilli(1752104118549).UTC()
	tests := []struct {
		name, raw string
		want      time.Time
		wantErr   bool
	}{
		{"absent", ``, time.Time{}, false},
		{"null", `null`, time.Time{}, false},
		{"zero", `0`, time.Time{}, false},
		{"empty string", `""`, time.Time{}, false},
		{"epoch seconds", `1696156800`, time.Unix(1696156800, 0).UTC(), false},
		{"epoch milliseconds", `1752104118549`, ms, false},
		{"fractional seconds", `1696156800.25`, time.Unix(1696156800, 25e7).UTC(), false},
		{"exponent seconds", `1.6961568e9`, time.Unix(1696156800, 0).UTC(), false},
		{"fractional milliseconds", `1752104118549.0`, ms, false},
		{"last second read as seconds", `99999999999`, time.Unix(99999999999, 0).UTC(), false},
		{"first millisecond read as milliseconds", `100000000000`, time.UnixMilli(1e11).UTC(), false},
		{"milliseconds as a string", `"1752104118549"`, ms, false},
		{"ISO UTC", `"2026-11-20T11:59:30Z"`, time.Date(2026, 11, 20, 11, 59, 30, 0, time.UTC), false},
		{"ISO with offset and fraction", `"2026-11-20T12:59:30.123+01:00"`,
			time.Date(2026, 11, 20, 11, 59, 30, 123e6, time.UTC), false},
		{"ISO without zone is UTC", `"2026-11-20T11:59:30"`, time.Date(2026, 11, 20, 11, 59, 30, 0, time.UTC), false},
		{"negative", `-5`, time.Time{}, true},
		{"beyond the year 5138", `100000000000000`, time.Time{}, true},
		{"huge", `1e400`, time.Time{}, true},
		{"huge integer", `123456789012345678901234567890`, time.Time{}, true},
		{"boolean", `true`, time.Time{}, true},
		{"object", `{"ms":1}`, time.Time{}, true},
		{"array", `[1]`, time.Time{}, true},
		{"not a date", `"yesterday"`, time.Time{}, true},
		{"NaN as a string", `"NaN"`, time.Time{}, true},
		{"Inf as a string", `"+Inf"`, time.Time{}, true},
		{"date only", `"2026-11-20"`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTimestamp(json.RawMessage(tt.raw))
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("parseTimestamp(%s) = %v, %v, want %v (error %t)", tt.raw, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
