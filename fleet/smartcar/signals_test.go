package smartcar

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signalsDoc is a signals answer in the documented shape, with every body shape, every status and every timestamp
// format, plus an errors[] item that came with the 200.
const signalsDoc = `{"data":[
 {"id":"s1","type":"signal","attributes":{"code":"tractionbattery-stateofcharge","name":"StateOfCharge","group":"TractionBattery",
   "status":{"value":"SUCCESS"},"body":{"unit":"percent","value":75}},
  "meta":{"retrievedAt":1752104218549,"oemUpdatedAt":1752104118549},
  "links":{"self":"/vehicles/v/signals/tractionbattery-stateofcharge"}},
 {"id":"s2","type":"signal","attributes":{"code":"tractionbattery-range","status":{"value":"SUCCESS"},
   "body":{"unit":"kilometers","value":350.5,"additionalValues":[{"type":"IDEAL_CONDITIONS","value":380}]}},
  "meta":{"oemUpdatedAt":1696156800}},
 {"id":"s3","type":"signal","attributes":{"code":"charge-ischarging","status":{"value":"SUCCESS"},"body":{"value":true}},
  "meta":{"oemUpdatedAt":"2026-11-20T11:59:30.5Z"}},
 {"id":"s4","type":"signal","attributes":{"code":"charge-detailedchargingstatus","status":{"value":"SUCCESS"},
   "body":{"value":"FULLY_CHARGED"}},"meta":{"oemUpdatedAt":null}},
 {"id":"s5","type":"signal","attributes":{"code":"location-preciselocation","status":{"value":"SUCCESS"},
   "body":{"latitude":52.52,"longitude":13.405,"heading":90,"direction":"E","locationType":"LAST_PARKED"}}},
 {"id":"s6","type":"signal","attributes":{"code":"vehicleuseraccount-permissions","status":{"value":"SUCCESS"},
   "body":{"values":["vehicle_cmds","vehicle_device_data"]}}},
 {"id":"s7","type":"signal","attributes":{"code":"connectivitystatus-isdigitalkeypaired","status":{"value":"ERROR",
   "error":{"type":"COMPATIBILITY","code":"VEHICLE_NOT_CAPABLE","description":"Not supported","resolution":{"type":null}}}}},
 {"id":"s8","type":"signal","attributes":{"code":"vehicleidentification-vin","status":{"value":"UNAVAILABLE"},"body":null}},
 {"id":"s9","type":"signal","attributes":{"code":"odometer-traveleddistance","status":{"value":"SUCCESS"},
   "body":{"unit":"kilometers","value":50000}},"meta":{"oemUpdatedAt":"bogus"}}],
 "errors":[{"status":"400","type":"CONNECTED_SERVICES_ACCOUNT","code":"VIRTUAL_KEY_REQUIRED","detail":"Add a key",
   "resolution":{"type":"ACTION_REQUIRED","url":"https://www.tesla.com/_ak/smartcar.com"}}],
 "meta":{"page":1,"pageSize":100,"totalCount":9},
 "links":{"self":"/vehicles/v/signals?page=1&pageSize=100","first":"x","previous":null,"next":null,"last":"x"},
 "included":{"vehicle":{"id":"v","type":"vehicle","attributes":{"make":"Tesla","model":"Model 3","year":2024}}}}`

func TestSignalsRequest(t *testing.T) {
	tests := []struct{ name, units, wantUnits string }{
		{"metric by default", "", "metric"},
		{"imperial", Imperial, "imperial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make(chan *http.Request, 2)
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				reqs <- r
				writeJSON(w, 200, `{"data":[],"meta":{"totalCount":0}}`)
			})
			c := srv.client(t, func(cfg *Config) { cfg.UnitSystem = tt.units })
			got, err := readSignals(c, context.Background(), "veh/1", "user-1")
			if err != nil || len(got.Signals) != 0 || got.Pages != 1 || got.Incomplete {
				t.Fatalf("Signals() on an empty store = %+v, %v, want no signals in 1 page, nil", got, err)
			}
			r := <-reqs
			want := map[string]string{"Authorization": "Bearer " + tokenValue(1), "Sc-User-Id": "user-1",
				"SC-Unit-System": tt.wantUnits}
			for k, v := range want {
				if r.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, r.Header.Get(k), v)
				}
			}
			if r.URL.EscapedPath() != "/v3/vehicles/veh%2F1/signals" || r.URL.RawQuery != "pageSize=100" {
				t.Errorf("request %s?%s, want /v3/vehicles/veh%%2F1/signals?pageSize=100", r.URL.EscapedPath(), r.URL.RawQuery)
			}
		})
	}
}

