package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

// readOnce reads vehicle "v" (an unknown-key Model 3) once at t0 by Step, its record being before and the API
// answering a, and returns the stored record.
func readOnce(t *testing.T, before ledger.Record, a answer) ledger.Record {
	t.Helper()
	store := ledger.NewMemoryStore(records(map[string]ledger.Record{"v": before}))
	api := newFakeAPI(store)
	api.script("v", a)
	s := newScheduler(testConfig(), store, api, target("v", "unknown"))
	s.Step(context.Background(), t0)
	if got := len(api.ids()); got != 1 {
		t.Fatalf("Step() made %d calls, want 1", got)
	}
	return record(t, store, "v")
}

func TestSchedulerOutcomes(t *testing.T) {
	good := goodReading(t0.Add(-time.Hour), 50)
	keyOff := goodReading(t0, 80)
	keyOff.KeyPaired.V = false
	keyRequired := goodReading(t0, 80)
	keyRequired.KeyMissing = true
	keyUnavailable := ledger.Reading{At: t0, KeyPaired: ledger.Value[bool]{Status: ledger.StatusUnavailable}}
	batteryFailed := goodReading(t0, 0)
	batteryFailed.Battery = ledger.Value[float64]{Status: ledger.StatusError, Err: "UPSTREAM:NO_RESPONSE"}
	tests := []struct {
		name   string
		before ledger.Record
		ans    answer
		want   func(r ledger.Record) bool
	}{
		{name: "success learns the key, the VIN and resets failures", before: ledger.Record{Failures: 3},
			ans: answer{r: goodReading(t0, 80)}, want: func(r ledger.Record) bool {
				return r.Key == "installed" && r.KeySource == schedule.KeySourceSignal && r.KeyAt.Equal(t0) &&
					r.VIN == "5YJ3E1EA0PF000001" && r.VINAt.Equal(t0) && r.Failures == 0 &&
					r.Reading != nil && r.Reading.Battery.V == 80 && r.Reading.At.Equal(t0) && !r.UpdatedAt.Before(t0)
			}},
		{name: "key signal false: missing", ans: answer{r: keyOff}, want: func(r ledger.Record) bool {
			return r.Key == "missing" && r.KeySource == schedule.KeySourceSignal
		}},
		{name: "key required in the read beats a paired signal", ans: answer{r: keyRequired},
			want: func(r ledger.Record) bool { return r.Key == "missing" && r.KeySource == schedule.KeySourceError }},
		{name: "key signal unavailable leaves the key", before: ledger.Record{Key: "installed", KeySource: "x"},
			ans: answer{r: keyUnavailable}, want: func(r ledger.Record) bool { return r.Key == "installed" && r.KeySource == "x" }},
		{name: "a failed signal keeps its last good value", before: ledger.Record{Reading: &good},
			ans: answer{r: batteryFailed}, want: func(r ledger.Record) bool {
				return r.Reading.Battery.V == 50 && r.Reading.Battery.UpdatedAt.Equal(good.At) && r.Reading.At.Equal(t0)
			}},
		{name: "vehicle rate limit: not before now + Retry-After", ans: answer{err: vehicleLimited(90 * time.Second)},
			want: func(r ledger.Record) bool { return r.NotBefore.Equal(t0.Add(90*time.Second)) && r.Failures == 0 }},
		{name: "vehicle rate limit without Retry-After backs off", ans: answer{err: schedule.ErrVehicleRateLimited},
			want: func(r ledger.Record) bool { return r.Failures == 1 && inRange(r.NotBefore, t0.Add(time.Minute)) }},
		{name: "asleep: marked, data kept", before: ledger.Record{Reading: &good},
			ans: answer{err: apiErr(schedule.ErrAsleep, "VEHICLE_STATE:ASLEEP")}, want: func(r ledger.Record) bool {
				return r.Asleep && r.AsleepAt.Equal(t0) && r.Reading.Battery.V == 50 && r.Stopped == ""
			}},
		{name: "billing: stopped", ans: answer{err: apiErr(schedule.ErrBilling, "BILLING:VEHICLE_REQUEST_LIMIT")},
			want: func(r ledger.Record) bool {
				return r.Stopped == "billing limit reached: BILLING:VEHICLE_REQUEST_LIMIT"
			}},
		{name: "bad request: stopped, a bug report", ans: answer{err: apiErr(schedule.ErrBadRequest, "VALIDATION")},
			want: func(r ledger.Record) bool { return strings.HasPrefix(r.Stopped, "bug report: request rejected") }},
		{name: "virtual key required: missing", ans: answer{err: apiErr(schedule.ErrVirtualKeyRequired, "VKR")},
			want: func(r ledger.Record) bool { return r.Key == "missing" && r.KeySource == schedule.KeySourceError }},
		{name: "transient: first backoff 1m ±10%", ans: answer{err: apiErr(schedule.ErrTransient, "502")},
			want: func(r ledger.Record) bool { return r.Failures == 1 && inRange(r.NotBefore, t0.Add(time.Minute)) }},
		{name: "unknown error: transient, third backoff 4m", before: ledger.Record{Failures: 2},
			ans:  answer{err: errors.New("connection reset")},
			want: func(r ledger.Record) bool { return r.Failures == 3 && inRange(r.NotBefore, t0.Add(4*time.Minute)) }},
		{name: "canceled: only the read time", ans: answer{err: context.Canceled},
			want: func(r ledger.Record) bool { return r.LastError == "" && r.Failures == 0 && r.LastReadAt.Equal(t0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readOnce(t, tt.before, tt.ans)
			if !tt.want(got) {
				t.Errorf("record after %v = %+v, not what the rule wants", tt.ans.err, got)
			}
			if !got.LastReadAt.Equal(t0) {
				t.Errorf("LastReadAt = %v, want %v", got.LastReadAt, t0)
			}
			if e := tt.ans.err; e != nil && !errors.Is(e, context.Canceled) &&
				(got.LastError != e.Error() || !got.LastErrorAt.Equal(t0)) {
				t.Errorf("LastError, LastErrorAt = %q, %v; want %q, %v", got.LastError, got.LastErrorAt, e, t0)
			}
		})
	}
}

// inRange reports whether got is want ± 10 % of want - t0.
func inRange(got, want time.Time) bool {
	d := want.Sub(t0) / 10
	return !got.Before(want.Add(-d)) && !got.After(want.Add(d))
}

func TestSchedulerStoppedIsNeverRetried(t *testing.T) {
	for _, kind := range []error{schedule.ErrBilling, schedule.ErrBadRequest} {
		t.Run(kind.Error(), func(t *testing.T) {
			store := ledger.NewMemoryStore(ledger.State{})
			api := newFakeAPI(store)
			api.script("a", answer{err: apiErr(kind, "detail")})
			s := newScheduler(testConfig(), store, api, target("a", "legacy"))
			s.Step(context.Background(), t0)
			if next := s.Step(context.Background(), t0.Add(7*24*time.Hour)); !next.IsZero() {
				t.Errorf("Step(a week later) = %v, want zero: nothing to do", next)
			}
			var na *ledger.NotAllowedError
			if _, err := s.ReadNow(context.Background(), "a", t0.Add(7*24*time.Hour)); !errors.As(err, &na) ||
				!strings.Contains(na.Stopped, "detail") {
				t.Errorf("ReadNow() error = %v, want *ledger.NotAllowedError stopped for the error's detail", err)
			}
			if got := len(api.ids()); got != 1 {
				t.Errorf("calls = %d, want 1", got)
			}
		})
	}
}

func TestSchedulerTransientBackoff(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.script("a", answer{err: schedule.ErrTransient})
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	now := t0
	for f := 1; f <= 9; f++ {
		next := s.Step(context.Background(), now)
		want := max(min(30*time.Second<<f, time.Hour), 5*time.Minute) // the legacy interval counts too
		if d := next.Sub(now); d < want*9/10 || d > want*11/10 {
			t.Errorf("failure %d: next read after %v, want %v ± 10%%", f, d, want)
		}
		if r := record(t, store, "a"); r.Failures != f {
			t.Errorf("failure %d: Failures = %d", f, r.Failures)
		}
		now = next
	}
	api.script("a", answer{r: goodReading(now, 1)})
	s.Step(context.Background(), now)
	if r := record(t, store, "a"); r.Failures != 0 {
		t.Errorf("after a good read Failures = %d, want 0", r.Failures)
	}
}

func TestSchedulerAppRateLimit(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	limited := answer{err: apiErr(schedule.ErrAppRateLimited, "RATE_LIMIT:SMARTCAR_API")}
	api.script("a", limited, answer{}, limited)
	api.script("b", limited, answer{})
	cfg := testConfig()
	cfg.Concurrency = 1
	s := newScheduler(cfg, store, api, target("a", "legacy"), target("b", "legacy"))
	minute := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
	steps := []struct {
		now        time.Time
		wantCalls  int
		wantPaused time.Time
	}{
		{now: t0, wantCalls: 1, wantPaused: minute(1)},           // a: 429, every request paused 1m, bucket emptied
		{now: minute(0.99), wantCalls: 1, wantPaused: minute(1)}, // paused: b waits
		{now: minute(1), wantCalls: 2, wantPaused: minute(3)},    // b: 429 again, pause doubles to 2m
		{now: minute(3), wantCalls: 2},                           // nothing allowed: a's gate opens at 5m, b's at 6m
		{now: minute(5), wantCalls: 3},                           // a: good, the backoff resets
		{now: minute(6), wantCalls: 4},                           // b: good
		{now: minute(10), wantCalls: 5, wantPaused: minute(11)},  // a: 429, back to 1m
	}
	for _, st := range steps {
		s.Step(context.Background(), st.now)
		status := s.Status(st.now)
		if got := len(api.ids()); got != st.wantCalls {
			t.Errorf("Step(t0+%v): %d calls, want %d", st.now.Sub(t0), got, st.wantCalls)
		}
		if !status.PausedUntil.Equal(st.wantPaused) {
			t.Errorf("Step(t0+%v): paused until %v, want %v", st.now.Sub(t0), status.PausedUntil, st.wantPaused)
		}
	}
	if st := s.Status(t0.Add(time.Second)); st.Err == nil {
		t.Errorf("Status().Err = nil after an app-wide 429, want it")
	}
}

func TestSchedulerAppRateLimitEmptiesTheBucket(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.script("a", answer{err: schedule.ErrAppRateLimited})
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	s.Step(context.Background(), t0)
	if st := s.Status(t0); st.Tokens != 0 || !st.NextToken.Equal(t0.Add(30*time.Second)) {
		t.Errorf("Status() tokens, next token = %v, %v; want 0, %v", st.Tokens, st.NextToken, t0.Add(30*time.Second))
	}
}

func TestSchedulerCredentialsRefused(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.script("a", answer{err: apiErr(schedule.ErrCredentials, "401")})
	cfg := testConfig()
	cfg.Concurrency = 1 // a first, alone
	s := newScheduler(cfg, store, api, target("a", "legacy"), target("b", "legacy"))
	updates, cancel := s.Subscribe()
	defer cancel()
	if next := s.Step(context.Background(), t0); !next.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("Step() after a refused credential = %v, want the retry at t0+15s", next)
	}
	st := s.Status(t0)
	if !st.CredentialsRefused || !st.Health.CredentialsRefused || !st.Health.RetryAt.Equal(t0.Add(15*time.Second)) ||
		!errors.Is(st.Health.Err, schedule.ErrCredentials) {
		t.Errorf("Status() = %+v, want the credential refused, retried at t0+15s", st)
	}
	waitUpdate(t, updates, func(u schedule.Update) bool { return u.ID == "" && u.Health.CredentialsRefused })
	calls := len(api.ids())
	s.Step(context.Background(), t0.Add(10*time.Second))
	api.failPrepare(apiErr(schedule.ErrCredentials, "token refused"))
	if next := s.Step(context.Background(), t0.Add(15*time.Second)); !next.Equal(t0.Add(45 * time.Second)) {
		t.Errorf("Step() after a failed retry = %v, want the next retry at t0+45s", next)
	}
	if got := len(api.ids()); got != calls {
		t.Errorf("reads while the credential is refused = %d, want 0", got-calls)
	}
	api.failPrepare(nil)
	s.Kick() // the user says it is fixed: tried at once, not at t0+45s
	s.Step(context.Background(), t0.Add(20*time.Second))
	if got := api.ids(); len(got) != calls+1 || got[len(got)-1] != "b" {
		t.Errorf("reads after the credential works again = %v, want b read (a's read was spent)", got[calls:])
	}
	if st := s.Status(t0.Add(20 * time.Second)); st.CredentialsRefused || st.Health != (schedule.Health{}) {
		t.Errorf("Status() after the credential works = %+v, want no trouble", st)
	}
	waitUpdate(t, updates, func(u schedule.Update) bool { return u.ID == "" && !u.Health.CredentialsRefused })
}

// waitUpdate reads updates until one satisfies ok, failing the test after 10 s.
func waitUpdate(t *testing.T, updates <-chan schedule.Update, ok func(schedule.Update) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case u := <-updates:
			if ok(u) {
				return
			}
		case <-timeout:
			t.Fatal("no such update within 10s")
		}
	}
}
