package fakeserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// form is the content type of a form body.
const form = "application/x-www-form-urlencoded"

// tokenCases are token requests in every accepted form and every refused one.
var tokenCases = []struct {
	name, body, contentType string
	basic                   []string
	wantStatus              int
	wantError               string
}{
	{"form", "grant_type=client_credentials&client_id=client_test&client_secret=s3cret", form, nil, 200, ""},
	{"form with charset", "grant_type=client_credentials&client_id=client_test&client_secret=s3cret",
		form + "; charset=utf-8", nil, 200, ""},
	{"json", `{"grant_type":"client_credentials","client_id":"client_test","client_secret":"s3cret"}`,
		"application/json", nil, 200, ""},
	{"basic with form grant", "grant_type=client_credentials", form, []string{testClient, testSecret}, 200, ""},
	{"basic with json grant", `{"grant_type":"client_credentials"}`, "application/json",
		[]string{testClient, testSecret}, 200, ""},
	{"second secret", "grant_type=client_credentials&client_id=client_test&client_secret=two", form, nil, 200, ""},
	{"third secret", "grant_type=client_credentials&client_id=client_test&client_secret=t%2B3%2F%3D", form, nil,
		200, ""},
	{"basic special secret as is", "grant_type=client_credentials", form, []string{testClient, "t+3/="}, 200, ""},
	{"basic special secret encoded", "grant_type=client_credentials", form, []string{testClient, "t%2B3%2F%3D"},
		200, ""},
	{"fourth secret ignored", "grant_type=client_credentials&client_id=client_test&client_secret=four", form, nil,
		401, "invalid_client"},
	{"wrong secret", "grant_type=client_credentials&client_id=client_test&client_secret=nope", form, nil, 401,
		"invalid_client"},
	{"wrong client id", "grant_type=client_credentials&client_id=client_x&client_secret=s3cret", form, nil, 401,
		"invalid_client"},
	{"basic wrong secret", "grant_type=client_credentials", form, []string{testClient, "nope"}, 401,
		"invalid_client"},
	{"no grant_type", "client_id=client_test&client_secret=s3cret", form, nil, 400, "invalid_request"},
	{"other grant_type", "grant_type=authorization_code&client_id=client_test&client_secret=s3cret", form, nil,
		400, "invalid_request"},
	{"no secret", "grant_type=client_credentials&client_id=client_test", form, nil, 400, "invalid_request"},
	{"basic and body secret", "grant_type=client_credentials&client_secret=s3cret", form,
		[]string{testClient, testSecret}, 400, "invalid_request"},
	{"malformed json", `{"grant_type":`, "application/json", nil, 400, "invalid_request"},
	{"json of wrong type", `{"grant_type":1}`, "application/json", nil, 400, "invalid_request"},
	{"unsupported content type", "grant_type=client_credentials", "text/plain", nil, 400, "invalid_request"},
	{"empty body", "", "", nil, 400, "invalid_request"},
}

func TestTokenForms(t *testing.T) {
	e := newEnv(t, Options{ClientID: testClient, Secrets: []string{testSecret, "two", "t+3/=", "four"},
		TokenTTL: 90 * time.Minute})
	for _, tt := range tokenCases {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.postToken(tt.body, tt.contentType, tt.basic)
			if r.status != tt.wantStatus {
				t.Fatalf("POST token = %d %v, want %d", r.status, r.body, tt.wantStatus)
			}
			if r.header.Get("sc-request-id") == "" {
				t.Error("sc-request-id header missing")
			}
			if tt.wantError != "" {
				if got := r.body["error"]; got != tt.wantError {
					t.Errorf("error = %v, want %q", got, tt.wantError)
				}
				return
			}
			checkShape(t, r.body, []field{f("string", "access_token"), f("string", "token_type"),
				f("number", "expires_in")})
			if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(5400) {
				t.Errorf("token = %v, want Bearer expiring in 5400", r.body)
			}
			if _, hasRefresh := r.body["refresh_token"]; hasRefresh {
				t.Error("token answer has a refresh_token; v3 gives none")
			}
			if parts := strings.Split(r.body["access_token"].(string), "."); len(parts) != 3 {
				t.Errorf("access_token has %d dot-separated parts, want 3 (JWT)", len(parts))
			}
		})
	}
}

func TestTokenMethod(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, e.tokenURL, nil)
	if r := e.do(req); r.status != http.StatusMethodNotAllowed || r.body["error"] != "invalid_request" {
		t.Errorf("GET token = %d %v, want 405 invalid_request", r.status, r.body)
	}
	if got := e.s.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests() = %d, want 2 (setup and GET)", got)
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Hour}, keyedCar("v1"))
	tests := []struct {
		name   string
		at     time.Duration
		status int
	}{
		{"fresh", 0, 200},
		{"1ns before expiry", time.Hour - 1, 200},
		{"at expiry", time.Hour, 401},
		{"after expiry", 2 * time.Hour, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.clk.Set(t0.Add(tt.at))
			r := e.get("/connections")
			if tt.status == 401 {
				wantError(t, r, 401, "AUTHENTICATION", "")
				return
			}
			if r.status != tt.status {
				t.Errorf("GET /connections at +%v = %d, want %d", tt.at, r.status, tt.status)
			}
		})
	}
}

func TestBearerRequired(t *testing.T) {
	e := newEnv(t, Options{}, keyedCar("v1"))
	tests := []struct{ name, auth, path string }{
		{"no header", "", "/connections"},
		{"unknown token", "Bearer nope", "/connections"},
		{"basic scheme", "Basic " + e.token, "/connections"},
		{"signals", "", "/vehicles/v1/signals"},
		{"vehicle", "", "/vehicles/v1"},
		{"unknown route", "", "/nowhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			req, _ := http.NewRequest(http.MethodGet, e.base+tt.path, nil)
			req.Header.Set("sc-user-id", "u1")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			wantError(t, e.do(req), 401, "AUTHENTICATION", "")
		})
	}
	if got := e.s.ReadCount("v1"); got != 0 {
		t.Errorf("ReadCount(v1) = %d after refused requests, want 0", got)
	}
}

func TestRevokeAndRotate(t *testing.T) {
	e := newEnv(t, Options{}, keyedCar("v1"))
	e.s.RevokeTokens()
	wantError(t, e.get("/connections"), 401, "AUTHENTICATION", "")
	e.s.SetSecrets("new")
	old := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}}
	if r := e.postToken(old.Encode(), "application/x-www-form-urlencoded", nil); r.status != 401 {
		t.Errorf("token with rotated-out secret = %d, want 401", r.status)
	}
	r := e.postToken("grant_type=client_credentials", "application/x-www-form-urlencoded", []string{testClient, "new"})
	if r.status != 200 {
		t.Fatalf("token with new secret = %d %v, want 200", r.status, r.body)
	}
	e.token = r.body["access_token"].(string)
	if r := e.get("/connections"); r.status != 200 {
		t.Errorf("GET /connections with new token = %d, want 200", r.status)
	}
}

func TestTokenDefaults(t *testing.T) {
	srv := httptest.NewServer(New(Options{}).Handler())
	defer srv.Close()
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"client_fake"},
		"client_secret": {"fake-secret"}}
	resp, err := http.PostForm(srv.URL+"/oauth2/token", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || got["expires_in"] != 3600.0 {
		t.Errorf("default token = %d %v, want 200 expiring in 3600", resp.StatusCode, got)
	}
}
