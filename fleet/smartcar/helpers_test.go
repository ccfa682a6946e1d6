package smartcar

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID = "client_0c1d2e3f"
	testSecret   = "s3cret-7c1f-DO-NOT-LEAK"
)

// readSignals reads a vehicle's signals as the fleet does: Ready, then Signals.
func readSignals(c *Client, ctx context.Context, vehicleID, userID string) (Signals, error) {
	if err := c.Ready(ctx); err != nil {
		return Signals{}, err
	}
	return c.Signals(ctx, vehicleID, userID)
}

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// tokenValue is the n-th token the test server issues (1-based): distinctive, so tests can look for leaks.
func tokenValue(n int) string { return fmt.Sprintf("eyJ.tok-%d.LEAKCHECK", n) }

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: t0} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// testServer is a v3 API on httptest: POST /oauth2/token issues tokens (checking the form body), and everything under
// /v3/ goes to api. It counts requests.
type testServer struct {
	*httptest.Server
	mu        sync.Mutex
	tokenN    int    // token requests answered
	ttl       string // expires_in as raw JSON; "" omits it
	tokenHook func(w http.ResponseWriter, r *http.Request) bool
	apiN      int
	api       http.HandlerFunc
}

// newTestServer starts a server whose API answers with api, after applying opts (before it starts, so handlers
// read the fields without a race).
func newTestServer(t *testing.T, api http.HandlerFunc, opts ...func(*testServer)) *testServer {
	t.Helper()
	s := &testServer{ttl: "3600", api: api}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.token)
	mux.HandleFunc("/v3/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.apiN++
		s.mu.Unlock()
		s.api(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// token answers the token endpoint as documented: form body, client-credentials grant, 401 invalid_client on a bad
// secret.
func (s *testServer) token(w http.ResponseWriter, r *http.Request) {
	if s.tokenHook != nil && s.tokenHook(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"content type `+ct+`"}`)
		return
	}
	if r.PostFormValue("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request"}`)
		return
	}
	if r.PostFormValue("client_id") != testClientID || r.PostFormValue("client_secret") != testSecret {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
		return
	}
	s.mu.Lock()
	s.tokenN++
	n, ttl := s.tokenN, s.ttl
	s.mu.Unlock()
	body := `{"access_token":"` + tokenValue(n) + `","token_type":"Bearer"`
	if ttl != "" {
		body += `,"expires_in":` + ttl
	}
	writeJSON(w, http.StatusOK, body+"}")
}

// counts returns the number of token and API requests answered.
func (s *testServer) counts() (tokens, api int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenN, s.apiN
}

// client returns a client of s with a fixed clock, after applying mods to its config.
func (s *testServer) client(t *testing.T, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		ClientID:     testClientID,
		ClientSecret: testSecret,
		APIBase:      s.URL + "/v3",
		TokenURL:     s.URL + "/oauth2/token",
		HTTP:         s.Client(),
		Now:          func() time.Time { return t0 },
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(...) = %v, want nil", err)
	}
	return c
}

// writeJSON writes body with status.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// jsonAPIError returns a v3 errors[] body with one item.
func jsonAPIError(status int, typ, code, detail string) string {
	item := map[string]any{
		"status": fmt.Sprint(status), "type": typ, "code": code, "title": http.StatusText(status), "detail": detail,
		"links": map[string]string{"about": "https://smartcar.com/docs/errors/api-errors/v3"},
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{item}})
	return string(b)
}

// bearer returns the token of r's Authorization header, or "".
func bearer(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return tok
}

// assertNoSecrets fails if err's text holds the client secret or any token the test server may have issued.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.Contains(msg, testSecret) {
		t.Errorf("error %q contains the client secret", msg)
	}
	if strings.Contains(msg, "LEAKCHECK") {
		t.Errorf("error %q contains a bearer token", msg)
	}
}
