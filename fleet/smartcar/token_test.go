package smartcar

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestTokenRenewal(t *testing.T) {
	tests := []struct {
		name, ttl string
		renew     time.Duration // after t0
	}{
		{"one hour renews 5 minutes before expiry", "3600", 55 * time.Minute},
		{"11 minutes renews 5 minutes before expiry", "660", 6 * time.Minute},
		{"10 minutes renews at half-life", "600", 5 * time.Minute},
		{"5 minutes renews at half-life", "300", 150 * time.Second},
		{"expires_in as a string", `"3600"`, 55 * time.Minute},
		{"no expires_in assumes one hour", "", 55 * time.Minute},
		{"zero expires_in assumes one hour", "0", 55 * time.Minute},
		{"null expires_in assumes one hour", "null", 55 * time.Minute},
		{"absurd expires_in is capped at 24 hours", "1e300", 24*time.Hour - 5*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, nil, func(s *testServer) { s.ttl = tt.ttl })
			clock := newTestClock()
			c := srv.client(t, func(cfg *Config) { cfg.Now = clock.Now })
			steps := []struct {
				at       time.Duration
				want     string
				requests int
			}{
				{0, tokenValue(1), 1},
				{tt.renew - time.Nanosecond, tokenValue(1), 1},
				{tt.renew, tokenValue(2), 2},
				{tt.renew + 1, tokenValue(2), 2},
			}
			for _, st := range steps {
				clock.Set(t0.Add(st.at))
				got, err := c.token(context.Background())
				if err != nil || got != st.want {
					t.Fatalf("token() at t0+%v = %q, %v, want %q", st.at, got, err, st.want)
				}
				if n, _ := srv.counts(); n != st.requests {
					t.Fatalf("token requests by t0+%v = %d, want %d", st.at, n, st.requests)
				}
			}
		})
	}
}

func TestTokenRequestForm(t *testing.T) {
	reqs := make(chan *http.Request, 1)
	srv := newTestServer(t, nil, func(s *testServer) {
		s.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
			_ = r.ParseForm()
			reqs <- r
			return false
		}
	})
	c := srv.client(t)
	if _, err := c.token(context.Background()); err != nil {
		t.Fatalf("token() = %v, want nil", err)
	}
	got := <-reqs
	want := map[string]string{"grant_type": "client_credentials", "client_id": testClientID, "client_secret": testSecret}
	if len(got.PostForm) != len(want) {
		t.Errorf("token form = %v, want exactly %v", got.PostForm, want)
	}
	for k, v := range want {
		if got.PostForm.Get(k) != v {
			t.Errorf("token form %s = %q, want %q", k, got.PostForm.Get(k), v)
		}
	}
	if got.Header.Get("Authorization") != "" || got.URL.RawQuery != "" {
		t.Errorf("token request has Authorization %q, query %q; want the credentials in the form body only",
			got.Header.Get("Authorization"), got.URL.RawQuery)
	}
}

// blockedTokenServer returns a server whose token endpoint signals arrived, then answers only once release is closed.
func blockedTokenServer(t *testing.T) (srv *testServer, arrived chan struct{}, release func()) {
	arrived = make(chan struct{}, 1)
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release) // so a failing test does not leave the handler blocked and the server hanging on Close
	srv = newTestServer(t, nil, func(s *testServer) {
		s.tokenHook = func(http.ResponseWriter, *http.Request) bool {
			select { // only the first arrival is signalled; more would be a failure the test reports, not a hang
			case arrived <- struct{}{}:
			default:
			}
			<-gate
			return false
		}
	})
	return srv, arrived, release
}

