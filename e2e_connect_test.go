package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
)

// The onboarding's test vehicles: one already connected, one that the new user connects during the test.
const (
	oldUser   = "user-old"
	oldCarID  = "veh-old"
	newUser   = "user-new"
	newCarID  = "veh-new"
	newCarVIN = "5YJ3E1EA9PF000001" // made up, with a valid check digit
	// newCarName is how the live source names a connected vehicle without an overlay: make, model, year, short id.
	newCarName = "TESLA Model 3 2023 · veh-new"
	// connectKeyURL is the virtual_key_url the test's redirect carries; the install QR must show it, not the plan's.
	connectKeyURL = "https://www.tesla.com/_ak/fleetco.app.car"
	// connectBase is the Connect page the flow's URL is built on; nothing ever requests it.
	connectBase = "https://connect.smartcar.com/oauth/authorize"
)

// The pane's size: the Connect URL (about 290 characters) makes a QR of 73×38 cells, which needs 34 columns of text
// beside it and its link's 3 lines under it. At 100×40 the pane says the terminal is too small for the QR.
const connectW, connectH = 120, 48

// secretEnv puts the client secret in the pane's environment, where the config's client_secret_env names it.
const secretEnv = "FLEETKEY_TEST_SECRET=" + fakeSecret

// TestE2EConnect runs the onboarding in the real binary in a real terminal (tmux), against the fake Smartcar in
// this process: one build, then each scenario in its own tmux server and with its own fake, in parallel.
func TestE2EConnect(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, bin string)
	}{
		{"paste", e2eConnectPaste},
		{"wrong-state", e2eConnectWrongState},
		{"placeholder", e2eConnectPlaceholder},
		{"callback", e2eConnectCallback},
		{"callback-after-stray", e2eConnectCallbackAfterStray},
		{"callback-denied", e2eConnectCallbackDenied},
		{"cli-callback", e2eConnectCLICallback},
		{"cli-paste", e2eConnectCLIPaste},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, bin)
		})
	}
}

// e2eConnectPaste is the whole paste path: the Connect link on screen, the owner's redirect pasted, the new vehicle
// listed without a read, its install QR, the operator's y, exactly one read, the summary and the new row.
func e2eConnectPaste(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	state := openConnectPane(c, redirectURI)

	fk.srv.SetCar(newCar()) // the owner granted access in Connect: their car is connected now
	c.text(redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x", "virtual_key_url="+connectKeyURL))
	c.keys("Enter")
	screen := c.waitScreen(`"New vehicle 1 of 1"`, func(s string) bool {
		return strings.Contains(s, "New vehicle 1 of 1")
	})
	if !hasLine(strings.Split(screen, "\n"), connectKeyURL) || widestFullBlockRun(screen) < 29 {
		t.Errorf("new vehicle pane: want the install QR (a full-block run >= 29 cells) and under it the redirect's "+
			"virtual_key_url %s; screen:\n%s", connectKeyURL, screen)
	}
	if n := fk.srv.ReadCount(newCarID); n != 0 {
		t.Errorf("reads of %s before the operator's y = %d, want 0", newCarID, n)
	}
	if n := fk.userListings(newUser); n != 1 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests = %d, want 1", newUser, n)
	}
	waitListenerClosed(t, redirectURI) // the paste won: the callback listener is done
	confirmAndList(t, c, fk)
}

// confirmAndList presses y on the new vehicle (exactly one read, "key installed"), then enter to the summary and
// enter to the table, where the new vehicle is listed with the badge the read taught.
func confirmAndList(t *testing.T, c *console, fk *connectFake) {
	t.Helper()
	c.keys("y")
	c.waitScreen(`"key installed"`, func(s string) bool { return strings.Contains(s, "key installed") })
	if n := fk.srv.ReadCount(newCarID); n != 1 {
		t.Errorf("reads of %s after y = %d, want exactly 1", newCarID, n)
	}
	c.keys("Enter")
	c.waitScreen(`"Added 1 vehicles"`, func(s string) bool { return strings.Contains(s, "Added 1 vehicles") })
	c.keys("Enter")
	screen := c.waitScreen("the table with the new vehicle", func(s string) bool {
		return strings.Contains(s, "NEXT READ") && strings.Contains(s, newCarName)
	})
	if row, _ := rowOf(screen, newCarName); !strings.Contains(row, " key-installed ") {
		t.Errorf("row of %s = %q, want the badge key-installed on it; screen:\n%s", newCarName, row, screen)
	}
	if n := fk.srv.ReadCount(oldCarID); n != 0 {
		t.Errorf("reads of the existing %s = %d, want 0", oldCarID, n)
	}
	if v := fk.srv.Violations(); len(v) != 0 {
		t.Errorf("the fake saw reads the rules forbid: %+v", v)
	}
}

