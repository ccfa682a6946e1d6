package fakeserver

import (
	"testing"
	"time"
)

// fullCar is a key-installed car with every value set, its data 10 minutes old.
func fullCar() Car {
	c := keyedCar("v1")
	c.VIN = "5YJ3E1EA7KF000001"
	c.Battery, c.RangeKM, c.OdometerKM = 75, 350, 50000
	c.Charging, c.Plugged, c.Online = "CHARGING", true, true
	c.Lat, c.Lon = 52.52, 13.405
	c.OEMUpdatedAt = t0.Add(-10 * time.Minute)
	return c
}

// signal returns the signal of a read answer with the given code.
func signal(t *testing.T, r response, code string) map[string]any {
	t.Helper()
	for _, s := range mustAt(t, r.body, "data").([]any) {
		if mustAt(t, s, "attributes", "code") == code {
			return s.(map[string]any)
		}
	}
	t.Fatalf("signal %s missing from %v", code, r.body)
	return nil
}

func TestSignalsShape(t *testing.T) {
	e := newEnv(t, Options{}, fullCar())
	r := e.read("v1", "u1")
	if r.status != 200 {
		t.Fatalf("read = %d %v, want 200", r.status, r.body)
	}
	checkShape(t, r.body, []field{
		f("array", "data"), f("number", "meta", "page"), f("number", "meta", "pageSize"),
		f("number", "meta", "totalCount"), f("string", "links", "self"), f("null", "links", "next"),
		f("string", "included", "vehicle", "id"), f("string", "included", "vehicle", "type"),
		f("string", "included", "vehicle", "attributes", "make"), f("string", "included", "vehicle", "attributes", "model"),
		f("number", "included", "vehicle", "attributes", "year"), f("string", "included", "vehicle", "links", "self"),
	})
	if got := mustAt(t, r.body, "meta", "totalCount"); got != float64(len(signalSpecs)) {
		t.Errorf("meta.totalCount = %v, want %d", got, len(signalSpecs))
	}
	checkShape(t, signal(t, r, CodeBattery), []field{
		f("string", "id"), f("string", "type"), f("string", "attributes", "code"), f("string", "attributes", "name"),
		f("string", "attributes", "group"), f("string", "attributes", "status", "value"),
		f("object", "attributes", "body"), f("number", "meta", "retrievedAt"), f("number", "meta", "oemUpdatedAt"),
		f("string", "links", "self"), f("string", "links", "values"), f("string", "links", "vehicle"),
	})
	if r.header.Get("sc-request-id") == "" {
		t.Error("sc-request-id header missing")
	}
}

func TestSignalBodies(t *testing.T) {
	e := newEnv(t, Options{}, fullCar())
	r := e.read("v1", "u1")
	tests := []struct {
		code string
		path []any
		want any
	}{
		{CodeBattery, []any{"unit"}, "percent"},
		{CodeBattery, []any{"value"}, 75.0},
		{CodeRange, []any{"unit"}, "kilometers"},
		{CodeRange, []any{"value"}, 350.0},
		{CodeRange, []any{"additionalValues", 0, "type"}, "ESTIMATED"},
		{CodeIsCharging, []any{"value"}, true},
		{CodeChargeStatus, []any{"value"}, "CHARGING"},
		{CodePlugged, []any{"value"}, true},
		{CodeLocation, []any{"latitude"}, 52.52},
		{CodeLocation, []any{"longitude"}, 13.405},
		{CodeLocation, []any{"locationType"}, "CURRENT"},
		{CodeOdometer, []any{"unit"}, "kilometers"},
		{CodeOdometer, []any{"value"}, 50000.0},
		{CodeOnline, []any{"value"}, true},
		{CodeAsleep, []any{"value"}, false},
		{CodeKeyPaired, []any{"value"}, true},
		{CodeVIN, []any{"value"}, "5YJ3E1EA7KF000001"},
	}
	for _, tt := range tests {
		s := signal(t, r, tt.code)
		if got := mustAt(t, s, "attributes", "status", "value"); got != "SUCCESS" {
			t.Errorf("%s status = %v, want SUCCESS", tt.code, got)
		}
		if got := mustAt(t, s, append([]any{"attributes", "body"}, tt.path...)...); got != tt.want {
			t.Errorf("%s body%v = %v, want %v", tt.code, tt.path, got, tt.want)
		}
	}
	s := signal(t, r, CodeBattery)
	if got := mustAt(t, s, "meta", "oemUpdatedAt"); got != float64(t0.Add(-10*time.Minute).UnixMilli()) {
		t.Errorf("oemUpdatedAt = %v, want %d (epoch ms)", got, t0.Add(-10*time.Minute).UnixMilli())
	}
	if got := mustAt(t, s, "meta", "retrievedAt"); got != float64(t0.UnixMilli()) {
		t.Errorf("retrievedAt = %v, want %d", got, t0.UnixMilli())
	}
}

