package config

import (
	"slices"
	"strings"
	"testing"
)

// Each source below is numbered in the comments of the lines that have a problem, so the lines can be checked by eye.

// configProblemCase is a config source and the messages of its problems, in order.
type configProblemCase struct {
	name, src string
	want      []string
}

// checkConfigProblems runs each case as a subtest.
func checkConfigProblems(t *testing.T, tests []configProblemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := configProblems(t, tt.src); !slices.Equal(got, tt.want) {
				t.Errorf("Parse(...) problems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseConfigStructureProblems(t *testing.T) {
	tests := []configProblemCase{
		{"syntax error has line and column", "[account]\nplan = \"free\n",
			[]string{"config.toml:2:13: strings cannot contain newlines"}},
		{"syntax error at a newline is on that line", "a = 1\n[account\nplan = \"x\"\n",
			[]string{`config.toml:2:9: expected '.' or ']' to end table name, but got '\n' instead`}},
		{"unknown key with a suggestion", `[[vehicle]]
id = "van-1"
vinn = "5YJSA1E21FF108417" # 3
make = "Tesla"
model = "Model S"
year = 2015
`, []string{
			"config.toml:1: vehicle[0].vin: required but missing",
			"config.toml:3: vehicle[0].vinn: unknown key, did you mean `vin`?",
		}},
		{"unknown keys everywhere", `stat_file = "s.json" # 1
[acount] # 2
plan = "free"
[policy] # 4
keyless = "8h" # 5
legacy_intreval = "5m" # 6
[[vehicle]] # 7
id = "van-1"
VIN = "5YJSA1E21FF108417" # 9
make = "Tesla"
model = "Model S"
year = 2015
colour = "red" # 13
state_file = "s.json" # 14
`, []string{
			"config.toml:1: stat_file: unknown key, did you mean `state_file`?",
			"config.toml:2: acount: unknown key, did you mean `account`?",
			"config.toml:5: policy.keyless: unknown key (valid: legacy_interval, key_installed_interval, keyless_interval)",
			"config.toml:6: policy.legacy_intreval: unknown key, did you mean `legacy_interval`?",
			"config.toml:7: vehicle[0].vin: required but missing",
			"config.toml:9: vehicle[0].VIN: unknown key, did you mean `vin`?",
			"config.toml:13: vehicle[0].colour: unknown key (valid: id, vin, name, make, model, year, key, asleep, " +
				"virtual_key_url, last_read_at)",
			"config.toml:14: vehicle[0].state_file: unknown key in [vehicle[0]]; top-level keys such as `state_file` " +
				"go before the first [table]",
		}},
		{"wrong types", `state_file = 42
[account]
plan = 1 # 3
[policy]
keyless_interval = 28800 # 5
[[vehicle]]
id = "van-1"
vin = "5YJSA1E21FF108417"
make = "Tesla"
model = ["Model S"] # 10
year = "2015" # 11
asleep = "yes" # 12
last_read_at = "2026-06-01T08:00:00Z" # 13
name = { first = "x" } # 14
[[vehicle]] # 15
id = "van-2"
vin = "5YJSA1E23JF245190"
make = "Tesla"
model = "Model S"
year = 2018.0 # 20
`, []string{
			"config.toml:1: state_file: want a string, got integer 42",
			"config.toml:3: account.plan: want a string, got integer 1",
			"config.toml:5: policy.keyless_interval: want a string, got integer 28800",
			"config.toml:10: vehicle[0].model: want a string, got an array",
			`config.toml:11: vehicle[0].year: want an integer, got string "2015"`,
			`config.toml:12: vehicle[0].asleep: want true or false, got string "yes"`,
			`config.toml:13: vehicle[0].last_read_at: want a datetime like 2026-05-01T08:30:00Z, got string "2026-06-01T08:00:00Z"`,
			"config.toml:14: vehicle[0].name: want a string, got a table",
			"config.toml:20: vehicle[1].year: want an integer, got float 2018",
		}},
		{"tables of the wrong shape", `account = "enterprise"
policy = [1, 2]
[vehicle] # 3
id = "van-1"
`, []string{
			`config.toml:1: account: want a table ([account]), got string "enterprise"`,
			"config.toml:2: policy: want a table ([policy]), got an array",
			"config.toml:3: vehicle: want an array of tables: write each entry as [[vehicle]], not [vehicle]",
		}},
		{"vehicle is a string", `vehicle = "van-1"`,
			[]string{`config.toml:1: vehicle: want an array of tables ([[vehicle]] entries), got string "van-1"`}},
		{"vehicle array of non-tables", `vehicle = [1, 2]`,
			[]string{"config.toml:1: vehicle[0]: want a table, got integer 1"}},
		{"problem in an inline table is on its line", `x = 1
vehicle = [{ id = "a", vin = "5YJSA1E21FF108417", make = "Tesla", model = "Model S", year = 2000 }]
`, []string{
			"config.toml:1: x: unknown key (valid: state, state_file, fleet, account, smartcar, connect, policy, read, serve, vehicle)",
			"config.toml:2: vehicle[0].year: 2000 is outside 2012..2027",
		}},
	}
	checkConfigProblems(t, tests)
}

func TestParseConfigVehicleProblems(t *testing.T) {
	tests := []configProblemCase{
		{"missing keys are on the entry's header", `[[vehicle]]
name = "Spare"
`, []string{
			"config.toml:1: vehicle[0].id: required but missing",
			"config.toml:1: vehicle[0].vin: required but missing",
			"config.toml:1: vehicle[0].make: required but missing",
			"config.toml:1: vehicle[0].model: required but missing",
			"config.toml:1: vehicle[0].year: required but missing",
		}},
		{"empty texts", `[[vehicle]]
id = "" # 2
vin = "5YJSA1E21FF108417"
name = "  " # 4
make = "" # 5
model = "Model S"
year = 2015
`, []string{
			"config.toml:2: vehicle[0].id: is empty",
			"config.toml:4: vehicle[0].name: is empty",
			"config.toml:5: vehicle[0].make: is empty",
		}},
		{"duplicate ids and VINs name both entries", `[[vehicle]]
id = "van-1" # 2
vin = "5YJSA1E21FF108417"
make = "Tesla"
model = "Model S"
year = 2015
[[vehicle]]
id = "van-2"
vin = "5YJSA1E23JF245190" # 9
make = "Tesla"
model = "Model S"
year = 2018
[[vehicle]]
id = "van-1" # 14
vin = "5yjsa1e23jf245190" # 15
make = "Tesla"
model = "Model S"
year = 2018
`, []string{
			`config.toml:14: vehicle[2].id: duplicate ID "van-1", also in vehicle[0] (line 2)`,
			`config.toml:15: vehicle[2].vin: duplicate VIN "5YJSA1E23JF245190", also in vehicle[1] (id "van-2", line 9)`,
		}},
		{"malformed VINs", `[[vehicle]]
id = "a"
vin = "5YJ3E1EA" # 3
make = "Tesla"
model = "Model 3"
year = 2018
[[vehicle]]
id = "b"
vin = "5YJSO1E21FF108417" # 9
make = "Tesla"
model = "Model S"
year = 2015
[[vehicle]]
id = "c"
vin = "5YJ_A1E21FF108417" # 15
make = "Tesla"
model = "Model S"
year = 2015
[[vehicle]]
id = "d"
vin = "5YJSA1E27FF108417" # 21
make = "Tesla"
model = "Model S"
year = 2015
`, []string{
			`config.toml:3: vehicle[0].vin: invalid VIN "5YJ3E1EA": 8 characters, want 17`,
			`config.toml:9: vehicle[1].vin: invalid VIN "5YJSO1E21FF108417": position 5 is 'O'; I, O and Q are never used`,
			`config.toml:15: vehicle[2].vin: invalid VIN "5YJ_A1E21FF108417": position 4 is '_'; a VIN has only letters and digits`,
			`config.toml:21: vehicle[3].vin: invalid VIN "5YJSA1E27FF108417": check digit (position 9) is '7', want '1'`,
		}},
	}
	checkConfigProblems(t, tests)
}

func TestParseConfigVehicleValues(t *testing.T) {
	// Lines 1–5 are a valid entry without a year; each case adds lines from 6 on.
	const head = "[[vehicle]]\nid = \"van-1\"\nvin = \"5YJ3E1EA9JF046211\"\nmake = \"Tesla\"\nmodel = \"Model 3\"\n"
	tests := []struct {
		name, lines string
		want        string // "" when the entry is valid
	}{
		{"first model year", "year = 2012", ""},
		{"next model year", "year = 2027", ""},
		{"year too old", "year = 2011", "config.toml:6: vehicle[0].year: 2011 is outside 2012..2027"},
		{"year too new", "year = 2028", "config.toml:6: vehicle[0].year: 2028 is outside 2012..2027"},
		{"negative year", "year = -2020", "config.toml:6: vehicle[0].year: -2020 is outside 2012..2027"},
		{"huge year", "year = 99999999999", "config.toml:6: vehicle[0].year: 99999999999 is outside 2012..2027"},
		{"key installed", "year = 2018\nkey = \"installed\"", ""},
		{"unknown key status", "year = 2018\nkey = \"yes\"",
			`config.toml:7: vehicle[0].key: "yes" is not a key status; want one of installed, missing, unknown`},
		{"key status is case-sensitive", "year = 2018\nkey = \"Installed\"",
			`config.toml:7: vehicle[0].key: "Installed" is not a key status; want one of installed, missing, unknown`},
		{"https key URL", "year = 2018\nvirtual_key_url = \"https://www.tesla.com/_ak/partner.app.car\"", ""},
		{"http key URL", "year = 2018\nvirtual_key_url = \"http://www.tesla.com/_ak/smartcar.com\"",
			`config.toml:7: vehicle[0].virtual_key_url: "http://www.tesla.com/_ak/smartcar.com" is not an absolute https URL ` +
				"(like https://www.tesla.com/_ak/smartcar.com)"},
		{"key URL without scheme", "year = 2018\nvirtual_key_url = \"www.tesla.com/_ak/smartcar.com\"",
			`config.toml:7: vehicle[0].virtual_key_url: "www.tesla.com/_ak/smartcar.com" is not an absolute https URL ` +
				"(like https://www.tesla.com/_ak/smartcar.com)"},
		{"key URL without host", "year = 2018\nvirtual_key_url = \"https:///_ak/smartcar.com\"",
			`config.toml:7: vehicle[0].virtual_key_url: "https:///_ak/smartcar.com" is not an absolute https URL ` +
				"(like https://www.tesla.com/_ak/smartcar.com)"},
		{"empty key URL", "year = 2018\nvirtual_key_url = \"\"",
			`config.toml:7: vehicle[0].virtual_key_url: "" is not an absolute https URL ` +
				"(like https://www.tesla.com/_ak/smartcar.com)"},
		{"last read with offset", "year = 2018\nlast_read_at = 2026-06-01T08:00:00-07:00", ""},
		{"last read without offset", "year = 2018\nlast_read_at = 2026-06-01T08:00:00",
			"config.toml:7: vehicle[0].last_read_at: datetime 2026-06-01T08:00:00 has no UTC offset; write it like " +
				"2026-05-01T08:30:00Z or 2026-05-01T10:30:00+02:00"},
		{"last read as a date", "year = 2018\nlast_read_at = 2026-06-01",
			"config.toml:7: vehicle[0].last_read_at: datetime 2026-06-01T00:00:00 has no UTC offset; write it like " +
				"2026-05-01T08:30:00Z or 2026-05-01T10:30:00+02:00"},
		{"asleep", "year = 2018\nasleep = false", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if got := configProblems(t, head+tt.lines+"\n"); !slices.Equal(got, want) {
				t.Errorf("Parse(%q) problems = %q, want %q", tt.lines, got, want)
			}
		})
	}
}
