package fakeserver

import (
	"slices"
	"testing"
	"time"

	"fleetkey/policy"
)

// violationCase is a second read gap after a first one, and the badge of the violation it is ("" for none).
type violationCase struct {
	name  string
	car   Car
	gap   time.Duration
	badge string
}

// violationCases are the boundary and 1ns-before cases of every badge.
func violationCases() []violationCase {
	iv := policy.DefaultIntervals()
	notCapable := keyedCar("v1")
	notCapable.KeyPaired = nil
	required := keyedCar("v1")
	required.KeyRequired = true
	legacyWithKey := legacyCar("v1")
	legacyWithKey.KeyRequired = true
	return []violationCase{
		{"legacy at the boundary", legacyCar("v1"), iv.Legacy, ""},
		{"legacy 1ns before", legacyCar("v1"), iv.Legacy - 1, "legacy"},
		{"legacy needs no key", legacyWithKey, iv.Legacy, ""},
		{"key installed at the boundary", keyedCar("v1"), iv.KeyInstalled, ""},
		{"key installed 1ns before", keyedCar("v1"), iv.KeyInstalled - 1, "key-installed"},
		{"keyless at the boundary", keylessCar("v1"), iv.Keyless, ""},
		{"keyless 1ns before", keylessCar("v1"), iv.Keyless - 1, "keyless"},
		{"unknown counts as keyless", notCapable, iv.KeyInstalled, "unknown"},
		{"unknown at the keyless boundary", notCapable, iv.Keyless, ""},
		{"key required counts as keyless", required, iv.Keyless - 1, "keyless"},
		{"same instant", keyedCar("v1"), 0, "key-installed"},
		{"clock went back", keyedCar("v1"), -time.Second, "key-installed"},
	}
}

func TestViolationBoundaries(t *testing.T) {
	iv := policy.DefaultIntervals()
	for _, tt := range violationCases() {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, tt.car)
			e.read("v1", "u1")
			e.clk.Advance(tt.gap)
			r := e.read("v1", "u1")
			if r.status != 200 {
				t.Errorf("early read = %d, want 200 (recorded, still answered)", r.status)
			}
			var want []Violation
			if tt.badge != "" {
				b, err := policy.ParseBadge(tt.badge)
				if err != nil {
					t.Fatal(err)
				}
				want = []Violation{{VehicleID: "v1", At: t0.Add(tt.gap), Allowed: t0.Add(iv.Of(b)), Badge: tt.badge}}
			}
			if got := e.s.Violations(); !slices.Equal(got, want) {
				t.Errorf("Violations() = %+v, want %+v", got, want)
			}
			if got := e.s.Reads("v1"); !slices.Equal(got, []time.Time{t0, t0.Add(tt.gap)}) {
				t.Errorf("Reads(v1) = %v, want [t0 t0+%v]", got, tt.gap)
			}
		})
	}
}

func TestCustomIntervals(t *testing.T) {
	iv := policy.Intervals{Legacy: time.Minute, KeyInstalled: 2 * time.Minute, Keyless: 3 * time.Minute}
	e := newEnv(t, Options{Intervals: iv}, keylessCar("v1"))
	for _, gap := range []time.Duration{0, 3 * time.Minute, 3*time.Minute - 1} {
		e.clk.Advance(gap)
		e.read("v1", "u1")
	}
	want := []Violation{{VehicleID: "v1", At: t0.Add(6*time.Minute - 1), Allowed: t0.Add(6 * time.Minute),
		Badge: "keyless"}}
	if got := e.s.Violations(); !slices.Equal(got, want) {
		t.Errorf("Violations() = %+v, want %+v", got, want)
	}
}

// A key paired or removed between two reads: the shorter interval of the badge at the last read and the badge now
// applies, because the client could only know the former.
func TestBadgeChangeBetweenReads(t *testing.T) {
	iv := policy.DefaultIntervals()
	tests := []struct {
		name       string
		before     Car
		after      Car
		gap        time.Duration
		violations int
	}{
		{"key removed: planned 30m read is fine", keyedCar("v1"), keylessCar("v1"), iv.KeyInstalled, 0},
		{"key paired: 30m read is fine", keylessCar("v1"), keyedCar("v1"), iv.KeyInstalled, 0},
		{"key paired: earlier still violates", keylessCar("v1"), keyedCar("v1"), iv.KeyInstalled - 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, tt.before)
			e.read("v1", "u1")
			e.s.SetCar(tt.after)
			e.clk.Advance(tt.gap)
			e.read("v1", "u1")
			if got := len(e.s.Violations()); got != tt.violations {
				t.Errorf("len(Violations()) = %d, want %d", got, tt.violations)
			}
		})
	}
	// After a read that saw the key removed, the keyless rule holds.
	e := newEnv(t, Options{}, keyedCar("v1"))
	e.read("v1", "u1")
	e.s.SetCar(keylessCar("v1"))
	e.clk.Advance(iv.KeyInstalled)
	e.read("v1", "u1")
	e.clk.Advance(iv.KeyInstalled)
	e.read("v1", "u1")
	if got := e.s.Violations(); len(got) != 1 || got[0].Badge != "keyless" {
		t.Errorf("Violations() = %+v, want one keyless violation", got)
	}
}