// statusOf returns "SUCCESS", "UNAVAILABLE" or "ERROR TYPE:CODE" for a signal of a read.
func statusOf(t *testing.T, r response, code string) string {
	t.Helper()
	s := signal(t, r, code)
	v := mustAt(t, s, "attributes", "status", "value").(string)
	if v != "ERROR" {
		return v
	}
	checkShape(t, s, []field{f("string", "attributes", "status", "error", "type"),
		f("string", "attributes", "status", "error", "description")})
	if _, hasBody := s["attributes"].(map[string]any)["body"]; hasBody {
		t.Errorf("%s failed but has a body", code)
	}
	return "ERROR " + mustAt(t, s, "attributes", "status", "error", "type").(string) + ":" +
		mustAt(t, s, "attributes", "status", "error", "code").(string)
}

func TestSignalStatuses(t *testing.T) {
	notCapable := fullCar()
	notCapable.KeyPaired = nil
	keyRequired := fullCar()
	keyRequired.KeyRequired = true
	unpaired := fullCar()
	unpaired.KeyPaired = ptr(false)
	partial := fullCar()
	partial.Permissions = []string{"read_battery", "read_vehicle_info"}
	partial.VIN = ""
	partial.Unavailable = []string{CodeOnline}
	partial.SignalErrors = map[string]Failure{CodeAsleep: {Type: "UPSTREAM", Code: "NO_RESPONSE"}}
	tests := []struct {
		name string
		car  Car
		want map[string]string
	}{
		{"key paired", fullCar(), map[string]string{CodeKeyPaired: "SUCCESS", CodeBattery: "SUCCESS"}},
		{"not capable", notCapable, map[string]string{CodeKeyPaired: "ERROR COMPATIBILITY:VEHICLE_NOT_CAPABLE",
			CodeBattery: "SUCCESS"}},
		{"key required", keyRequired, map[string]string{CodeKeyPaired: "SUCCESS",
			CodeBattery:  "ERROR CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED",
			CodeLocation: "ERROR CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED", CodeOnline: "SUCCESS",
			CodeVIN: "SUCCESS"}},
		{"unpaired", unpaired, map[string]string{CodeKeyPaired: "SUCCESS", CodeBattery: "SUCCESS"}},
		{"partial", partial, map[string]string{CodeBattery: "SUCCESS", CodeLocation: "ERROR PERMISSION:UNKNOWN",
			CodeVIN: "ERROR PERMISSION:UNKNOWN", CodeOnline: "UNAVAILABLE", CodeAsleep: "ERROR UPSTREAM:NO_RESPONSE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, tt.car)
			r := e.read("v1", "u1")
			if r.status != 200 {
				t.Fatalf("read = %d %v, want 200", r.status, r.body)
			}
			for code, want := range tt.want {
				if got := statusOf(t, r, code); got != want {
					t.Errorf("%s = %s, want %s", code, got, want)
				}
			}
		})
	}
}
