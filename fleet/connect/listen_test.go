package connect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listenResult is what a Listen (or serve) running in a goroutine returned.
type listenResult struct {
	r   Redirect
	err error
}

// serveFlow runs f's callback server on a listener of its own on 127.0.0.1, bound before serve starts, so requests
// can be sent at once; it returns the base URL, the channel of serve's result and the channel of the refusals it
// reported.
func serveFlow(t *testing.T, ctx context.Context, f *Flow, now func() time.Time) (string, <-chan listenResult,
	<-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	done := make(chan listenResult, 1)
	refusals := make(chan error, 16)
	go func() {
		r, err := f.serve(ctx, ln, "/callback", now, func(err error) { refusals <- err })
		done <- listenResult{r, err}
	}()
	return "http://" + ln.Addr().String(), done, refusals
}

// get sends a GET to url, with host as its Host header unless it is "", and returns the status and body.
func get(t *testing.T, method, url, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("NewRequest(%s): %v", url, err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, url, err)
	}
	return resp.StatusCode, string(body)
}

// checkClosed checks that nothing listens on the address of base any more.
func checkClosed(t *testing.T, base string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	self := c.LocalAddr().String() == c.RemoteAddr().String() // TCP's self-connect to a port nobody listens on
	c.Close()
	if self {
		return
	}
	// The freed port may have been taken by another process since; only our page says the listener is still open.
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/callback")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if strings.Contains(string(body), "<title>fleetkey</title>") {
		t.Errorf("GET %s/callback after Listen ended = %d %q, want the listener closed", base, resp.StatusCode, body)
	}
}

func TestListenCallback(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	base, done, _ := serveFlow(t, context.Background(), f, func() time.Time { return connectTestNow })
	q := fmt.Sprintf("?user_id=U-725146a3&state=%s&code=c0de&virtual_key_url=%s&extra=1", f.State(), smartcarKeyURL)
	steps := []struct {
		name, method, path, host string
		wantStatus               int
	}{
		{"a favicon is not the redirect", http.MethodGet, "/favicon.ico", "", http.StatusNotFound},
		{"nor another path", http.MethodGet, "/callback/" + q, "", http.StatusNotFound},
		{"nor a POST", http.MethodPost, "/callback" + q, "", http.StatusMethodNotAllowed},
		{"nor a foreign Host (DNS rebinding)", http.MethodGet, "/callback" + q, "attacker.example:80",
			http.StatusMisdirectedRequest},
		{"the redirect, to localhost", http.MethodGet, "/callback" + q, "LOCALHOST:8000", http.StatusOK},
	}
	var page string
	for _, s := range steps {
		status, body := get(t, s.method, base+s.path, s.host)
		if status != s.wantStatus {
			t.Fatalf("%s: %s %s status = %d, want %d (body %q)", s.name, s.method, s.path, status, s.wantStatus, body)
		}
		page = body
	}
	res := <-done
	want := Redirect{UserID: "U-725146a3", State: f.State(), Code: "c0de", VirtualKeyURL: smartcarKeyURL}
	if res.err != nil || res.r != want {
		t.Errorf("Listen(...) = %+v, %v; want %+v, nil", res.r, res.err, want)
	}
	if !strings.Contains(page, "fleetkey: you can close this tab.") || strings.Contains(page, "U-725146a3") ||
		strings.Contains(page, f.State()) {
		t.Errorf("success page = %q, want it to say close the tab, without the user id or state", page)
	}
	checkClosed(t, base)
}