func TestTokenSingleFlight(t *testing.T) {
	srv, arrived, release := blockedTokenServer(t)
	c := srv.client(t)
	const callers = 20
	waiting := make(chan struct{}, callers)
	c.tok.onWait = func() { waiting <- struct{}{} }
	type result struct {
		tok string
		err error
	}
	results := make(chan result, callers)
	for range callers {
		go func() {
			tok, err := c.token(context.Background())
			results <- result{tok, err}
		}()
	}
	for range callers {
		<-waiting
	}
	<-arrived
	release()
	for range callers {
		if r := <-results; r.err != nil || r.tok != tokenValue(1) {
			t.Errorf("token() = %q, %v, want %q", r.tok, r.err, tokenValue(1))
		}
	}
	if n, _ := srv.counts(); n != 1 {
		t.Errorf("token requests for %d concurrent callers = %d, want 1", callers, n)
	}
}

func TestTokenWaitRespectsContext(t *testing.T) {
	srv, arrived, release := blockedTokenServer(t)
	c := srv.client(t)
	waiting := make(chan struct{}, 2)
	c.tok.onWait = func() { waiting <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.token(ctx)
		errc <- err
	}()
	<-waiting
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("token() with its context cancelled = %v, want context.Canceled", err)
	}
	// The request goes on for the callers still waiting: a second caller joins it and gets its token.
	tokc := make(chan string, 1)
	go func() {
		tok, _ := c.token(context.Background())
		tokc <- tok
	}()
	<-waiting
	release()
	if got := <-tokc; got != tokenValue(1) {
		t.Errorf("token() of the second caller = %q, want %q", got, tokenValue(1))
	}
	if n, _ := srv.counts(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    string // Retry-After
		wantIs    error
		wantRetry time.Duration
	}{
		{"invalid_client", 401, `{"error":"invalid_client"}`, "", ErrTokenRefused, 0},
		{"invalid_request", 400, `{"error":"invalid_request","error_description":"no grant_type"}`, "", ErrTokenRefused, 0},
		{"invalid_client echoing the secret", 401, `{"error":"invalid_client","error_description":"bad ` + testSecret + `"}`,
			"", ErrTokenRefused, 0},
		{"server error, not JSON", 500, `<html>oops</html>`, "", ErrServer, 0},
		{"rate limited", 429, `{"error":"slow_down"}`, "10", ErrRateLimitApp, 10 * time.Second},
		{"200 without access_token", 200, `{"token_type":"Bearer","expires_in":3600}`, "", ErrServer, 0},
		{"200 not JSON", 200, `access_token=x`, "", ErrServer, 0},
		{"200 access_token of the wrong type", 200, `{"access_token":42}`, "", ErrServer, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, nil, func(s *testServer) {
				s.tokenHook = func(w http.ResponseWriter, _ *http.Request) bool {
					if tt.header != "" {
						w.Header().Set("Retry-After", tt.header)
					}
					writeJSON(w, tt.status, tt.body)
					return true
				}
			})
			_, err := srv.client(t).Connections(context.Background(), ConnectionFilter{})
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Connections() = %v, want %v", err, tt.wantIs)
			}
			assertNoSecrets(t, err)
			var te *TokenError
			if tt.status != 200 && (!errors.As(err, &te) || te.HTTPStatus != tt.status || te.RetryAfter != tt.wantRetry) {
				t.Errorf("Connections() = %#v, want a *TokenError with status %d, RetryAfter %v", te, tt.status, tt.wantRetry)
			}
			if _, api := srv.counts(); api != 0 {
				t.Errorf("API requests without a token = %d, want 0", api)
			}
		})
	}
}

func TestTokenRefusedForWrongSecret(t *testing.T) {
	srv := newTestServer(t, nil)
	const wrong = "wrong-secret-LEAKCHECK"
	c := srv.client(t, func(cfg *Config) { cfg.ClientSecret = wrong })
	_, err := readSignals(c, context.Background(), "vehicle-1", "user-1")
	if !errors.Is(err, ErrTokenRefused) {
		t.Fatalf("Signals() with a wrong secret = %v, want ErrTokenRefused", err)
	}
	assertNoSecrets(t, err)
}
