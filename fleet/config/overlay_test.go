package config

import (
	"reflect"
	"testing"
	"time"

	"fleetkey/policy"
)

// smartcarHead is a valid [fleet] and [smartcar] of source "smartcar": 6 lines, so overlays start on line 7.
const smartcarHead = `[fleet]
source = "smartcar"
[smartcar]
client_id = "client_x"
client_secret_env = "SMARTCAR_CLIENT_SECRET"

`

func TestParseConfigOverlayProblems(t *testing.T) {
	tests := []configProblemCase{
		{"an overlay needs an id or a vin", smartcarHead + `[[vehicle]] # 7
name = "Spare"
key = "installed"
`, []string{`config.toml:7: vehicle[0]: needs an id or a vin to match a connected vehicle (source is "smartcar")`}},
		{"what an overlay gives is still checked", smartcarHead + `[[vehicle]]
id = "" # 8
vin = "5YJSA1E27FF108417" # 9
make = "" # 10
year = 2011 # 11
key = "paired" # 12
colour = "red" # 13
`, []string{
			"config.toml:8: vehicle[0].id: is empty",
			`config.toml:9: vehicle[0].vin: invalid VIN "5YJSA1E27FF108417": check digit (position 9) is '7', want '1'`,
			"config.toml:10: vehicle[0].make: is empty",
			"config.toml:11: vehicle[0].year: 2011 is outside 2012..2027",
			`config.toml:12: vehicle[0].key: "paired" is not a key status; want one of installed, missing, unknown`,
			"config.toml:13: vehicle[0].colour: unknown key (valid: id, vin, name, make, model, year, key, asleep, " +
				"virtual_key_url, last_read_at)",
		}},
		{"duplicate VINs of overlays without ids", smartcarHead + `[[vehicle]]
vin = "5YJSA1E21FF108417" # 8
[[vehicle]]
vin = "5yjsa1e21ff108417" # 10
`, []string{`config.toml:10: vehicle[1].vin: duplicate VIN "5YJSA1E21FF108417", also in vehicle[0] (line 8)`}},
		{"source config still requires every fact", `[[vehicle]]
id = "a"
key = "installed"
`, []string{
			"config.toml:1: vehicle[0].vin: required but missing",
			"config.toml:1: vehicle[0].make: required but missing",
			"config.toml:1: vehicle[0].model: required but missing",
			"config.toml:1: vehicle[0].year: required but missing",
		}},
	}
	checkConfigProblems(t, tests)
}

func TestParseConfigOverlays(t *testing.T) {
	src := smartcarHead + `[[vehicle]]
id = "v-1"
[[vehicle]]
vin = "5yj3e1ea9jf046211"
key = "unknown"
asleep = true
[[vehicle]]
id = "v-3"
vin = "5YJSA1E21FF108417"
name = "HQ"
make = "Tesla"
model = "Model S"
year = 2015
virtual_key_url = "https://www.tesla.com/_ak/fleetco.app.car"
last_read_at = 2026-06-01T08:00:00Z
`
	got, err := parseConfig("config.toml", []byte(src), configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(overlays) error = %v, want nil", err)
	}
	wantVehicles := []Vehicle{
		{ID: "v-1", Name: "v-1"},
		{VIN: "5YJ3E1EA9JF046211", Name: "5YJ3E1EA9JF046211", Asleep: true},
		{ID: "v-3", VIN: "5YJSA1E21FF108417", Name: "HQ", Make: "Tesla", Model: "Model S", Year: 2015,
			VirtualKeyURL: "https://www.tesla.com/_ak/fleetco.app.car",
			LastReadAt:    time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)},
	}
	wantPinned := map[string]PinnedFacts{
		"v-1":               {},
		"5YJ3E1EA9JF046211": {Key: true, Asleep: true},
		"v-3":               {Name: true},
	}
	if !reflect.DeepEqual(got.Vehicles, wantVehicles) {
		t.Errorf("parseConfig(overlays).Vehicles =\n%+v\nwant\n%+v", got.Vehicles, wantVehicles)
	}
	if !reflect.DeepEqual(got.Pinned, wantPinned) {
		t.Errorf("parseConfig(overlays).Pinned = %+v, want %+v", got.Pinned, wantPinned)
	}
}

func TestConfigOverlay(t *testing.T) {
	byID := Vehicle{ID: "v-1", VIN: "5YJSA1E21FF108417", Name: "HQ", Key: policy.KeyPaired}
	byVIN := Vehicle{VIN: "5YJ3E1EA9JF046211", Name: "5YJ3E1EA9JF046211", Asleep: true}
	cfg := Config{
		Vehicles: []Vehicle{byID, byVIN},
		Pinned: map[string]PinnedFacts{
			"v-1":               {Name: true, Key: true},
			"5YJ3E1EA9JF046211": {Asleep: true},
		},
	}
	tests := []struct {
		name, id, vin string
		want          Vehicle
		wantPinned    PinnedFacts
		wantOK        bool
	}{
		{"by id", "v-1", "", byID, PinnedFacts{Name: true, Key: true}, true},
		{"by VIN, case-insensitive", "remote-2", "5yj3e1ea9jf046211", byVIN, PinnedFacts{Asleep: true}, true},
		{"by the VIN of an entry whose id is another", "remote-1", "5YJSA1E21FF108417", byID,
			PinnedFacts{Name: true, Key: true}, true},
		{"the id wins over the VIN", "v-1", "5YJ3E1EA9JF046211", byID, PinnedFacts{Name: true, Key: true}, true},
		{"no match", "remote-3", "7SAYGDEE5PA095337", Vehicle{}, PinnedFacts{}, false},
		{"VIN not known yet", "remote-3", "", Vehicle{}, PinnedFacts{}, false},
		{"nothing to match by", "", "", Vehicle{}, PinnedFacts{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pinned, ok := cfg.Overlay(tt.id, tt.vin)
			if !reflect.DeepEqual(got, tt.want) || pinned != tt.wantPinned || ok != tt.wantOK {
				t.Errorf("Overlay(%q, %q) = %+v, %+v, %v; want %+v, %+v, %v", tt.id, tt.vin, got, pinned, ok,
					tt.want, tt.wantPinned, tt.wantOK)
			}
		})
	}
}