func TestListenRefusedRedirects(t *testing.T) {
	tests := []struct {
		name    string
		query   func(f *Flow) string
		now     []time.Time // what now() returns, call by call: the timer's start, then the request's
		ends    bool        // the refusal ends Listen; else Listen reports it and keeps waiting
		wantErr error
		page    string
	}{
		{"wrong state", func(*Flow) string { return "?user_id=U-1&state=NOTTHISFLOW" }, nil, false,
			ErrState, "fleetkey: vehicle access was not set up: the redirect does not belong to this Connect " +
				"flow: its state is another flow&#39;s; use the URL of the flow on screen. Tell the fleetkey operator; " +
				"they can start again."},
		{"no user", func(f *Flow) string { return "?code=c0de&state=" + f.State() }, nil, false,
			ErrNoUser, "fleetkey: vehicle access was not set up: the redirect has no user_id: Connect did not " +
				"say which user granted access. Tell"},
		{"malformed", func(*Flow) string { return "?state=%zz" }, nil, false, nil,
			"fleetkey: vehicle access was not set up: malformed redirect query: invalid URL escape &#34;%zz&#34;. Tell"},
		{"access denied", func(f *Flow) string {
			return "?state=" + f.State() + "&error=access_denied&error_description=User+denied+%3Cb%3Eaccess%3C%2Fb%3E."
		}, nil, true, ErrDenied, "fleetkey: vehicle access was not set up: the owner declined access: User " +
			"denied &lt;b&gt;access&lt;/b&gt;. Tell the fleetkey operator; they can start again."},
		{"too late", func(f *Flow) string { return "?user_id=U-1&state=" + f.State() },
			[]time.Time{connectTestNow, connectTestNow.Add(10*time.Minute + 1)}, true, ErrExpired,
			"fleetkey: vehicle access was not set up: the Connect flow timed out: it was open for 10m0s; start a new one."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFlow(t, testConnectConfig())
			times := append(tt.now, connectTestNow, connectTestNow)
			now := func() time.Time { n := times[0]; times = times[1:]; return n }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base, done, refusals := serveFlow(t, ctx, f, now)
			status, page := get(t, http.MethodGet, base+"/callback"+tt.query(f), "")
			if status != http.StatusBadRequest || !strings.Contains(page, "<p>"+tt.page) {
				t.Errorf("GET /callback%s = %d %q, want 400 with %q", tt.query(f), status, page, tt.page)
			}
			if strings.Contains(page, "U-1") || strings.Contains(page, f.State()) {
				t.Errorf("GET /callback%s page = %q, want no user id or state in it", tt.query(f), page)
			}
			err := listenError(t, tt.ends, done, refusals, cancel)
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Listen(...) refusal = %v, want an error that is %v", err, tt.wantErr)
			}
			checkClosed(t, base)
		})
	}
}

// listenError returns the refusal serve ended with when ends, else the one it reported while it kept waiting (and
// then cancels it and checks that only the cancellation ended it).
func listenError(t *testing.T, ends bool, done <-chan listenResult, refusals <-chan error, cancel func()) error {
	t.Helper()
	if ends {
		res := resultWithin(t, done)
		if res.r != (Redirect{}) {
			t.Errorf("Listen(...) = %+v, %v; want a zero redirect with the error", res.r, res.err)
		}
		return res.err
	}
	var err error
	select {
	case err = <-refusals:
	case res := <-done:
		t.Fatalf("Listen(...) = %+v, %v; want it reporting the refusal and still waiting", res.r, res.err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen reported no refusal within 10s")
	}
	cancel()
	if res := resultWithin(t, done); !errors.Is(res.err, context.Canceled) {
		t.Errorf("Listen(...) after the refusal and the cancel = %+v, %v; want context.Canceled", res.r, res.err)
	}
	return err
}

func TestCallbackHandlerAnswersOnce(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	expired := make(chan error, 1)
	var refused []error
	h := f.callbackHandler("/callback", func() time.Time { return connectTestNow },
		func(err error) { refused = append(refused, err) }, expired)
	var statuses []int
	var pages []string
	for range 2 {
		req := httptest.NewRequest(http.MethodGet, "/callback?user_id=U-1&state="+f.State(), nil)
		req.Host = "[::1]:8000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		statuses = append(statuses, w.Code)
		pages = append(pages, w.Body.String())
	}
	if want := []int{http.StatusOK, http.StatusGone}; !slices.Equal(statuses, want) {
		t.Errorf("two callbacks answered %v, want %v", statuses, want)
	}
	if !strings.Contains(pages[1], "this Connect flow has already completed; you can close this tab.") {
		t.Errorf("the second callback's page = %q, want it to say the flow has completed", pages[1])
	}
	if !f.completed() || len(expired) != 0 || len(refused) != 0 {
		t.Errorf("two callbacks: completed %v, %d expired, refused %v; want completed once, nothing else",
			f.completed(), len(expired), refused)
	}
	if r, err := f.outcome(); err != nil || r.UserID != "U-1" {
		t.Errorf("the flow's outcome = %+v, %v; want the first callback's redirect", r, err)
	}
}

func TestListenTimesOut(t *testing.T) {
	c := testConnectConfig()
	c.Timeout = 200 * time.Millisecond // the deadline Listen waits for, not a synchronisation sleep
	f, err := NewFlow(c, time.Now())
	if err != nil {
		t.Fatalf("NewFlow: %v", err)
	}
	base, done, _ := serveFlow(t, context.Background(), f, nil)
	res := <-done
	const want = "the Connect flow timed out: no redirect came in 200ms; start a new one"
	if !errors.Is(res.err, ErrExpired) || res.err.Error() != want {
		t.Errorf("Listen(...) past its deadline = %v, want %s", res.err, want)
	}
	checkClosed(t, base)
}

func TestListenCancelled(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	ctx, cancel := context.WithCancel(context.Background())
	base, done, _ := serveFlow(t, ctx, f, func() time.Time { return connectTestNow })
	if status, _ := get(t, http.MethodGet, base+"/favicon.ico", ""); status != http.StatusNotFound {
		t.Fatalf("GET /favicon.ico = %d, want 404", status)
	}
	cancel()
	if res := <-done; !errors.Is(res.err, context.Canceled) {
		t.Errorf("Listen(...) cancelled = %v, want context.Canceled", res.err)
	}
	checkClosed(t, base)
}

// freePort returns a port that was free on 127.0.0.1 a moment ago. Listen must bind the exact port of redirect_uri,
// so the test picks one and lets it go; another program taking it in between would fail the test with Listen's
// port-busy error, not pass it.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestListenBindsTheRedirectPort(t *testing.T) {
	port := freePort(t)
	c := testConnectConfig()
	c.RedirectURI = fmt.Sprintf("http://localhost:%d/fleetkey/callback", port)
	f := newTestFlow(t, c)
	bound := make(chan string, 1)
	f.bound = func(addr string) { bound <- addr }
	done := make(chan listenResult, 1)
	go func() {
		r, err := f.Listen(context.Background(), func() time.Time { return connectTestNow }, nil)
		done <- listenResult{r, err}
	}()
	var addr string
	select {
	case addr = <-bound:
	case res := <-done:
		t.Fatalf("Listen(%s) = %+v, %v before binding", c.RedirectURI, res.r, res.err)
	}
	if want := fmt.Sprintf("127.0.0.1:%d", port); addr != want {
		t.Errorf("Listen(%s) bound %s, want %s", c.RedirectURI, addr, want)
	}
	status, page := get(t, http.MethodGet, "http://"+addr+"/fleetkey/callback?user_id=U-9&state="+f.State(), "")
	res := <-done
	if status != http.StatusOK || !strings.Contains(page, "you can close this tab") {
		t.Errorf("GET callback = %d %q, want 200 and close the tab", status, page)
	}
	if want := (Redirect{UserID: "U-9", State: f.State()}); res.err != nil || res.r != want {
		t.Errorf("Listen(%s) = %+v, %v; want %+v, nil", c.RedirectURI, res.r, res.err, want)
	}
}

