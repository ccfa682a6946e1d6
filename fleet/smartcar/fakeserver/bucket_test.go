package fakeserver

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestBucketExhaustionAndRefill(t *testing.T) {
	e := newEnv(t, Options{BucketSize: 3, RefillPerMinute: 2}, legacyCar("v1"))
	type step struct {
		advance    time.Duration
		path       string
		status     int
		retryAfter string
	}
	steps := []step{
		{0, "/connections", 200, ""},
		{0, "/vehicles/v1", 200, ""},
		{0, "/vehicles/v1/signals", 200, ""},
		{0, "/connections", 429, "30"},
		{0, "/vehicles/v1/signals", 429, "30"},
		{10 * time.Second, "/connections", 429, "20"},
		{20*time.Second - 1, "/connections", 429, "1"},
		{1, "/connections", 200, ""},
		{0, "/connections", 429, "30"},
		{time.Hour, "/connections", 200, ""}, // refilled, but never above the size
		{0, "/connections", 200, ""},
		{0, "/connections", 200, ""},
		{0, "/connections", 429, "30"},
	}
	var got, want []string
	for i, s := range steps {
		e.clk.Advance(s.advance)
		r := e.get(s.path, "sc-user-id", "u1")
		got = append(got, r.header.Get("Retry-After"))
		want = append(want, s.retryAfter)
		if r.status != s.status {
			t.Fatalf("step %d: GET %s = %d %v, want %d", i, s.path, r.status, r.body, s.status)
		}
		if s.status == 429 {
			wantError(t, r, 429, "RATE_LIMIT", "SMARTCAR_API")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Retry-After headers = %q, want %q", got, want)
	}
	if got := e.s.BucketRejections(); got != 6 {
		t.Errorf("BucketRejections() = %d, want 6", got)
	}
	if got := e.s.ReadCount("v1"); got != 1 {
		t.Errorf("ReadCount(v1) = %d, want 1 (a read refused by the bucket did not reach the car)", got)
	}
	if got := e.s.Requests("/v3/vehicles/v1/signals"); got != 2 {
		t.Errorf("Requests(signals) = %d, want 2", got)
	}
}

func TestBucketSparesTokenAndRefusedRequests(t *testing.T) {
	e := newEnv(t, Options{BucketSize: 1}, legacyCar("v1"))
	good := e.token
	e.token = "wrong"
	for range 3 {
		wantError(t, e.get("/connections"), 401, "AUTHENTICATION", "")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient},
		"client_secret": {testSecret}}.Encode()
	for range 3 {
		if r := e.postToken(form, "application/x-www-form-urlencoded", nil); r.status != http.StatusOK {
			t.Fatalf("token = %d, want 200", r.status)
		}
	}
	e.token = good
	if r := e.get("/connections"); r.status != 200 {
		t.Errorf("first v3 request = %d, want 200 (neither 401s nor token requests spend the bucket)", r.status)
	}
	wantError(t, e.get("/connections"), 429, "RATE_LIMIT", "SMARTCAR_API")
	if got := e.s.TokenRequests(); got != 4 {
		t.Errorf("TokenRequests() = %d, want 4", got)
	}
	if got := e.s.Requests("/v3/"); got != 5 {
		t.Errorf(`Requests("/v3/") = %d, want 5`, got)
	}
	if got := e.s.Requests(""); got != 9 {
		t.Errorf(`Requests("") = %d, want 9`, got)
	}
}