// e2eConnectWrongState pastes a redirect whose state is another flow's: the pane says so, nothing is listed for
// that user, and esc leaves the pane.
func e2eConnectWrongState(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	state := openConnectPane(c, redirectURI)
	fk.srv.SetCar(newCar())
	listed := fk.srv.Requests("/v3/connections")

	c.text(redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state), "code=x",
		"virtual_key_url="+connectKeyURL))
	c.keys("Enter")
	c.waitScreen(`"does not belong to this Connect flow"`, func(s string) bool {
		return strings.Contains(textBesideQR(s), "the redirect does not belong to this Connect flow")
	})
	if n := fk.srv.Requests("/v3/connections"); n != listed {
		t.Errorf("requests to /v3/connections after the wrong state = %d, want %d (none new)", n, listed)
	}
	if n := fk.userListings(newUser); n != 0 {
		t.Errorf("GET /v3/connections?filter[userId]=%s requests = %d, want 0", newUser, n)
	}
	c.keys("Escape")
	c.waitScreen("the table again", func(s string) bool {
		return strings.Contains(s, "NEXT READ") && !strings.Contains(s, "Smartcar Connect")
	})
	waitListenerClosed(t, redirectURI)
	if n := fk.srv.ReadCount(newCarID); n != 0 {
		t.Errorf("reads of %s = %d, want 0", newCarID, n)
	}
}

// e2eConnectPlaceholder checks that the empty paste field tells the operator what to paste: its whole placeholder,
// not only its first letter under the cursor.
func e2eConnectPlaceholder(t *testing.T, bin string) {
	fk := startConnectFake(t)
	f, redirectURI := writeConnectFleet(t, fk)
	c := startConsole(t, bin, f, connectW, connectH, []string{secretEnv}, "--config", f.config)
	openConnectPane(c, redirectURI)
	const want = "redirect URL › paste the whole URL from the browser's address bar"
	if screen := c.capture(); !strings.Contains(textBesideQR(screen), want) {
		t.Errorf("the empty paste field: want %q; screen:\n%s", want, screen)
	}
}

// connectFake is the fake Smartcar behind a recorder of every request URI, so a test can tell a listing of one
// user (filter[userId]) from the start-up listing of every connection: the fake counts paths only.
type connectFake struct {
	srv            *fakeserver.Server
	base, tokenURL string
	mu             sync.Mutex
	uris           []string
}

// startConnectFake serves the fake with one existing, key-paired car on a loopback port.
func startConnectFake(t *testing.T) *connectFake {
	t.Helper()
	yes := true
	fk := &connectFake{srv: fakeserver.New(fakeserver.Options{ClientID: "client_test", Secrets: []string{fakeSecret}},
		fakeserver.Car{VehicleID: oldCarID, UserID: oldUser, Make: "TESLA", Model: "Model Y", Year: 2023,
			VIN: "7SAYGDEE5PA095337", KeyPaired: &yes, Battery: 80, RangeKM: 400, OdometerKM: 12000, Online: true})}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fk.mu.Lock()
		fk.uris = append(fk.uris, r.URL.RequestURI())
		fk.mu.Unlock()
		fk.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { hs.Close(); fk.srv.Close() })
	fk.base, fk.tokenURL = hs.URL+"/v3", hs.URL+"/oauth2/token"
	return fk
}

