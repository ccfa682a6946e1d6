package fakeserver

import (
	"net/http"
	"testing"
)

func TestKeySignalValue(t *testing.T) {
	required := fullCar()
	required.KeyRequired = true
	tests := []struct {
		name   string
		paired *bool
		car    Car
		want   bool
	}{
		{"paired", ptr(true), fullCar(), true},
		{"unpaired", ptr(false), fullCar(), false},
		{"required wins over paired", ptr(true), required, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.car.KeyPaired = tt.paired
			e := newEnv(t, Options{}, tt.car)
			got := mustAt(t, signal(t, e.read("v1", "u1"), CodeKeyPaired), "attributes", "body", "value")
			if got != tt.want {
				t.Errorf("isdigitalkeypaired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeyRequiredResolution(t *testing.T) {
	c := fullCar()
	c.KeyRequired = true
	e := newEnv(t, Options{}, c)
	res := mustAt(t, signal(t, e.read("v1", "u1"), CodeBattery), "attributes", "status", "error", "resolution")
	if got := mustAt(t, res, "type"); got != "ACTION_REQUIRED" {
		t.Errorf("resolution.type = %v, want ACTION_REQUIRED", got)
	}
	if got := mustAt(t, res, "url"); got != VirtualKeyURL {
		t.Errorf("resolution.url = %v, want %s", got, VirtualKeyURL)
	}
}

func TestReadRequestErrors(t *testing.T) {
	e := newEnv(t, Options{}, fullCar())
	wantError(t, e.get("/vehicles/v1/signals"), 400, "VALIDATION", "MISSING_PARAMETER")
	wantError(t, e.read("v1", "u2"), 404, "RESOURCE_NOT_FOUND", "PATH")
	wantError(t, e.read("nope", "u1"), 404, "RESOURCE_NOT_FOUND", "PATH")
	if got := e.s.ReadCount("v1"); got != 0 {
		t.Errorf("ReadCount(v1) = %d after refused reads, want 0", got)
	}
	if got := e.s.Requests("/v3/vehicles/v1/signals"); got != 2 {
		t.Errorf("Requests(/v3/vehicles/v1/signals) = %d, want 2", got)
	}
}

func TestEmptyStore(t *testing.T) {
	c := fullCar()
	c.EmptyStore = true
	e := newEnv(t, Options{}, c)
	r := e.read("v1", "u1")
	if r.status != 200 {
		t.Fatalf("read = %d, want 200", r.status)
	}
	if data := mustAt(t, r.body, "data").([]any); len(data) != 0 {
		t.Errorf("data = %v, want []", data)
	}
	if got := mustAt(t, r.body, "meta", "totalCount"); got != 0.0 {
		t.Errorf("meta.totalCount = %v, want 0", got)
	}
	wantError(t, e.get("/vehicles/v1/signals/"+CodeBattery, "sc-user-id", "u1"), 404, "RESOURCE_NOT_FOUND", "PATH")
	if got, want := e.s.ReadCount("v1"), 2; got != want {
		t.Errorf("ReadCount(v1) = %d, want %d (a single-code read is a read)", got, want)
	}
	if got := e.s.Billed("v1"); got != 1 {
		t.Errorf("Billed(v1) = %d, want 1 (the 404 is not billed)", got)
	}
}

func TestSingleSignal(t *testing.T) {
	e := newEnv(t, Options{}, fullCar())
	r := e.get("/vehicles/v1/signals/"+CodeOdometer, "sc-user-id", "u1")
	if r.status != 200 {
		t.Fatalf("single signal = %d %v, want 200", r.status, r.body)
	}
	if got := mustAt(t, r.body, "attributes", "body", "value"); got != 50000.0 {
		t.Errorf("odometer = %v, want 50000", got)
	}
	if _, wrapped := r.body["data"]; wrapped {
		t.Error("single signal is wrapped in data; the doc's example has no wrapper")
	}
	wantError(t, e.get("/vehicles/v1/signals/vin", "sc-user-id", "u1"), 404, "RESOURCE_NOT_FOUND", "PATH")
}

func TestTimestampsISOAndUnits(t *testing.T) {
	e := newEnv(t, Options{TimestampISO: true}, fullCar())
	r := e.get("/vehicles/v1/signals", "sc-user-id", "u1", "SC-Unit-System", "imperial")
	s := signal(t, r, CodeOdometer)
	if got, want := mustAt(t, s, "meta", "oemUpdatedAt"), "2026-11-30T11:50:00.000Z"; got != want {
		t.Errorf("oemUpdatedAt = %v, want %s", got, want)
	}
	if got := mustAt(t, s, "attributes", "body", "unit"); got != "miles" {
		t.Errorf("odometer unit = %v, want miles", got)
	}
	if got := mustAt(t, s, "attributes", "body", "value").(float64); got < 31068 || got > 31069 {
		t.Errorf("odometer = %v miles, want 31068.56", got)
	}
	if got := r.header.Get("sc-unit-system"); got != "imperial" {
		t.Errorf("sc-unit-system = %q, want imperial", got)
	}
}

func TestAsleepCar(t *testing.T) {
	c := fullCar()
	c.Asleep, c.Online = true, false
	tests := []struct {
		name         string
		asleepErrors bool
	}{{"signal", false}, {"409", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{AsleepErrors: tt.asleepErrors}, c)
			r := e.read("v1", "u1")
			if tt.asleepErrors {
				wantError(t, r, 409, "VEHICLE_STATE", "ASLEEP")
				if got := mustAt(t, r.body, "errors", 0, "resolution"); got != nil {
					t.Errorf("resolution = %v, want null", got)
				}
				return
			}
			if got := mustAt(t, signal(t, r, CodeAsleep), "attributes", "body", "value"); got != true {
				t.Errorf("isasleep = %v, want true", got)
			}
			if got := mustAt(t, signal(t, r, CodeLocation), "attributes", "body", "locationType"); got != "LAST_PARKED" {
				t.Errorf("locationType = %v, want LAST_PARKED", got)
			}
		})
	}
}

func TestVehicle(t *testing.T) {
	e := newEnv(t, Options{}, fullCar())
	r := e.get("/vehicles/v1")
	checkShape(t, r.body, []field{f("string", "data", "id"), f("string", "data", "type"),
		f("string", "data", "attributes", "make"), f("string", "data", "attributes", "model"),
		f("number", "data", "attributes", "year"), f("string", "data", "attributes", "powertrainType"),
		f("string", "data", "attributes", "mode"), f("string", "data", "links", "self")})
	wantError(t, e.get("/vehicles/v1", "sc-user-id", "u2"), 404, "RESOURCE_NOT_FOUND", "PATH")
	if got := e.s.ReadCount("v1"); got != 0 {
		t.Errorf("ReadCount(v1) = %d after GET /vehicles/v1, want 0 (not a read)", got)
	}
	wantError(t, e.call(http.MethodPost, "/vehicles/v1/signals"), 404, "RESOURCE_NOT_FOUND", "PATH")
}
