package policy

import (
	"testing"
	"time"
)

var (
	now       = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	legacyS   = Facts{Make: "Tesla", Model: "Model S", Year: 2020}
	newS      = Facts{Make: "Tesla", Model: "Model S", Year: 2021, Key: KeyMissing}
	keyed3    = Facts{Make: "Tesla", Model: "Model 3", Year: 2023, Key: KeyPaired}
	keyless3  = Facts{Make: "Tesla", Model: "Model 3", Year: 2019, Key: KeyMissing}
	unknownY  = Facts{Make: "Tesla", Model: "Model Y", Year: 2022}
	asleepX   = Facts{Make: "Tesla", Model: "Model X", Year: 2016, Asleep: true}
	asleepKey = Facts{Make: "Tesla", Model: "Model Y", Year: 2022, Key: KeyMissing, Asleep: true}
	yearlessS = Facts{Make: "Tesla", Model: "Model S"}
	asleepX0  = Facts{Make: "Tesla", Model: "Model X", Asleep: true}
)

func TestNextRead(t *testing.T) {
	iv := DefaultIntervals()
	tests := []struct {
		name   string
		f      Facts
		last   time.Time
		want   time.Time
		wantOK bool
	}{
		{"never read legacy", legacyS, time.Time{}, now, true},
		{"never read keyless", keyless3, time.Time{}, now, true},
		{"never read unknown", unknownY, time.Time{}, now, true},
		{"legacy 5m", legacyS, now.Add(-time.Minute), now.Add(4 * time.Minute), true},
		{"key-installed 30m", keyed3, now.Add(-10 * time.Minute), now.Add(20 * time.Minute), true},
		{"keyless 8h", keyless3, now.Add(-time.Hour), now.Add(7 * time.Hour), true},
		{"2021 S keyless is 8h, not 5m", newS, now.Add(-time.Hour), now.Add(7 * time.Hour), true},
		{"unknown budgets as keyless", unknownY, now.Add(-time.Hour), now.Add(7 * time.Hour), true},
		{"skew: future last counts as now", keyless3, now.Add(time.Hour), now.Add(8 * time.Hour), true},
		{"skew legacy", legacyS, now.Add(time.Nanosecond), now.Add(5 * time.Minute), true},
		{"asleep legacy has no next read", asleepX, now.Add(-time.Hour), time.Time{}, false},
		{"asleep legacy never read", asleepX, time.Time{}, time.Time{}, false},
		{"asleep keyless still budgets 8h", asleepKey, now.Add(-time.Hour), now.Add(7 * time.Hour), true},
		{"Model S without a year budgets 8h, not 5m", yearlessS, now.Add(-time.Minute), now.Add(8*time.Hour - time.Minute), true},
		{"Model S without a year never read", yearlessS, time.Time{}, now, true},
		{"asleep Model X without a year still has a next read", asleepX0, now.Add(-time.Hour), now.Add(7 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextRead(tt.f, iv, tt.last, now)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("NextRead(%+v, last %v) = %v, %v; want %v, %v", tt.f, tt.last, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAllowedBoundaries(t *testing.T) {
	iv := DefaultIntervals()
	tests := []struct {
		name string
		f    Facts
		last time.Time
		want bool
	}{
		{"never read", keyless3, time.Time{}, true},
		{"keyless exactly 8h", keyless3, now.Add(-8 * time.Hour), true},
		{"keyless 1ns before 8h", keyless3, now.Add(-8*time.Hour + time.Nanosecond), false},
		{"unknown 1ns before 8h", unknownY, now.Add(-8*time.Hour + time.Nanosecond), false},
		{"unknown exactly 8h", unknownY, now.Add(-8 * time.Hour), true},
		{"legacy exactly 5m", legacyS, now.Add(-5 * time.Minute), true},
		{"legacy 1ns before 5m", legacyS, now.Add(-5*time.Minute + time.Nanosecond), false},
		{"key-installed exactly 30m", keyed3, now.Add(-30 * time.Minute), true},
		{"key-installed 1ns before 30m", keyed3, now.Add(-30*time.Minute + time.Nanosecond), false},
		{"skew never allows", keyless3, now.Add(24 * time.Hour), false},
		{"asleep legacy never allowed", asleepX, time.Time{}, false},
		{"Model S without a year not at 5m", yearlessS, now.Add(-5 * time.Minute), false},
		{"Model S without a year 1ns before 8h", yearlessS, now.Add(-8*time.Hour + time.Nanosecond), false},
		{"Model S without a year exactly 8h", yearlessS, now.Add(-8 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Allowed(tt.f, iv, tt.last, now); got != tt.want {
				t.Errorf("Allowed(%+v, last %v) = %v, want %v", tt.f, tt.last, got, tt.want)
			}
		})
	}
}

func TestIntervalsOverride(t *testing.T) {
	iv := Intervals{Legacy: time.Minute, KeyInstalled: time.Hour, Keyless: 12 * time.Hour}
	last := now.Add(-time.Minute)
	for _, tt := range []struct {
		name string
		f    Facts
		want time.Time
	}{
		{"legacy", legacyS, now},
		{"key-installed", keyed3, last.Add(time.Hour)},
		{"keyless", keyless3, last.Add(12 * time.Hour)},
		{"unknown", unknownY, last.Add(12 * time.Hour)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := NextRead(tt.f, iv, last, now); !got.Equal(tt.want) {
				t.Errorf("NextRead(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}
