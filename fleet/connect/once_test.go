package connect

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// resultWithin waits for the result of a Listen (or serve) running in a goroutine, failing t after a while: a
// listener that never returns is the failure, not a hang of the whole test binary.
func resultWithin(t *testing.T, done <-chan listenResult) listenResult {
	t.Helper()
	select {
	case res := <-done:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return within 10s")
		return listenResult{}
	}
}

// TestListenKeepsWaitingAfterStrays: requests that are not this flow's answer (a wrong state, no state, a malformed
// query, a favicon) are answered and turned away while the listener keeps waiting; the right redirect then completes
// the flow once, Listen returns it once, and the flow refuses it afterwards.
func TestListenKeepsWaitingAfterStrays(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	base, done, refusals := serveFlow(t, context.Background(), f, func() time.Time { return connectTestNow })
	strays := []struct {
		name, path string
		wantStatus int
		reported   error // the refusal Listen reports for it; nil: none, or (malformed) one that is no sentinel
	}{
		{"another flow's state", "/callback?user_id=U-1&state=NOTTHISFLOW", http.StatusBadRequest, ErrState},
		{"no state", "/callback?user_id=U-1", http.StatusBadRequest, ErrState},
		{"a malformed query", "/callback?state=%zz", http.StatusBadRequest, nil},
		{"a favicon", "/favicon.ico", http.StatusNotFound, nil},
	}
	for _, s := range strays {
		if status, body := get(t, http.MethodGet, base+s.path, ""); status != s.wantStatus {
			t.Fatalf("%s: GET %s = %d %q, want %d", s.name, s.path, status, body, s.wantStatus)
		}
		if s.wantStatus != http.StatusBadRequest {
			continue
		}
		select {
		case err := <-refusals:
			if s.reported != nil && !errors.Is(err, s.reported) {
				t.Errorf("%s: reported %v, want an error that is %v", s.name, err, s.reported)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: Listen reported no refusal within 10s", s.name)
		}
	}
	select {
	case res := <-done:
		t.Fatalf("Listen(...) = %+v, %v after the strays alone; want it still waiting", res.r, res.err)
	default:
	}
	status, page := get(t, http.MethodGet, base+"/callback?user_id=U-9&state="+f.State(), "")
	if status != http.StatusOK || !strings.Contains(page, "you can close this tab") {
		t.Errorf("GET the redirect after the strays = %d %q, want 200 and close the tab", status, page)
	}
	want := Redirect{UserID: "U-9", State: f.State()}
	if res := resultWithin(t, done); res.err != nil || res.r != want {
		t.Errorf("Listen(...) = %+v, %v; want %+v, nil", res.r, res.err, want)
	}
	if _, err := f.Accept(want, connectTestNow); !errors.Is(err, ErrReused) {
		t.Errorf("Accept(the redirect the listener took) = %v, want ErrReused: it is accepted once", err)
	}
	checkClosed(t, base)
}

// TestListenDenialEndsTheFlow: Connect's error redirect is the owner's answer: Listen ends with it, and the flow
// takes no other redirect after it.
func TestListenDenialEndsTheFlow(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	base, done, _ := serveFlow(t, context.Background(), f, func() time.Time { return connectTestNow })
	status, page := get(t, http.MethodGet, base+"/callback?error=access_denied&error_description=No&state="+f.State(), "")
	if status != http.StatusBadRequest || !strings.Contains(page, "the owner declined access: No") {
		t.Errorf("GET the denial = %d %q, want 400 and the reason", status, page)
	}
	if res := resultWithin(t, done); !errors.Is(res.err, ErrDenied) {
		t.Errorf("Listen(...) after the denial = %+v, %v; want ErrDenied", res.r, res.err)
	}
	r := Redirect{UserID: "U-9", State: f.State()}
	if _, err := f.Accept(r, connectTestNow); !errors.Is(err, ErrReused) {
		t.Errorf("Accept(%+v) after the denial = %v, want ErrReused: the denial ended the flow", r, err)
	}
	checkClosed(t, base)
}

// TestListenEndsWhenThePasteWins: a pasted redirect accepted while the listener waits ends Listen with the flow's
// outcome, without a request and without the caller cancelling it, and closes the listener.
func TestListenEndsWhenThePasteWins(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	base, done, _ := serveFlow(t, context.Background(), f, func() time.Time { return connectTestNow })
	r := Redirect{UserID: "U-9", State: f.State(), Code: "c0de"}
	if _, err := f.Accept(r, connectTestNow); err != nil {
		t.Fatalf("Accept(%+v) = %v, want nil", r, err)
	}
	if res := resultWithin(t, done); res.err != nil || res.r != r {
		t.Errorf("Listen(...) after the paste won = %+v, %v; want %+v, nil", res.r, res.err, r)
	}
	checkClosed(t, base)
}
