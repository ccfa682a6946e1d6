package serve

import (
	"strings"
	"testing"
)

// TestStopWaitsForALateSession: a session whose handler starts only once the stop has begun (its shell request was
// answered just before, and a loaded machine ran its handler late) is counted among the running ones: the server
// waits for it, and it gets the same closing line and exit 0 as every other console.
func TestStopWaitsForALateSession(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	late := func() { <-h.srv.stopping.Done() }
	h.srv.testHookSession.Store(&late)
	tm := h.open(t, h.bob)
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop(t) }()
	out, err := tm.end(t)
	if !strings.HasSuffix(strings.TrimSpace(out), goodbye) {
		t.Errorf("late session's output %q (stderr %q), want it to end with %q", tail(out), tm.stderr.String(), goodbye)
	}
	if err != nil {
		t.Errorf("late session at stop: exit %v, want 0", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}
