package fakeserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// clock is a test clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// env is a started fake with a test clock and a valid token.
type env struct {
	t              *testing.T
	s              *Server
	clk            *clock
	base, tokenURL string
	token          string
}

const (
	testClient = "client_test"
	testSecret = "s3cret"
)

func newEnv(t *testing.T, opts Options, cars ...Car) *env {
	t.Helper()
	clk := newClock()
	opts.Clock = clk.Now
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 10 * 365 * 24 * time.Hour // tests that move the clock far keep their token
	}
	if opts.ClientID == "" {
		opts.ClientID, opts.Secrets = testClient, []string{testSecret}
	}
	s := New(opts, cars...)
	base, tokenURL := s.Start()
	t.Cleanup(s.Close)
	e := &env{t: t, s: s, clk: clk, base: base, tokenURL: tokenURL}
	r := e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient},
		"client_secret": {testSecret}}.Encode(), "application/x-www-form-urlencoded", nil)
	if r.status != http.StatusOK {
		t.Fatalf("token request = %d %v, want 200", r.status, r.body)
	}
	e.token = r.body["access_token"].(string)
	return e
}

// response is an answer decoded as a JSON object (nil body when there is none).
type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body of %s %s: %v", req.Method, req.URL, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: body %q is not a JSON object: %v", req.Method, req.URL, raw, err)
		}
	}
	return r
}

// call sends method to base+path with the env's token and the header pairs given ("sc-user-id", "u1", ...).
func (e *env) call(method, path string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) get(path string, header ...string) response {
	e.t.Helper()
	return e.call(http.MethodGet, path, header...)
}

// read is one signals read of vehicle id as user.
func (e *env) read(id, user string) response {
	e.t.Helper()
	return e.get("/vehicles/"+id+"/signals", "sc-user-id", user)
}

func (e *env) postToken(body, contentType string, basic []string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.tokenURL, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return e.do(req)
}

// at walks a decoded JSON value by object keys and array indexes; ok is false when the path does not exist.
func at(v any, path ...any) (any, bool) {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			v = a[k]
		}
	}
	return v, true
}

// mustAt is at, failing the test when the path is missing.
func mustAt(t *testing.T, v any, path ...any) any {
	t.Helper()
	got, ok := at(v, path...)
	if !ok {
		t.Fatalf("JSON path %v missing in %v", path, v)
	}
	return got
}

// kind names a decoded JSON value's type as the shape tables write it.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// field is a path in a JSON body and the kind expected there.
type field struct {
	path []any
	kind string
}

func f(kind string, path ...any) field { return field{path: path, kind: kind} }

// checkShape fails for every field missing from body or of another kind.
func checkShape(t *testing.T, body any, fields []field) {
	t.Helper()
	for _, fl := range fields {
		v, ok := at(body, fl.path...)
		if !ok {
			t.Errorf("field %v missing", fl.path)
			continue
		}
		if k := kind(v); k != fl.kind {
			t.Errorf("field %v = %v (%s), want a %s", fl.path, v, k, fl.kind)
		}
	}
}

// errorShape is the JSON:API error body every v3 error has.
var errorShape = []field{
	f("string", "errors", 0, "status"), f("string", "errors", 0, "type"), f("string", "errors", 0, "title"),
	f("string", "errors", 0, "detail"), f("string", "errors", 0, "links", "about"),
	f("string", "errors", 0, "suggestedUserMessage"),
}

// wantError checks an error answer's status, shape, type and code.
func wantError(t *testing.T, r response, status int, typ, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d (body %v), want %d", r.status, r.body, status)
	}
	checkShape(t, r.body, errorShape)
	if got := mustAt(t, r.body, "errors", 0, "status"); got != fmt.Sprint(status) {
		t.Errorf("errors[0].status = %v, want %q", got, fmt.Sprint(status))
	}
	gotType, gotCode := mustAt(t, r.body, "errors", 0, "type"), mustAt(t, r.body, "errors", 0, "code")
	var wantCode any = code
	if code == "" {
		wantCode = nil
	}
	if gotType != typ || gotCode != wantCode {
		t.Errorf("error = %v:%v, want %s:%v", gotType, gotCode, typ, wantCode)
	}
	if r.header.Get("sc-request-id") == "" {
		t.Error("sc-request-id header missing")
	}
}

func ptr[T any](v T) *T { return &v }

// Cars of every badge, all owned by user "u1" unless changed.
func legacyCar(id string) Car {
	return Car{VehicleID: id, UserID: "u1", Make: "Tesla", Model: "Model S", Year: 2020, KeyPaired: ptr(false)}
}

func keyedCar(id string) Car {
	return Car{VehicleID: id, UserID: "u1", Make: "Tesla", Model: "Model 3", Year: 2023, KeyPaired: ptr(true)}
}

func keylessCar(id string) Car {
	return Car{VehicleID: id, UserID: "u1", Make: "Tesla", Model: "Model Y", Year: 2024, KeyPaired: ptr(false)}
}