func TestSignalsNeedIDs(t *testing.T) {
	srv := newTestServer(t, nil)
	c := srv.client(t)
	for _, ids := range [][2]string{{"", "user-1"}, {"veh-1", ""}} {
		if _, err := c.Signals(context.Background(), ids[0], ids[1]); !errors.Is(err, ErrValidation) {
			t.Errorf("Signals(%q, %q) = %v, want ErrValidation", ids[0], ids[1], err)
		}
	}
	if tokens, api := srv.counts(); tokens+api != 0 {
		t.Errorf("requests sent = %d, want 0", tokens+api)
	}
}

func TestSignalsDecode(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, signalsDoc) })
	got, err := readSignals(srv.client(t), context.Background(), "v", "user-1")
	if err != nil {
		t.Fatalf("Signals() = %v, want nil", err)
	}
	want := []Signal{
		{Code: "tractionbattery-stateofcharge", Status: StatusSuccess, Body: raw(`{"unit":"percent","value":75}`),
			OEMUpdatedAt: time.UnixMilli(1752104118549).UTC(), RetrievedAt: time.UnixMilli(1752104218549).UTC()},
		{Code: "tractionbattery-range", Status: StatusSuccess,
			Body:         raw(`{"unit":"kilometers","value":350.5,"additionalValues":[{"type":"IDEAL_CONDITIONS","value":380}]}`),
			OEMUpdatedAt: time.Unix(1696156800, 0).UTC()},
		{Code: "charge-ischarging", Status: StatusSuccess, Body: raw(`{"value":true}`),
			OEMUpdatedAt: time.Date(2026, 11, 20, 11, 59, 30, 5e8, time.UTC)},
		{Code: "charge-detailedchargingstatus", Status: StatusSuccess, Body: raw(`{"value":"FULLY_CHARGED"}`)},
		{Code: "location-preciselocation", Status: StatusSuccess,
			Body: raw(`{"latitude":52.52,"longitude":13.405,"heading":90,"direction":"E","locationType":"LAST_PARKED"}`)},
		{Code: "vehicleuseraccount-permissions", Status: StatusSuccess, Body: raw(`{"values":["vehicle_cmds","vehicle_device_data"]}`)},
		{Code: "connectivitystatus-isdigitalkeypaired", Status: StatusError, ErrType: "COMPATIBILITY",
			ErrCode: "VEHICLE_NOT_CAPABLE", ErrDetail: "Not supported"},
		{Code: "vehicleidentification-vin", Status: StatusUnavailable},
		{Code: "odometer-traveleddistance", Status: StatusSuccess, Body: raw(`{"unit":"kilometers","value":50000}`)},
	}
	if len(got.Signals) != len(want) {
		t.Fatalf("Signals() = %d signals, want %d", len(got.Signals), len(want))
	}
	for i := range want {
		if g := got.Signals[i]; !reflect.DeepEqual(g, want[i]) {
			t.Errorf("signal %d = %+v (body %s), want %+v (body %s)", i, g, g.Body, want[i], want[i].Body)
		}
	}
	if len(got.Errors) != 1 || !errors.Is(got.Errors[0], ErrVirtualKeyRequired) || got.Errors[0].HTTPStatus != 200 ||
		got.Errors[0].ResolutionURL != "https://www.tesla.com/_ak/smartcar.com" {
		t.Errorf("Signals().Errors = %v, want one VIRTUAL_KEY_REQUIRED with its URL", got.Errors)
	}
	if got.Pages != 1 || got.Incomplete {
		t.Errorf("Signals() Pages, Incomplete = %d, %t, want 1, false", got.Pages, got.Incomplete)
	}
}

// raw is a signal body as it appears, byte for byte, in the answer.
func raw(s string) []byte { return []byte(s) }

