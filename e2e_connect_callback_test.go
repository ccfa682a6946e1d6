package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The callback path in a real terminal: the browser's GET on the loopback redirect_uri, sent by the test, in the
// console (a pressed, the pane's listener) and in `fleetkey connect`. Scenarios of TestE2EConnect.

// e2eConnectCallback: the browser comes back to the listener with the right state; the console lists the user's
// vehicle, y reads it once, and the table lists it.
func e2eConnectCallback(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	state := openConnectPane(c, redirectURI)

	fk.srv.SetCar(newCar())
	browserReturns(t, redirectURI, state)
	c.waitScreen(`"New vehicle 1 of 1"`, func(s string) bool { return strings.Contains(s, "New vehicle 1 of 1") })
	if n := fk.userListings(newUser); n != 1 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests = %d, want 1", newUser, n)
	}
	waitListenerClosed(t, redirectURI)
	confirmAndList(t, c, fk)
}

// e2eConnectCallbackAfterStray: a request with another flow's state first (a stale tab, say) is turned away, the
// screen says so and that the listener still waits, and the right redirect after it completes the flow.
func e2eConnectCallbackAfterStray(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	state := openConnectPane(c, redirectURI)

	fk.srv.SetCar(newCar())
	stray := redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state), "code=x")
	if status, page := getCallback(t, stray); status != http.StatusBadRequest {
		t.Fatalf("GET a redirect with another flow's state = %d %q, want 400", status, page)
	}
	screen := c.waitScreen(`"does not belong to this Connect flow"`, func(s string) bool {
		return strings.Contains(textBesideQR(s), "does not belong to this Connect flow")
	})
	if text := textBesideQR(screen); !strings.Contains(text, "still waiting") ||
		!strings.Contains(text, "fleetkey takes it from there") {
		t.Errorf("after the stray the screen should say the listener still waits for the browser; screen:\n%s", screen)
	}
	if n := fk.userListings(newUser); n != 0 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests after the stray = %d, want 0", newUser, n)
	}
	browserReturns(t, redirectURI, state)
	c.waitScreen(`"New vehicle 1 of 1"`, func(s string) bool { return strings.Contains(s, "New vehicle 1 of 1") })
	confirmAndList(t, c, fk)
}

// e2eConnectCallbackDenied: the owner declines in Connect; the console ends the flow with the reason and esc goes
// back to the table, nothing listed or read.
func e2eConnectCallbackDenied(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	state := openConnectPane(c, redirectURI)

	deny := redirectTo(redirectURI, "error=access_denied", "error_description=The+owner+said+no", "state="+state)
	if status, page := getCallback(t, deny); status != http.StatusBadRequest || !strings.Contains(page, "The owner said no") {
		t.Errorf("GET the denial = %d %q, want 400 and the reason", status, page)
	}
	screen := c.waitScreen(`"the owner declined access"`, func(s string) bool {
		return strings.Contains(s, "the owner declined access: The owner said no")
	})
	if strings.Contains(screen, "redirect URL ›") {
		t.Errorf("after the denial the pane still asks for a redirect; screen:\n%s", screen)
	}
	waitListenerClosed(t, redirectURI)
	c.keys("Escape")
	c.waitScreen("the table again", func(s string) bool {
		return strings.Contains(s, "NEXT READ") && !strings.Contains(s, "Smartcar Connect")
	})
	if n := fk.userListings(newUser); n != 0 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests = %d, want 0", newUser, n)
	}
}

// browserReturns is the owner's browser sent back by Connect: a GET of the redirect with the flow's state, which
// the listener answers with the page that says to close the tab.
func browserReturns(t *testing.T, redirectURI, state string) {
	t.Helper()
	u := redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x", "virtual_key_url="+connectKeyURL)
	if status, page := getCallback(t, u); status != http.StatusOK || !strings.Contains(page, "you can close this tab") {
		t.Errorf("GET the redirect = %d %q, want 200 and \"you can close this tab\"", status, page)
	}
}

// e2eConnectCLICallback: `fleetkey connect` in a terminal; the browser comes back to its listener after a stray,
// and y reads the new vehicle once.
func e2eConnectCLICallback(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config, "connect")
	state := cliState(c)

	fk.srv.SetCar(newCar())
	stray := redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state), "code=x")
	if status, page := getCallback(t, stray); status != http.StatusBadRequest {
		t.Fatalf("GET a redirect with another flow's state = %d %q, want 400", status, page)
	}
	c.waitScreen(`"does not belong to this Connect flow"`, func(s string) bool {
		return strings.Contains(s, "does not belong to this Connect flow")
	}, "-J", "-S", "-")
	browserReturns(t, redirectURI, state)
	cliConfirm(t, c, fk)
}

// e2eConnectCLIPaste: `fleetkey connect` in a terminal; the operator pastes the redirect, and y reads the new
// vehicle once.
func e2eConnectCLIPaste(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config, "connect")
	state := cliState(c)

	fk.srv.SetCar(newCar())
	c.text(redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x", "virtual_key_url="+connectKeyURL))
	c.keys("Enter")
	cliConfirm(t, c, fk)
	waitListenerClosed(t, redirectURI)
}

// cliState waits for `fleetkey connect` to print the Connect link and returns its state.
func cliState(c *console) string {
	c.t.Helper()
	var state string
	c.waitScreen("the Connect link", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if u, err := url.Parse(strings.TrimSpace(l)); err == nil && strings.HasPrefix(l, connectBase+"?") {
				state = u.Query().Get("state")
			}
		}
		return stateRe.MatchString(state) && strings.Contains(s, "or paste the whole redirect URL here")
	}, "-J", "-S", "-")
	return state
}

// cliConfirm waits for the new vehicle's install question, answers y, and checks the one read and the exit.
func cliConfirm(t *testing.T, c *console, fk *connectFake) {
	t.Helper()
	screen := c.waitScreen("the install question", func(s string) bool {
		return strings.Contains(s, "Added 1 vehicles.") && strings.Contains(s, "Type y when the owner says")
	}, "-J", "-S", "-")
	if !hasLine(strings.Split(screen, "\n"), connectKeyURL) {
		t.Errorf("the install QR: want the redirect's virtual_key_url %s under it; screen:\n%s", connectKeyURL, screen)
	}
	if n := fk.srv.ReadCount(newCarID); n != 0 {
		t.Errorf("reads of %s before the operator's y = %d, want 0", newCarID, n)
	}
	c.text("y")
	c.keys("Enter")
	if code := c.waitExit(); code != 0 {
		t.Errorf("fleetkey connect = exit %d, want 0; screen:\n%s", code, c.capture("-J", "-S", "-"))
	}
	if s := c.capture("-J", "-S", "-"); !strings.Contains(s, "badge: key-installed") {
		t.Errorf("after y: want \"badge: key-installed\"; screen:\n%s", s)
	}
	if n := fk.srv.ReadCount(newCarID); n != 1 {
		t.Errorf("reads of %s after y = %d, want exactly 1", newCarID, n)
	}
	if n := fk.userListings(newUser); n != 1 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests = %d, want 1", newUser, n)
	}
}