func TestEnforceWithRateLimit(t *testing.T) {
	e := newEnv(t, Options{EnforceWithRateLimit: true}, keyedCar("v1"))
	e.read("v1", "u1")
	e.clk.Advance(10 * time.Minute)
	r := e.read("v1", "u1")
	wantError(t, r, 429, "RATE_LIMIT", "VEHICLE")
	if got := r.header.Get("Retry-After"); got != "1200" {
		t.Errorf("Retry-After = %q, want 1200", got)
	}
	if got := len(e.s.Violations()); got != 1 {
		t.Errorf("len(Violations()) = %d, want 1", got)
	}
	if got := e.s.Billed("v1"); got != 1 {
		t.Errorf("Billed(v1) = %d, want 1 (a refused read is not billed)", got)
	}
}

func TestBillingLimit(t *testing.T) {
	e := newEnv(t, Options{BillingLimit: 2}, legacyCar("v1"))
	e.clk.Set(time.Date(2026, 11, 30, 23, 40, 0, 0, time.UTC))
	statuses := []int{}
	for range 3 {
		statuses = append(statuses, e.read("v1", "u1").status)
		e.clk.Advance(5 * time.Minute)
	}
	// 23:55 is still November: limit reached. 00:00 is December: a new month.
	r := e.read("v1", "u1")
	statuses = append(statuses, r.status)
	e.clk.Advance(5 * time.Minute)
	statuses = append(statuses, e.read("v1", "u1").status)
	if want := []int{200, 200, 430, 430, 200}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	wantError(t, r, 430, "BILLING", "VEHICLE_REQUEST_LIMIT")
	if got := e.s.Billed("v1"); got != 1 {
		t.Errorf("Billed(v1) = %d in December, want 1", got)
	}
	if got := e.s.ReadCount("v1"); got != 5 {
		t.Errorf("ReadCount(v1) = %d, want 5 (refused reads reached the API)", got)
	}
}

func TestInject(t *testing.T) {
	e := newEnv(t, Options{}, legacyCar("v1"))
	e.s.Inject("v1", 2, Failure{Type: "RATE_LIMIT", Code: "VEHICLE", RetryAfter: 120 * time.Second})
	e.s.Inject("v1", 1, Failure{Status: 502, Type: "UPSTREAM", Code: "NO_RESPONSE", Detail: "no answer"})
	e.s.Inject("v1", 1, Failure{Type: "VALIDATION", ResolutionType: "CONTACT_SUPPORT", ResolutionURL: "https://x"})
	want := []struct {
		status     int
		typ, code  string
		retryAfter string
	}{
		{429, "RATE_LIMIT", "VEHICLE", "120"},
		{429, "RATE_LIMIT", "VEHICLE", "120"},
		{502, "UPSTREAM", "NO_RESPONSE", ""},
		{400, "VALIDATION", "", ""},
	}
	for i, w := range want {
		r := e.read("v1", "u1")
		wantError(t, r, w.status, w.typ, w.code)
		if got := r.header.Get("Retry-After"); got != w.retryAfter {
			t.Errorf("read %d: Retry-After = %q, want %q", i, got, w.retryAfter)
		}
		e.clk.Advance(5 * time.Minute)
	}
	r := e.read("v1", "u1")
	if r.status != 200 {
		t.Errorf("read after the injections = %d, want 200", r.status)
	}
	if got := mustAt(t, r.body, "data", 0, "id"); got == nil {
		t.Error("read after injections has no signals")
	}
	if got, want := e.s.ReadCount("v1"), 5; got != want {
		t.Errorf("ReadCount(v1) = %d, want %d (injected failures reached the API)", got, want)
	}
	if got := e.s.Billed("v1"); got != 1 {
		t.Errorf("Billed(v1) = %d, want 1", got)
	}
}

func TestInjectedErrorBody(t *testing.T) {
	e := newEnv(t, Options{}, keyedCar("v1"))
	e.s.Inject("v1", 1, Failure{Type: "VALIDATION", ResolutionType: "CONTACT_SUPPORT", ResolutionURL: "https://x"})
	e.s.Inject("v1", 1, Failure{Type: "SERVER", Code: "INTERNAL"})
	r := e.read("v1", "u1")
	want := []struct {
		path []any
		want any
	}{
		{[]any{"status"}, "400"},
		{[]any{"code"}, nil},
		{[]any{"title"}, "Bad Request"},
		{[]any{"links", "about"}, "https://smartcar.com/docs/errors/api-errors/v3/validation-errors"},
		{[]any{"resolution", "type"}, "CONTACT_SUPPORT"},
		{[]any{"resolution", "url"}, "https://x"},
	}
	for _, w := range want {
		if got := mustAt(t, r.body, append([]any{"errors", 0}, w.path...)...); got != w.want {
			t.Errorf("errors[0]%v = %v, want %v", w.path, got, w.want)
		}
	}
	r = e.read("v1", "u1")
	if got := mustAt(t, r.body, "errors", 0, "links", "about"); got !=
		"https://smartcar.com/docs/errors/api-errors/v3/server-errors#internal" {
		t.Errorf("links.about = %v, want .../server-errors#internal", got)
	}
}
