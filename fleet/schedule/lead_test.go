package schedule_test

import (
	"context"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
)

// Only the lease holder reads automatically, and only while its lease is surely held by the real clock; a follower
// still reads on demand, through the same gate.
func TestSchedulerReadsOnlyWhileLeading(t *testing.T) {
	tests := []struct {
		name    string
		leading bool
		holder  string
		valid   time.Duration // from now; 0: no limit
		reads   bool
	}{
		{name: "leading", leading: true, holder: "here", reads: true},
		{name: "leading, lease valid", leading: true, holder: "here", valid: time.Minute, reads: true},
		{name: "leading, lease past (frozen, or the renewal hangs)", leading: true, holder: "here", valid: -time.Second},
		{name: "following another", holder: "ops-2 pid 7"},
		{name: "nobody known", holder: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := ledger.NewMemoryStore(ledger.State{})
			api := newFakeAPI(store)
			s := newScheduler(testConfig(), store, api, target("a", "legacy"))
			var valid time.Time
			if tt.valid != 0 {
				valid = time.Now().Add(tt.valid)
			}
			s.SetLeader(tt.leading, tt.holder, valid)
			next := s.Step(context.Background(), t0)
			if got := len(api.ids()) > 0; got != tt.reads {
				t.Fatalf("Step read = %v (calls %v), want %v", got, api.ids(), tt.reads)
			}
			if !tt.reads && !next.IsZero() {
				t.Errorf("Step() = %v, want zero: a follower waits for SetLeader, never a timer", next)
			}
			h := s.Status(t0).Health
			if h.Leader != tt.holder || h.Following == tt.leading {
				t.Errorf("Health leader %q following %v, want %q, %v", h.Leader, h.Following, tt.holder, !tt.leading)
			}
			if tt.reads {
				return
			}
			if _, err := s.ReadNow(context.Background(), "a", t0); err != nil || len(api.ids()) != 1 {
				t.Errorf("ReadNow() as a follower = %v, calls %v; want one read on demand", err, api.ids())
			}
		})
	}
}
