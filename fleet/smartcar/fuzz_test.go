package smartcar

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fuzzClient is a client for calling the decoders directly; it sends nothing.
func fuzzClient(f *testing.F) *Client {
	c, err := New(Config{ClientID: testClientID, ClientSecret: testSecret, Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatalf("New(...) = %v, want nil", err)
	}
	return c
}

func FuzzDecodeErrors(f *testing.F) {
	seeds := []struct {
		status      int
		body, retry string
	}{
		{502, upstreamExample, ""},
		{400, virtualKeyExample, ""},
		{429, jsonAPIError(429, "RATE_LIMIT", "VEHICLE", "x"), "30"},
		{429, `{"errors":[{"status":429,"type":"RATE_LIMIT","code":"SMARTCAR_API"}]}`, "Fri, 20 Nov 2026 12:02:00 GMT"},
		{404, `{"errors":[{"code":"not_found"}]}`, ""},
		{500, `{"errors":null}`, ""},
		{500, `{"errors":[null,1,"x",{}]}`, ""},
		{500, `{"errors":[{"status":1e400,"type":7,"code":null,"resolution":"x","links":[]}]}`, "-1"},
		{430, `{"type":"BILLING","code":"VEHICLE_REQUEST_LIMIT","statusCode":"430"}`, "99999999999999999999"},
		{401, `{"error":"invalid_client","error_description":"` + testSecret + `"}`, ""},
		{503, `<html>`, ""},
		{0, ``, ""},
		{-1, `[]`, ""},
		{200, `{"errors":[{"detail":"\u0000\u001b[2J` + strings.Repeat("é", 600) + `"}]}`, ""},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.retry)
	}
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, status int, body []byte, retry string) {
		a := answer{status: status, header: http.Header{"Retry-After": {retry}}, body: body}
		e := c.apiError(a)
		if e == nil || e.HTTPStatus != status || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("apiError(%d, %q) = %+v, want an error with that status and a sane RetryAfter", status, body, e)
		}
		te := c.tokenError(a)
		for _, msg := range []string{e.Error(), te.Error()} {
			if strings.Contains(msg, testSecret) {
				t.Errorf("error %q contains the secret", msg)
			}
		}
		for _, s := range sentinels {
			_, _ = errors.Is(e, s), errors.Is(te, s)
		}
		if len(e.Detail) > maxText+len("…") || len(e.Title) > maxText+len("…") {
			t.Errorf("apiError(...) kept %d bytes of detail, want at most %d", len(e.Detail), maxText)
		}
	})
}

func FuzzDecodeSignals(f *testing.F) {
	seeds := []string{
		signalsDoc,
		`{"data":[]}`,
		`{"data":null,"meta":null,"links":null,"errors":null}`,
		`{"data":[null]}`,
		`{"data":{}}`,
		`[]`,
		`null`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"SUCCESS"},"body":{"value":1e400}},"meta":{"oemUpdatedAt":1e400}}]}`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"SUCCESS"},"body":{"latitude":"52","longitude":null}}}]}`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"SUCCESS"},"body":[1,2]},"meta":{"oemUpdatedAt":"1752104118549"}}]}`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"ERROR","error":"x"},"body":{"value":true}}}]}`,
		`{"data":[{"attributes":{"code":"a","status":"SUCCESS","body":{"values":[null,"x"]}},"meta":{"retrievedAt":-1}}]}`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"SUCCESS"},"body":{"value":"x","unit":5}}}],"links":{"next":"::"}}`,
		`{"data":[{"attributes":{"code":"a","status":{"value":"UNAVAILABLE"},"body":{"value":false}},"meta":{"oemUpdatedAt":"2026-11-20T11:59:30Z"}}]}`,
		`{"data":[],"meta":{"totalCount":"9"},"errors":[{"code":"VIRTUAL_KEY_REQUIRED"}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := c.decodeSignalsPage(body)
		if err != nil {
			if len(p.signals) != 0 || !errors.Is(err, ErrServer) {
				t.Fatalf("decodeSignalsPage(%q) = %d signals, %v; want none and ErrServer", body, len(p.signals), err)
			}
			return
		}
		for _, s := range p.signals {
			checkSignal(t, s)
		}
		for _, e := range p.errors {
			_ = e.Error()
		}
	})
}

// checkSignal calls every decoder of s: each must return a value or an error, and only a successful signal a value.
func checkSignal(t *testing.T, s Signal) {
	t.Helper()
	_, errB := s.Bool()
	_, errS := s.String()
	_, _, errN := s.Number()
	_, errV := s.Strings()
	lat, lon, _, errL := s.Location()
	if s.Status != StatusSuccess && (errB == nil || errS == nil || errN == nil || errV == nil || errL == nil) {
		t.Errorf("signal %+v with status %q decoded a value", s, s.Status)
	}
	if errL == nil && (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
		t.Errorf("Location() = %g, %g, want a position on the globe", lat, lon)
	}
	if s.Status == StatusError && s.ErrType == MalformedType && s.Body != nil {
		t.Errorf("malformed signal %+v kept a body", s)
	}
}

func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{`1696156800`, `1752104118549`, `"2026-11-20T11:59:30.5Z"`, `"2026-11-20T11:59:30"`,
		`"1752104118549"`, `null`, `0`, `-1`, `1e400`, `99999999999`, `100000000000`, `99999999999999`, `1.5e13`,
		`"NaN"`, `"-Inf"`, `true`, `{}`, `[]`, `""`, `"  "`, `"0001-01-01T00:00:00Z"`, `-0.0`, `1e-300`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := parseTimestamp(json.RawMessage(raw))
		if err != nil && !got.IsZero() {
			t.Fatalf("parseTimestamp(%q) = %v, %v, want the zero time with an error", raw, got, err)
		}
		if err == nil && !got.IsZero() && (got.Year() < 0 || got.Year() > 9999) {
			t.Errorf("parseTimestamp(%q) = %v, want a year in 0–9999", raw, got)
		}
	})
}