func TestSignalHelpers(t *testing.T) {
	ok := func(body string) Signal { return Signal{Code: "c", Status: StatusSuccess, Body: []byte(body)} }
	failed := Signal{Code: "c", Status: StatusError, ErrType: "COMPATIBILITY", ErrCode: "VEHICLE_NOT_CAPABLE"}
	boolOf := func(s Signal) (any, error) { return s.Bool() }
	stringOf := func(s Signal) (any, error) { return s.String() }
	stringsOf := func(s Signal) (any, error) { return s.Strings() }
	numberOf := func(s Signal) (any, error) {
		v, unit, err := s.Number()
		return []any{v, unit}, err
	}
	locationOf := func(s Signal) (any, error) {
		lat, lon, kind, err := s.Location()
		return []any{lat, lon, kind}, err
	}
	tests := []struct {
		name    string
		call    func(Signal) (any, error)
		sig     Signal
		want    any
		wantErr string
	}{
		{"Bool false", boolOf, ok(`{"value":false}`), false, ""},
		{"Bool of a string", boolOf, ok(`{"value":"true"}`), nil, "cannot unmarshal"},
		{"Bool without value", boolOf, ok(`{}`), nil, "no value"},
		{"Bool of a failed signal", boolOf, failed, nil, "status ERROR COMPATIBILITY:VEHICLE_NOT_CAPABLE"},
		{"String", stringOf, ok(`{"value":"5YJSA1E21FF108417"}`), "5YJSA1E21FF108417", ""},
		{"String of null", stringOf, ok(`null`), nil, "no value"},
		{"Number with unit", numberOf, ok(`{"unit":"percent","value":75}`), []any{75.0, "percent"}, ""},
		{"Number without unit", numberOf, ok(`{"value":-3.5}`), []any{-3.5, ""}, ""},
		{"Number too large", numberOf, ok(`{"value":1e400}`), nil, "cannot unmarshal"},
		{"Number of an unavailable signal", numberOf, Signal{Code: "c", Status: StatusUnavailable}, nil,
			"status UNAVAILABLE"},
		{"Strings", stringsOf, ok(`{"values":["a","b"]}`), []string{"a", "b"}, ""},
		{"Strings of numbers", stringsOf, ok(`{"values":[1]}`), nil, "cannot unmarshal"},
		{"Strings without values", stringsOf, ok(`{"value":"a"}`), nil, "no values"},
		{"Location", locationOf, ok(`{"latitude":-33.9,"longitude":151.2,"locationType":"CURRENT"}`),
			[]any{-33.9, 151.2, "CURRENT"}, ""},
		{"Location off the globe", locationOf, ok(`{"latitude":91,"longitude":0}`), nil, "off the globe"},
		{"Location without longitude", locationOf, ok(`{"latitude":1}`), nil, "no latitude or longitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call(tt.sig)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("%s(%s) = %v, %v, want error containing %q", tt.name, tt.sig.Body, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s(%s) = %v, %v, want %v", tt.name, tt.sig.Body, got, err, tt.want)
			}
		})
	}
}

func TestSignalsMalformed(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    error
		want       []Signal
	}{
		{"not JSON", `<html>`, ErrServer, nil},
		{"data not an array", `{"data":{"code":"x"}}`, ErrServer, nil},
		{"data null is an empty store", `{"data":null}`, nil, nil},
		{"odd items are kept as malformed, the rest decode", `{"data":[17,
			{"attributes":"x"},
			{"attributes":{"code":42,"status":{"value":"SUCCESS"}}},
			{"attributes":{"code":"a-b","status":{"value":["SUCCESS"]}}},
			{"attributes":{"code":"a-c","status":"success","body":{"value":1}},"meta":{"oemUpdatedAt":[1]}}],
			"meta":"x","links":7,"errors":{"bad":true}}`, nil, []Signal{
			{Status: StatusError, ErrType: MalformedType, ErrCode: MalformedCode},
			{Status: StatusError, ErrType: MalformedType, ErrCode: MalformedCode},
			{Status: StatusError, ErrType: MalformedType, ErrCode: MalformedCode},
			{Code: "a-b", Status: StatusError, ErrType: MalformedType, ErrCode: MalformedCode},
			{Code: "a-c", Status: StatusSuccess, Body: raw(`{"value":1}`)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.body) })
			got, err := readSignals(srv.client(t), context.Background(), "v", "u")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Signals() = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got.Signals, tt.want) {
				t.Errorf("Signals() = %+v, want %+v", got.Signals, tt.want)
			}
		})
	}
}

