package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestConnectCallbackAfterStray: a request on the listener with another flow's state is turned away, and the listener
// keeps waiting: the browser's right redirect after it still completes the flow.
func TestConnectCallbackAfterStray(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	srv.SetCar(newCar())
	if status, page := getCallback(t, redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state),
		"code=x")); status != http.StatusBadRequest {
		t.Errorf("GET a redirect with another flow's state = %d %q, want 400", status, page)
	}
	r.waitLine(`"does not belong to this Connect flow"`, func(l string) bool {
		return strings.Contains(l, "does not belong to this Connect flow")
	})
	status, page := getCallback(t, redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x"))
	if status != http.StatusOK || !strings.Contains(page, "you can close this tab") {
		t.Errorf("GET the redirect after the stray = %d %q, want 200 and \"you can close this tab\"", status, page)
	}
	r.waitInstall()
	r.send("n")
	if code := r.wait(); code != 0 {
		t.Fatalf("fleetkey connect = exit %d, want 0; stderr: %s", code, r.stderr.String())
	}
	if strings.Contains(r.out(), "paste the redirect URL instead") {
		t.Errorf("stdout told the operator to paste while the listener was still waiting; stdout:\n%s", r.out())
	}
	assertReads(t, srv, map[string]int{newCarID: 0})
}

// TestConnectCallbackDenied: Connect's access_denied on the listener ends the command with exit 1 and the reason.
func TestConnectCallbackDenied(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	status, page := getCallback(t, redirectTo(redirectURI, "error=access_denied", "error_description=The+owner+said+no",
		"state="+state))
	if status != http.StatusBadRequest || !strings.Contains(page, "The owner said no") {
		t.Errorf("GET the denial = %d %q, want 400 and the reason", status, page)
	}
	if code := r.wait(); code != 1 || !strings.Contains(r.stderr.String(), "the owner declined access: The owner said no") {
		t.Errorf("fleetkey connect after a denied callback = exit %d, stderr %q; want 1 and the reason",
			code, r.stderr.String())
	}
	if n := srv.Requests(""); n != 0 {
		t.Errorf("requests to the fake after access_denied = %d, want 0", n)
	}
}