func TestListenRefuses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	const paste = "paste the redirect URL from the browser's address bar instead"
	const notLoopback = "is not loopback; the listener binds only 127.0.0.1, localhost or [::1] (from an ops box, " +
		"forward the port with ssh -L); " + paste
	tests := []struct {
		name, redirect, want string
	}{
		{"a LAN address", "http://192.168.1.5:8000/callback",
			`callback listener: redirect_uri host "192.168.1.5" ` + notLoopback},
		{"every interface", "http://0.0.0.0:8000/callback", `callback listener: redirect_uri host "0.0.0.0" ` + notLoopback},
		{"another loopback address", "http://127.0.0.2:8000/callback",
			`callback listener: redirect_uri host "127.0.0.2" ` + notLoopback},
		{"https", "https://localhost:8443/callback", "callback listener: redirect_uri https://localhost:8443/callback " +
			"is not plain http, which is all the listener serves; " + paste},
		{"port 0", "http://127.0.0.1:0/callback",
			"callback listener: redirect_uri http://127.0.0.1:0/callback has no usable port"},
		{"not a URL", "localhost:8000", `callback listener: redirect_uri "localhost:8000" is not an absolute URL`},
		{"port busy", "http://" + busyAddr + "/callback", "callback listener: " + busyAddr + " is in use by another " +
			"program; free it, or " + paste + ": listen tcp " + busyAddr + ": bind: address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConnectConfig()
			c.RedirectURI = tt.redirect
			f := newTestFlow(t, c)
			f.bound = func(addr string) { t.Errorf("Listen(%s) bound %s, want it refused", tt.redirect, addr) }
			r, err := f.Listen(context.Background(), nil, nil)
			if err == nil || err.Error() != tt.want || r != (Redirect{}) {
				t.Errorf("Listen(%s) = %+v, %v; want zero,\n%s", tt.redirect, r, err, tt.want)
			}
		})
	}
	r, err := newTestFlow(t, Config{ClientID: "c", Base: DefaultBase, Timeout: time.Minute,
		RedirectURI: "http://" + busyAddr + "/callback"}).Listen(context.Background(), nil, nil)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen(busy port) = %+v, %v; want an error that is EADDRINUSE", r, err)
	}
}