func TestSignalsPaging(t *testing.T) {
	page := func(code, next string, total int) string {
		return `{"data":[{"attributes":{"code":"` + code + `","status":{"value":"SUCCESS"},"body":{"value":true}}}],` +
			`"meta":{"totalCount":` + strconv.Itoa(total) + `},"links":{"next":` + next + `}}`
	}
	tests := []struct {
		name       string
		next       func(n int) string // links.next of page n (1-based), as JSON
		maxPages   int
		total      int // meta.totalCount of every page
		wantPages  int
		wantQuery  []string // query of each request
		incomplete bool
	}{
		{"next followed on our own URL, never the named host", func(n int) string {
			if n == 1 {
				return `"https://elsewhere.example/v9/other?page=2&pageSize=10&signals=all"`
			}
			return "null"
		}, 0, 2, 2, []string{"pageSize=100", "page=2&pageSize=10"}, false},
		{"a relative next link", func(n int) string {
			if n < 3 {
				return `"/vehicles/v/signals?page=` + string(rune('0'+n+1)) + `&pageSize=100"`
			}
			return `""`
		}, 0, 3, 3, []string{"pageSize=100", "page=2&pageSize=100", "page=3&pageSize=100"}, false},
		{"bounded by MaxSignalPages", func(n int) string {
			return `"?page=` + string(rune('0'+n+1)) + `"`
		}, 2, 2, 2, []string{"pageSize=100", "page=2"}, true},
		{"MaxSignalPages 1 never follows", func(int) string { return `"?page=2"` }, 1, 1, 1, []string{"pageSize=100"}, true},
		{"a next link to an asked page stops", func(int) string { return `"?pageSize=100"` }, 0, 1, 1,
			[]string{"pageSize=100"}, false},
		{"a next link without paging parameters stops", func(int) string { return `"/elsewhere?x=1"` }, 0, 1, 1,
			[]string{"pageSize=100"}, false},
		{"totalCount beyond what came is incomplete", func(int) string { return "null" }, 0, 9, 1,
			[]string{"pageSize=100"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var queries []string
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v3/vehicles/v/signals" || r.Header.Get("Sc-User-Id") != "u" {
					t.Errorf("request %s with sc-user-id %q, want /v3/vehicles/v/signals with u", r.URL.Path, r.Header.Get("Sc-User-Id"))
				}
				queries = append(queries, r.URL.RawQuery)
				writeJSON(w, 200, page("code-"+url.QueryEscape(r.URL.RawQuery), tt.next(len(queries)), tt.total))
			})
			got, err := readSignals(srv.client(t, func(cfg *Config) { cfg.MaxSignalPages = tt.maxPages }), context.Background(), "v", "u")
			if err != nil || got.Pages != tt.wantPages || len(got.Signals) != tt.wantPages || got.Incomplete != tt.incomplete {
				t.Fatalf("Signals() = %d pages, %d signals, incomplete %t, %v; want %d, %d, %t, nil",
					got.Pages, len(got.Signals), got.Incomplete, err, tt.wantPages, tt.wantPages, tt.incomplete)
			}
			if !reflect.DeepEqual(queries, tt.wantQuery) {
				t.Errorf("queries = %q, want %q", queries, tt.wantQuery)
			}
		})
	}
}

func TestSignalsLaterPageError(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, jsonAPIError(429, "RATE_LIMIT", "VEHICLE", "slow"))
			return
		}
		writeJSON(w, 200, `{"data":[{"attributes":{"code":"a","status":{"value":"SUCCESS"}}}],"links":{"next":"?page=2"}}`)
	})
	got, err := readSignals(srv.client(t), context.Background(), "v", "u")
	var e *APIError
	if !errors.Is(err, ErrRateLimitVehicle) || !errors.As(err, &e) || e.RetryAfter != 7*time.Second {
		t.Fatalf("Signals() = %v, want ErrRateLimitVehicle with Retry-After 7s", err)
	}
	if got.Pages != 2 || len(got.Signals) != 1 {
		t.Errorf("Signals() = %d pages, %d signals, want the 1 signal of page 1 after 2 requests", got.Pages, len(got.Signals))
	}
}
