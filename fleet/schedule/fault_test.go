package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

// notSentErr is an adapter-style error of a request that never left.
func notSentErr() error {
	return fmt.Errorf("%w: %w: dial tcp: connection refused", schedule.ErrTransient, schedule.ErrNotSent)
}

// A read that never reached the network releases its reservation: the keyless vehicle's 8 h are not spent. Every
// request then waits for a retry, which reads it as soon as the API is back.
func TestSchedulerReleasesAReadThatNeverLeft(t *testing.T) {
	for _, via := range []string{"Step", "ReadNow"} {
		t.Run(via, func(t *testing.T) {
			store := stateFile(t, ledger.State{})
			api := newFakeAPI(store)
			api.script("k", answer{err: notSentErr()}, answer{r: goodReading(t0, 50)})
			s := newScheduler(testConfig(), store, api, target("k", "keyless"))
			var err error
			if via == "Step" {
				s.Step(context.Background(), t0)
			} else {
				_, err = s.ReadNow(context.Background(), "k", t0)
			}
			if !errors.Is(err, schedule.ErrNotSent) && via == "ReadNow" {
				t.Errorf("ReadNow() = %v, want ErrNotSent", err)
			}
			rec := record(t, store, "k")
			if !rec.ReadAt().IsZero() || rec.Condition(t0) != ledger.Failing {
				t.Fatalf("record after an unsent read = %+v, want no read time and the vehicle failing", rec)
			}
			st := s.Status(t0)
			if !st.Health.Unreachable || !st.Health.RetryAt.Equal(t0.Add(15*time.Second)) {
				t.Errorf("Health = %+v, want unreachable until t0+15s", st.Health)
			}
			s.Step(context.Background(), t0.Add(15*time.Second))
			if got := api.ids(); len(got) != 2 {
				t.Fatalf("calls = %v, want the vehicle read again once the retry is due", got)
			}
			if rec := record(t, store, "k"); !rec.LastReadAt.Equal(t0.Add(15*time.Second)) || rec.Reading == nil {
				t.Errorf("record after the API came back = %+v, want a read at t0+15s", rec)
			}
		})
	}
}

// A read that may have been sent keeps its reservation, dated at its answer: when unsure, never spend twice.
func TestSchedulerKeepsAReadThatMayHaveLeft(t *testing.T) {
	store := stateFile(t, ledger.State{})
	api := newFakeAPI(store)
	api.script("k", answer{err: apiErr(schedule.ErrTransient, "timeout after the request was written")})
	s := newScheduler(testConfig(), store, api, target("k", "keyless"))
	s.Step(context.Background(), t0)
	if rec := record(t, store, "k"); !rec.LastReadAt.Equal(t0) || !rec.ReservedAt.IsZero() {
		t.Fatalf("record = %+v, want the read at t0 spent", rec)
	}
	if next := s.Step(context.Background(), t0.Add(time.Hour)); !next.Equal(t0.Add(8 * time.Hour)) {
		t.Errorf("next Step = %v, want t0+8h", next)
	}
	if got := len(api.ids()); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
}

// When Prepare fails (the token endpoint refuses or is down), nothing is recorded and nothing is sent.
func TestSchedulerPrepareFailsRecordsNothing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		refused bool
	}{
		{"credential refused", apiErr(schedule.ErrCredentials, "token endpoint 401 invalid_client"), true},
		{"token endpoint down", notSentErr(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := stateFile(t, ledger.State{})
			api := newFakeAPI(store)
			api.failPrepare(tt.err)
			s := newScheduler(testConfig(), store, api, target("k", "keyless"))
			s.Step(context.Background(), t0)
			_, err := s.ReadNow(context.Background(), "k", t0)
			if err == nil || len(api.ids()) != 0 {
				t.Fatalf("ReadNow() = %v with %d calls, want an error and none", err, len(api.ids()))
			}
			if rec := record(t, store, "k"); rec != (ledger.Record{}) {
				t.Errorf("record = %+v, want nothing recorded", rec)
			}
			h := s.Status(t0).Health
			if h.CredentialsRefused != tt.refused || h.Unreachable == tt.refused {
				t.Errorf("Health = %+v, want refused %v", h, tt.refused)
			}
			if st := s.Status(t0); st.Tokens != float64(st.BucketSize) {
				t.Errorf("bucket tokens = %v of %d, want every token given back", st.Tokens, st.BucketSize)
			}
		})
	}
}

