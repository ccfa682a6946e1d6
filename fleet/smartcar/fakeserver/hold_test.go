package fakeserver

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// guard bounds a wait that should end at once, so a broken fake fails the test instead of hanging it.
const guard = 10 * time.Second

// readAsync starts a read of v1 as u1 and returns its status (or -1 on a transport error) on the channel.
func (e *env) readAsync(ctx context.Context) <-chan int {
	done := make(chan int, 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/vehicles/v1/signals", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("sc-user-id", "u1")
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return done
}

func waitHeld(t *testing.T, s *Server, id string) {
	t.Helper()
	select {
	case <-s.Held(id):
	case <-time.After(guard):
		t.Fatalf("no request for %s was held within %v", id, guard)
	}
}

func TestHoldRelease(t *testing.T) {
	e := newEnv(t, Options{}, legacyCar("v1"))
	if e.s.Held("v1") != nil {
		t.Fatal("Held(v1) before Hold is not nil")
	}
	release := e.s.Hold("v1")
	done := e.readAsync(context.Background())
	waitHeld(t, e.s, "v1")
	if got := e.s.ReadCount("v1"); got != 1 {
		t.Errorf("ReadCount(v1) while held = %d, want 1 (recorded before the hold)", got)
	}
	select {
	case status := <-done:
		t.Fatalf("held read answered %d before release", status)
	default:
	}
	release()
	release() // idempotent
	select {
	case status := <-done:
		if status != 200 {
			t.Errorf("released read = %d, want 200", status)
		}
	case <-time.After(guard):
		t.Fatal("released read did not answer")
	}
	if e.s.Held("v1") != nil {
		t.Error("Held(v1) after release is not nil")
	}
	e.clk.Advance(5 * time.Minute)
	if r := e.read("v1", "u1"); r.status != 200 {
		t.Errorf("read after release = %d, want 200", r.status)
	}
}

func TestHoldClientGone(t *testing.T) {
	e := newEnv(t, Options{}, legacyCar("v1"))
	release := e.s.Hold("v1")
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := e.readAsync(ctx)
	waitHeld(t, e.s, "v1")
	cancel()
	if status := <-done; status != -1 {
		t.Errorf("cancelled read = %d, want a transport error", status)
	}
	if got := e.s.ReadCount("v1"); got != 1 {
		t.Errorf("ReadCount(v1) = %d, want 1 (the abandoned read stays recorded)", got)
	}
	release()
	e.clk.Advance(5 * time.Minute)
	if r := e.read("v1", "u1"); r.status != 200 {
		t.Errorf("read after release = %d, want 200", r.status)
	}
	if got := e.s.ReadCount("v1"); got != 2 {
		t.Errorf("ReadCount(v1) = %d, want 2", got)
	}
}

func TestCloseReleasesHolds(t *testing.T) {
	e := newEnv(t, Options{}, legacyCar("v1"))
	e.s.Hold("v1")
	done := e.readAsync(context.Background())
	waitHeld(t, e.s, "v1")
	closed := make(chan struct{})
	go func() {
		e.s.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(guard):
		t.Fatal("Close did not return while a read was held")
	}
	if status := <-done; status != 200 {
		t.Errorf("held read after Close = %d, want 200", status)
	}
}
