package smartcar

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// sentinels is every sentinel of the package, so each error kind is checked against all of them.
var sentinels = []error{ErrRateLimitVehicle, ErrRateLimitApp, ErrAsleep, ErrBilling, ErrValidation, ErrAuthentication,
	ErrVirtualKeyRequired, ErrServer, ErrTokenRefused, ErrNetwork, ErrBodyTooLarge}

// upstreamExample is the documented 502 body, verbatim.
const upstreamExample = `{"errors":[{"status":"502","type":"UPSTREAM","code":"INVALID_DATA","title":"Bad Gateway",
  "detail":"Smartcar received invalid data from an upstream source. Please retry your request at a later time.",
  "links":{"about":"https://smartcar.com/docs/errors/api-errors/upstream-errors#invalid-data"},
  "resolution":{"type":"RETRY_LATER"},
  "suggestedUserMessage":"Your car is temporarily unable to connect to <app name>."}]}`

const virtualKeyExample = `{"errors":[{"status":"400","type":"CONNECTED_SERVICES_ACCOUNT","code":"VIRTUAL_KEY_REQUIRED",
  "title":"Bad Request","detail":"The vehicle owner needs to grant additional access to Smartcar in order to perform this request.",
  "resolution":{"type":"ACTION_REQUIRED","url":"https://www.tesla.com/_ak/smartcar.com"}}]}`

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		header map[string]string
		wantIs []error
		want   string // APIError.Error()
		check  func(e *APIError) bool
	}{
		{"vehicle rate limit, Retry-After seconds", 429, jsonAPIError(429, "RATE_LIMIT", "VEHICLE", "Too many requests for this vehicle"),
			map[string]string{"Retry-After": "30", "SC-Request-Id": "req-1"}, []error{ErrRateLimitVehicle},
			"smartcar 429 RATE_LIMIT:VEHICLE: Too many requests for this vehicle (request req-1)",
			func(e *APIError) bool { return e.RetryAfter == 30*time.Second && e.RequestID == "req-1" }},
		{"app rate limit, Retry-After HTTP date", 429, jsonAPIError(429, "RATE_LIMIT", "SMARTCAR_API", "App limit"),
			map[string]string{"Retry-After": t0.Add(2 * time.Minute).Format(http.TimeFormat), "X-Request-Id": "req-2"},
			[]error{ErrRateLimitApp}, "smartcar 429 RATE_LIMIT:SMARTCAR_API: App limit (request req-2)",
			func(e *APIError) bool { return e.RetryAfter == 2*time.Minute }},
		{"asleep", 409, jsonAPIError(409, "VEHICLE_STATE", "ASLEEP", "The vehicle is asleep"), nil, []error{ErrAsleep},
			"smartcar 409 VEHICLE_STATE:ASLEEP: The vehicle is asleep", nil},
		{"billing", 430, jsonAPIError(430, "BILLING", "VEHICLE_REQUEST_LIMIT", "Monthly limit reached"), nil,
			[]error{ErrBilling}, "smartcar 430 BILLING:VEHICLE_REQUEST_LIMIT: Monthly limit reached", nil},
		{"validation", 400, jsonAPIError(400, "VALIDATION", "MISSING_PARAMETER", "missing userId"), nil,
			[]error{ErrValidation}, "smartcar 400 VALIDATION:MISSING_PARAMETER: missing userId", nil},
		{"virtual key required", 400, virtualKeyExample, nil, []error{ErrVirtualKeyRequired},
			"smartcar 400 CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED: The vehicle owner needs to grant additional " +
				"access to Smartcar in order to perform this request.",
			func(e *APIError) bool {
				return e.ResolutionType == "ACTION_REQUIRED" && e.ResolutionURL == "https://www.tesla.com/_ak/smartcar.com"
			}},
		{"upstream, the documented example", 502, upstreamExample, nil, []error{ErrServer},
			"smartcar 502 UPSTREAM:INVALID_DATA: Smartcar received invalid data from an upstream source. " +
				"Please retry your request at a later time.",
			func(e *APIError) bool {
				return e.Status == "502" && e.Title == "Bad Gateway" && e.ResolutionType == "RETRY_LATER" &&
					e.About == "https://smartcar.com/docs/errors/api-errors/upstream-errors#invalid-data" &&
					strings.HasPrefix(e.SuggestedUserMessage, "Your car is temporarily")
			}},
		{"server", 500, jsonAPIError(500, "SERVER", "INTERNAL", ""), nil, []error{ErrServer},
			"smartcar 500 SERVER:INTERNAL: Internal Server Error", nil},
		{"non-JSON body", 503, "<html>Service Unavailable</html>", nil, []error{ErrServer},
			"smartcar 503: error body is not a JSON:API error", nil},
		{"empty body", 502, "", nil, []error{ErrServer}, "smartcar 502: empty error body", nil},
		{"errors not an array", 500, `{"errors":"boom"}`, nil, []error{ErrServer},
			"smartcar 500: error body is not a JSON:API error", nil},
		{"older lower-case not_found", 404, `{"errors":[{"code":"not_found"}]}`, nil, nil,
			"smartcar 404 not_found: Not Found", nil},
		{"older lower-case bad_request", 400, `{"errors":[{"code":"bad_request"}]}`, nil, []error{ErrValidation},
			"smartcar 400 bad_request: Bad Request", nil},
		{"older lower-case internal_error", 500, `{"errors":[{"code":"internal_error"}]}`, nil, []error{ErrServer},
			"smartcar 500 internal_error: Internal Server Error", nil},
		{"compatibility is not a server failure", 501, jsonAPIError(501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE", "No"),
			nil, nil, "smartcar 501 COMPATIBILITY:VEHICLE_NOT_CAPABLE: No", nil},
		{"permission", 403, jsonAPIError(403, "PERMISSION", "INSUFFICIENT", "Missing read_battery"), nil, nil,
			"smartcar 403 PERMISSION:INSUFFICIENT: Missing read_battery", nil},
		{"status as a number", 429, `{"errors":[{"status":429,"type":"RATE_LIMIT","code":"VEHICLE"}]}`, nil,
			[]error{ErrRateLimitVehicle}, "smartcar 429 RATE_LIMIT:VEHICLE: Too Many Requests", nil},
		{"flat v2 body", 429, `{"type":"RATE_LIMIT","code":"VEHICLE","statusCode":429,"description":"Slow down"}`,
			nil, []error{ErrRateLimitVehicle}, "smartcar 429 RATE_LIMIT:VEHICLE: Slow down", nil},
		{"first of two items", 409, `{"errors":[{"status":"409","type":"VEHICLE_STATE","code":"ASLEEP","detail":"zz"},
			{"status":"430","type":"BILLING","code":"VEHICLE_REQUEST_LIMIT"}]}`, nil,
			[]error{ErrAsleep}, "smartcar 409 VEHICLE_STATE:ASLEEP: zz", nil},
		{"control characters cleaned", 400, jsonAPIError(400, "VALIDATION", "BAD_REQUEST", "line1\nline2\x1b[31m"),
			nil, []error{ErrValidation}, "smartcar 400 VALIDATION:BAD_REQUEST: line1 line2 [31m", nil},
		{"401 twice", 401, jsonAPIError(401, "AUTHENTICATION", "INVALID_TOKEN", "expired"), nil,
			[]error{ErrAuthentication}, "smartcar 401 AUTHENTICATION:INVALID_TOKEN: expired", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, tt.body)
			})
			_, err := readSignals(srv.client(t), context.Background(), "vehicle-1", "user-1")
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), slices.Contains(tt.wantIs, s); got != want {
					t.Errorf("errors.Is(%v, %v) = %t, want %t", err, s, got, want)
				}
			}
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("Signals() = %v, want an *APIError", err)
			}
			if e.Error() != tt.want || e.HTTPStatus != tt.status {
				t.Errorf("APIError = %q (HTTP %d), want %q (HTTP %d)", e.Error(), e.HTTPStatus, tt.want, tt.status)
			}
			if tt.check != nil && !tt.check(e) {
				t.Errorf("APIError = %+v, want other fields", e)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestErrorsNeverLeakSecrets(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		leak := "secret " + testSecret + " token " + bearer(r)
		w.Header().Set("Sc-Request-Id", leak)
		body := `{"errors":[{"status":"429","type":"RATE_LIMIT","code":"VEHICLE","title":"` + leak + `","detail":"` +
			leak + `","suggestedUserMessage":"` + leak + `","resolution":{"type":"X","url":"https://x/` + leak + `"}}]}`
		writeJSON(w, 429, body)
	})
	_, err := readSignals(srv.client(t), context.Background(), "vehicle-1", "user-1")
	assertNoSecrets(t, err)
	var e *APIError
	if !errors.As(err, &e) || !strings.Contains(e.Detail, "[redacted]") {
		t.Fatalf("Signals() = %v, want an *APIError with the secret and token redacted", err)
	}
	for _, f := range []string{e.Title, e.Detail, e.SuggestedUserMessage, e.ResolutionURL, e.RequestID} {
		if strings.Contains(f, testSecret) || strings.Contains(f, "LEAKCHECK") {
			t.Errorf("APIError field %q holds a secret", f)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "30", 30 * time.Second},
		{"seconds with spaces", " 5 ", 5 * time.Second},
		{"zero", "0", 0},
		{"negative", "-1", 0},
		{"not a number or date", "soon", 0},
		{"fractional seconds round up", "1.5", 1500 * time.Millisecond},
		{"a decimal exponent is a long hold", "1e9", maxRetryAfter},
		{"infinity is a long hold", "Inf", maxRetryAfter},
		{"NaN is not a wait", "NaN", 0},
		{"a small exponent", "1.2e2", 120 * time.Second},
		{"HTTP date ahead", t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"HTTP date past", t0.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"HTTP date far ahead is capped", t0.AddDate(5, 0, 0).Format(http.TimeFormat), maxRetryAfter},
		{"huge seconds are capped", "99999999999999999", maxRetryAfter},
		{"seconds beyond int64 are capped, never shortened", "999999999999999999999", maxRetryAfter},
		{"seconds far beyond float64 are capped", strings.Repeat("9", 400), maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.value, t0); got != tt.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{ClientID: testClientID, ClientSecret: testSecret}
	tests := []struct {
		name string
		mod  func(*Config)
		want []string // substrings of the error; none: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"imperial", func(c *Config) { c.UnitSystem = Imperial }, nil},
		{"no client id", func(c *Config) { c.ClientID = " " }, []string{"client_id is empty"}},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, []string{"client secret is empty", "client_secret_env"}},
		{"both missing", func(c *Config) { c.ClientID, c.ClientSecret = "", "" },
			[]string{"client_id is empty", "client secret is empty"}},
		{"relative api_base", func(c *Config) { c.APIBase = "/v3" }, []string{"api_base", "absolute"}},
		{"token_url not http", func(c *Config) { c.TokenURL = "ftp://iam.smartcar.com/x" }, []string{"token_url"}},
		{"token_url with a password is redacted", func(c *Config) { c.TokenURL = "ftp://u:" + testSecret + "@h/x" },
			[]string{"token_url", "xxxxx"}},
		{"api_base with a query", func(c *Config) { c.APIBase = "https://h/v3?x=1" }, []string{"api_base", "query"}},
		{"unit system", func(c *Config) { c.UnitSystem = "SI" }, []string{`unit_system "SI"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := New(cfg)
			if (err == nil) != (len(tt.want) == 0) {
				t.Fatalf("New(%s) = %v, want errors %q", tt.name, err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New(%s) = %q, want it to contain %q", tt.name, err, w)
				}
			}
			assertNoSecrets(t, err)
		})
	}
}
