package connect

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// connectTestNow is the fixed clock of the Connect flow tests.
var connectTestNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// smartcarKeyURL is the virtual key of Smartcar's free and build plans.
const smartcarKeyURL = "https://www.tesla.com/_ak/smartcar.com"

// testConnectConfig is the [connect] table of a config that sets only [smartcar] client_id = "client_abc": the
// defaults, in live mode.
func testConnectConfig() Config {
	return Config{ClientID: "client_abc", RedirectURI: DefaultRedirectURI, Base: DefaultBase, Mode: "live",
		Scopes: DefaultScopes(), Timeout: DefaultTimeout}
}

// newTestFlow starts a flow on c at connectTestNow, failing t if it cannot.
func newTestFlow(t *testing.T, c Config) *Flow {
	t.Helper()
	f, err := NewFlow(c, connectTestNow)
	if err != nil {
		t.Fatalf("NewFlow(%+v) error = %v", c, err)
	}
	return f
}

func TestNewConnectFlowURL(t *testing.T) {
	const scopes = "scope=read_vehicle_info%20read_vin%20read_battery%20read_charge%20read_location%20read_odometer"
	const redirect = "redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback"
	tests := []struct {
		name string
		edit func(*Config)
		want string // with STATE for the flow's state
	}{
		{"defaults", func(*Config) {}, "https://connect.smartcar.com/oauth/authorize?response_type=code&" +
			"client_id=client_abc&" + redirect + "&" + scopes + "&state=STATE&mode=live"},
		{"tesla only, test mode", func(c *Config) { c.TeslaOnly, c.Mode = true, "test" },
			"https://connect.smartcar.com/oauth/authorize?response_type=code&client_id=client_abc&" + redirect + "&" +
				scopes + "&state=STATE&mode=test&make=TESLA"},
		{"no scopes, no mode, a local base", func(c *Config) {
			c.Scopes, c.Mode, c.Base = nil, "", "http://127.0.0.1:9000/oauth/authorize"
		}, "http://127.0.0.1:9000/oauth/authorize?response_type=code&client_id=client_abc&" + redirect + "&state=STATE"},
		{"escaping", func(c *Config) {
			c.ClientID, c.RedirectURI, c.Scopes = "a b&c=d+é", "https://x.example/cb/ä", []string{"read_vin"}
		}, "https://connect.smartcar.com/oauth/authorize?response_type=code&client_id=a%20b%26c%3Dd%2B%C3%A9&" +
			"redirect_uri=https%3A%2F%2Fx.example%2Fcb%2F%C3%A4&scope=read_vin&state=STATE&mode=live"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConnectConfig()
			tt.edit(&c)
			f := newTestFlow(t, c)
			if got := strings.Replace(f.URL(), "state="+f.State(), "state=STATE", 1); got != tt.want {
				t.Errorf("NewFlow(%+v).URL() =\n%s\nwant\n%s", c, got, tt.want)
			}
			checkURLDecodes(t, f, c)
		})
	}
}

// checkURLDecodes checks that the query of f's URL decodes back to the parameters of c.
func checkURLDecodes(t *testing.T, f *Flow, c Config) {
	t.Helper()
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatalf("url.Parse(%s) error = %v", f.URL(), err)
	}
	q := u.Query()
	want := url.Values{"response_type": {"code"}, "client_id": {c.ClientID}, "redirect_uri": {c.RedirectURI},
		"state": {f.State()}}
	if len(c.Scopes) > 0 {
		want["scope"] = []string{strings.Join(c.Scopes, " ")}
	}
	if c.Mode != "" {
		want["mode"] = []string{c.Mode}
	}
	if c.TeslaOnly {
		want["make"] = []string{"TESLA"}
	}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("query of %s = %v, want %v", f.URL(), q, want)
	}
}

func TestNewConnectFlowState(t *testing.T) {
	c := testConnectConfig()
	a, b := newTestFlow(t, c), newTestFlow(t, c)
	if a.State() == b.State() {
		t.Errorf("two flows have the same state %q", a.State())
	}
	for _, f := range []*Flow{a, b} {
		s := f.State()
		// 26 base32 characters carry 130 bits.
		if len(s) != 26 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Errorf("State() = %q, want 26 characters of A-Z and 2-7", s)
		}
	}
	if got := a.RedirectURI(); got != DefaultRedirectURI {
		t.Errorf("RedirectURI() = %s, want %s", got, DefaultRedirectURI)
	}
	if got, want := a.Deadline(), connectTestNow.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("Deadline() = %v, want %v", got, want)
	}
}

func TestNewConnectFlowErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no client id", func(c *Config) { c.ClientID = "" },
			"connect: no client id: set [connect] client_id or [smartcar] client_id"},
		{"blank client id", func(c *Config) { c.ClientID = " " },
			"connect: no client id: set [connect] client_id or [smartcar] client_id"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "connect: timeout 0s is not positive"},
		{"relative base", func(c *Config) { c.Base = "/oauth/authorize" },
			`connect: base "/oauth/authorize" is not an absolute URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConnectConfig()
			tt.edit(&c)
			f, err := NewFlow(c, connectTestNow)
			if err == nil || err.Error() != tt.want || f != nil {
				t.Errorf("NewFlow(%+v) = %v, %v; want nil, %s", c, f, err, tt.want)
			}
		})
	}
}

func TestConnectFlowAccept(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	ok := Redirect{UserID: "725146a3-69f4-46c8-965d-54b3b6f81eb7", State: f.State(), Code: "c0de"}
	withKey := ok
	withKey.VirtualKeyURL = smartcarKeyURL
	tests := []struct {
		name    string
		r       Redirect
		at      time.Time
		wantErr error
		wantMsg string
	}{
		{"wrong state", Redirect{UserID: "u", State: "NOTTHEFLOWS"}, connectTestNow, ErrState,
			"the redirect does not belong to this Connect flow: its state is another flow's; use the URL of the flow on screen"},
		{"no state", Redirect{UserID: "u"}, connectTestNow, ErrState,
			"the redirect does not belong to this Connect flow: it has no state"},
		{"expired, a nanosecond after the deadline", ok, f.Deadline().Add(time.Nanosecond), ErrExpired,
			"the Connect flow timed out: it was open for 10m0s; start a new one"},
		{"no user", Redirect{State: f.State(), Code: "c0de"}, connectTestNow, ErrNoUser,
			"the redirect has no user_id: Connect did not say which user granted access"},
		{"ok at exactly the deadline, with a key URL", withKey, f.Deadline(), nil, ""},
		{"reused state", ok, connectTestNow, ErrReused, "this Connect flow has already completed"},
		{"a denial after completion", Redirect{State: f.State(), Error: "access_denied"}, connectTestNow,
			ErrReused, "this Connect flow has already completed"},
		{"expiry comes first", Redirect{}, f.Deadline().Add(time.Nanosecond), ErrExpired,
			"the Connect flow timed out: it was open for 10m0s; start a new one"},
		{"a wrong state stays wrong after completion", Redirect{State: "X"}, connectTestNow, ErrState,
			"the redirect does not belong to this Connect flow: its state is another flow's; use the URL of the flow on screen"},
	}
	// The rows run in order on one flow: the refusals before the success must not complete it.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Accept(tt.r, tt.at)
			if tt.wantErr == nil {
				if err != nil || got != tt.r {
					t.Errorf("Accept(%+v) = %+v, %v; want it back, nil", tt.r, got, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || err.Error() != tt.wantMsg || got != (Redirect{}) {
				t.Errorf("Accept(%+v) = %+v, %q; want zero, %q (errors.Is %v)", tt.r, got, err, tt.wantMsg, tt.wantErr)
			}
		})
	}
}

// TestConnectFlowDenied: Connect's error redirect is the owner's answer: Accept returns it as a *DeniedError
// and completes the flow, which takes no redirect after it.
func TestConnectFlowDenied(t *testing.T) {
	tests := []struct {
		name, code, description, wantMsg string
	}{
		{"access denied", "access_denied", "User denied access to application.",
			"the owner declined access: User denied access to application."},
		{"access denied without a description", "access_denied", "", "the owner declined access"},
		{"vehicle incompatible", "vehicle_incompatible", "The vehicle is not compatible.",
			"the vehicle is not compatible with Smartcar (vehicle_incompatible): The vehicle is not compatible."},
		{"other error", "server_error", "", "the Connect flow ended with the error server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFlow(t, testConnectConfig())
			r := Redirect{State: f.State(), Error: tt.code, ErrorDescription: tt.description}
			got, err := f.Accept(r, connectTestNow)
			var de *DeniedError
			if !errors.As(err, &de) || *de != (DeniedError{Code: tt.code, Description: tt.description}) ||
				err.Error() != tt.wantMsg || got != (Redirect{}) || !Ends(err) {
				t.Errorf("Accept(%+v) = %+v, %#v; want zero, *DeniedError %q", r, got, err, tt.wantMsg)
			}
			ok := Redirect{UserID: "u", State: f.State()}
			if _, err := f.Accept(ok, connectTestNow); !errors.Is(err, ErrReused) {
				t.Errorf("Accept(%+v) after a denial = %v, want ErrReused: the denial completed the flow", ok, err)
			}
		})
	}
}

func TestEndsConnect(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"a denial", &DeniedError{Code: "access_denied"}, true},
		{"the deadline, wrapped", fmt.Errorf("listen: %w", ErrExpired), true},
		{"a stray's state", ErrState, false},
		{"no user", ErrNoUser, false},
		{"completed by the other path", ErrReused, false},
		{"a malformed redirect", errors.New("malformed redirect query"), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ends(tt.err); got != tt.want {
				t.Errorf("Ends(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestConnectFlowAcceptRace(t *testing.T) {
	f := newTestFlow(t, testConnectConfig())
	r := Redirect{UserID: "u", State: f.State()}
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = f.Accept(r, connectTestNow) })
	}
	wg.Wait()
	var ok, reused int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrReused):
			reused++
		}
	}
	if ok != 1 || reused != n-1 {
		t.Errorf("%d concurrent Accepts: %d ok, %d reused; want 1, %d", n, ok, reused, n-1)
	}
}