// userListings counts the GET /v3/connections requests filtered to user.
func (fk *connectFake) userListings(user string) int {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	n := 0
	for _, uri := range fk.uris {
		u, err := url.Parse(uri)
		if err == nil && u.Path == "/v3/connections" && u.Query().Get("filter[userId]") == user {
			n++
		}
	}
	return n
}

// newCar is the new user's car: a 2023 Model 3 whose key the owner installs.
func newCar() fakeserver.Car {
	yes := true
	return fakeserver.Car{VehicleID: newCarID, UserID: newUser, Make: "TESLA", Model: "Model 3", Year: 2023,
		VIN: newCarVIN, KeyPaired: &yes, Battery: 55, RangeKM: 280, OdometerKM: 900, Online: true}
}

// writeConnectFleet writes a live config for the fake, with the callback listener on a free loopback port, and
// returns it with the redirect URI. The secret is only in the pane's environment; [read] auto is empty, so no read
// happens but the ones the test asks for.
func writeConnectFleet(t *testing.T, fk *connectFake) (testFleet, string) {
	t.Helper()
	dir := t.TempDir()
	f := testFleet{dir: dir, config: filepath.Join(dir, "config.toml"),
		stateFile: filepath.Join(dir, "state", "state.json")}
	redirectURI := "http://127.0.0.1:" + freePort(t) + "/callback"
	writeTestFile(t, f.config, fmt.Sprintf(`state_file = %q
[fleet]
source = "smartcar"
[smartcar]
client_id = "client_test"
client_secret_env = "FLEETKEY_TEST_SECRET"
api_base = %q
token_url = %q
[read]
auto = []
[connect]
redirect_uri = %q
connect_base = %q
`, f.stateFile, fk.base, fk.tokenURL, redirectURI, connectBase))
	return f, redirectURI
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// waitListenerClosed waits until nothing accepts connections on the redirect URI's port any more.
func waitListenerClosed(t *testing.T, redirectURI string) {
	t.Helper()
	u, err := url.Parse(redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(pollTimeout)
	for {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the callback listener on %s still accepts connections %v later", u.Host, pollTimeout)
		}
		time.Sleep(pollEvery)
	}
}

// openConnectPane waits for the table, presses a, and returns the state of the Connect URL shown under the QR.
func openConnectPane(c *console, redirectURI string) string {
	c.t.Helper()
	c.waitScreen("the table", func(s string) bool { return strings.Contains(s, "NEXT READ") })
	c.keys("a")
	var link string
	screen := c.waitScreen("the Connect link", func(s string) bool {
		link = connectLinkOf(s)
		u, err := url.Parse(link)
		return err == nil && stateRe.MatchString(u.Query().Get("state"))
	})
	if w := widestFullBlockRun(screen); w < 29 {
		c.t.Fatalf("the Connect pane at %d×%d: widest full-block run = %d, want the QR (>= 29); screen:\n%s",
			connectW, connectH, w, screen)
	}
	u, _ := url.Parse(link) // the wait parsed it
	q := u.Query()
	if got := q.Get("redirect_uri"); got != redirectURI || q.Get("client_id") != "client_test" {
		c.t.Fatalf("the Connect link's redirect_uri = %q, client_id = %q; want %q and client_test; link %s",
			got, q.Get("client_id"), redirectURI, link)
	}
	return q.Get("state")
}

// stateRe matches a flow's state: 26 base32 characters (rand.Text).
var stateRe = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// connectLinkOf joins the Connect link the pane prints under the QR, split over lines of the screen's width.
func connectLinkOf(screen string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, connectBase) {
			continue
		}
		link := l
		for j := i + 1; j < len(lines) && len([]rune(lines[j-1])) == connectW; j++ {
			link += lines[j]
		}
		return strings.TrimSpace(link)
	}
	return ""
}

// textBesideQR is the text of the screen without the QR drawn on its right: each line up to its first QR glyph, the
// lines joined by spaces and runs of spaces squeezed, so that text wrapped beside the QR reads as one.
func textBesideQR(screen string) string {
	var text []string
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.IndexAny(l, "█▀▄"); i >= 0 {
			l = l[:i]
		}
		text = append(text, strings.Fields(l)...)
	}
	return strings.Join(text, " ")
}