// flakyStore is a ledger.MemoryStore whose Update fails while failing is set.
type flakyStore struct {
	*ledger.MemoryStore
	failing atomic.Bool
}

func (f *flakyStore) Update(ids []string, now time.Time, fn func(ledger.State, time.Time) ledger.State) (ledger.State, error) {
	if f.failing.Load() {
		return ledger.State{}, errors.New("write state: no space left on device")
	}
	return f.MemoryStore.Update(ids, now, fn)
}

// An answer the store fails to save (a disk full after the grant) is kept: its Retry-After holds the vehicle,
// which is read by nobody until the answer is saved, and then not before the Retry-After.
func TestSchedulerKeepsAnAnswerItCannotSave(t *testing.T) {
	store := &flakyStore{MemoryStore: ledger.NewMemoryStore(ledger.State{})}
	api := newFakeAPI(store)
	api.script("a", answer{err: vehicleLimited(time.Hour)}, answer{r: goodReading(t0, 50)})
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	updates, cancel := s.Subscribe()
	defer cancel()
	api.hold = true
	done := make(chan error, 1)
	go func() { _, err := s.ReadNow(context.Background(), "a", t0); done <- err }()
	<-api.arrived
	store.failing.Store(true) // the grant was saved; the answer will not be
	api.release <- struct{}{}
	if err := <-done; !errors.Is(err, schedule.ErrVehicleRateLimited) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("ReadNow() = %v, want the 429 and the failed save", err)
	}
	api.hold = false
	waitUpdate(t, updates, func(u schedule.Update) bool { return u.ID == "a" && u.Unsaved })
	st := s.Status(t0)
	if st.Health.Unsaved != 1 || st.Health.Err == nil {
		t.Errorf("Health = %+v, want 1 unsaved answer and its error", st.Health)
	}
	if next := s.Step(context.Background(), t0.Add(10*time.Minute)); !next.Equal(t0.Add(10*time.Minute + time.Minute)) {
		t.Errorf("Step with the store failing = %v, want the save retried at +1m", next)
	}
	if _, err := s.ReadNow(context.Background(), "a", t0.Add(10*time.Minute)); err == nil {
		t.Error("ReadNow() of a held vehicle = nil, want it refused")
	}
	store.failing.Store(false)
	s.Step(context.Background(), t0.Add(11*time.Minute))
	if rec := record(t, store, "a"); !rec.NotBefore.Equal(t0.Add(time.Hour)) || !rec.ReservedAt.IsZero() {
		t.Fatalf("record once saved = %+v, want the Retry-After kept", rec)
	}
	if h := s.Status(t0.Add(11 * time.Minute)).Health; h != (schedule.Health{}) {
		t.Errorf("Health once saved = %+v, want none", h)
	}
	waitUpdate(t, updates, func(u schedule.Update) bool {
		return u.ID == "a" && !u.Unsaved && u.Record.NotBefore.Equal(t0.Add(time.Hour))
	})
	s.Step(context.Background(), t0.Add(59*time.Minute))
	if got := len(api.ids()); got != 1 {
		t.Errorf("calls inside the Retry-After = %d, want 1", got)
	}
	s.Step(context.Background(), t0.Add(time.Hour))
	if got := len(api.ids()); got != 2 {
		t.Errorf("calls once the Retry-After is over = %d, want 2", got)
	}
}

// An app-wide 429 pauses for at least its Retry-After, however long.
func TestSchedulerAppRateLimitHonoursRetryAfter(t *testing.T) {
	store := ledger.NewMemoryStore(ledger.State{})
	api := newFakeAPI(store)
	api.script("a", answer{err: fmt.Errorf("%w: %w", schedule.ErrAppRateLimited, retryErr(3*time.Hour))})
	s := newScheduler(testConfig(), store, api, target("a", "legacy"))
	if next := s.Step(context.Background(), t0); !next.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("Step() after an app-wide 429 with Retry-After 3h = %v, want t0+3h", next)
	}
}
