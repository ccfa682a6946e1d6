package config

import (
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fleetkey/policy"
)

// configTestNow is the fixed clock of the config tests: model years run to 2027.
var configTestNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// configProblems parses src as "config.toml" at configTestNow and returns the message of every problem, in order.
// It fails t unless each joined error is a *Problem.
func configProblems(t *testing.T, src string) []string {
	t.Helper()
	_, err := parseConfig("config.toml", []byte(src), configTestNow)
	return problemMessages(t, err)
}

// problemMessages splits a Parse error into its problems' messages; nil for a nil error.
func problemMessages(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Parse error %T (%v) does not join problems", err, err)
	}
	var out []string
	for _, e := range joined.Unwrap() {
		var p *Problem
		if !errors.As(e, &p) {
			t.Fatalf("Parse problem %T (%v) is not a *Problem", e, e)
		}
		out = append(out, p.Error())
	}
	return out
}

// withDefaults returns c with the defaults of the keys that c does not set: source "config", the [smartcar],
// [connect] and [serve] defaults, the default [read] auto and an empty Pinned.
func withDefaults(c Config) Config {
	c.Source = SourceConfig
	c.Smartcar = defaultSmartcar()
	c.Connect = defaultConnect(c.Smartcar)
	c.Serve = defaultServe()
	c.Auto = DefaultAuto()
	if c.Pinned == nil {
		c.Pinned = map[string]PinnedFacts{}
	}
	return c
}

func TestParseConfigValid(t *testing.T) {
	tests := []struct {
		name, src string
		want      Config
	}{
		{"empty file gets the defaults", "", withDefaults(Config{Account: Account{Plan: PlanFree},
			Intervals: policy.DefaultIntervals()})},
		{"everything of source config given", `state_file = "/var/lib/fleetkey/state.json"
[account]
plan = "enterprise"
subdomain = "FleetCo"
[policy]
keyless_interval = "9h"
[[vehicle]]
id = "van-1"
vin = "5yjsa1e21ff108417"
make = "Tesla"
model = "Model S"
year = 2015
asleep = true
[[vehicle]]
id = "van-2"
vin = "7SAYGDEE5PA095337"
name = "Depot 3 – Van pool \u001b[2J"
make = "Tesla"
model = "Model Y"
year = 2027
key = "installed"
virtual_key_url = "https://www.tesla.com/_ak/partner.app.car"
last_read_at = 2026-06-01T10:30:00+02:00
`, withDefaults(Config{
			Account:   Account{Plan: PlanEnterprise, Subdomain: "fleetco"},
			Intervals: policy.Intervals{Legacy: 5 * time.Minute, KeyInstalled: 30 * time.Minute, Keyless: 9 * time.Hour},
			StateFile: "/var/lib/fleetkey/state.json",
			Vehicles: []Vehicle{
				{ID: "van-1", VIN: "5YJSA1E21FF108417", Name: "van-1", Make: "Tesla", Model: "Model S", Year: 2015,
					Key: policy.KeyUnknown, Asleep: true},
				{ID: "van-2", VIN: "7SAYGDEE5PA095337", Name: "Depot 3 – Van pool \x1b[2J", Make: "Tesla", Model: "Model Y",
					Year: 2027, Key: policy.KeyPaired, VirtualKeyURL: "https://www.tesla.com/_ak/partner.app.car",
					LastReadAt: time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC)},
			},
			Pinned: map[string]PinnedFacts{"van-1": {Asleep: true}, "van-2": {Name: true, Key: true}},
		})},
		{"inline tables", `account = { plan = "build" }
vehicle = [{ id = "a", vin = "5YJSA1E21FF108417", make = "Tesla", model = "Model S", year = 2012, key = "missing" }]
`, withDefaults(Config{
			Account:   Account{Plan: PlanBuild},
			Intervals: policy.DefaultIntervals(),
			Vehicles: []Vehicle{{ID: "a", VIN: "5YJSA1E21FF108417", Name: "a", Make: "Tesla", Model: "Model S", Year: 2012,
				Key: policy.KeyMissing}},
			Pinned: map[string]PinnedFacts{"a": {Key: true}},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("config.toml", []byte(tt.src), configTestNow)
			if err != nil {
				t.Fatalf("parseConfig(...) error = %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseConfig(...) =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseConfigYearBoundFollowsClock(t *testing.T) {
	src := "[[vehicle]]\nid = \"a\"\nvin = \"5YJ3E1EA9JF046211\"\nmake = \"Tesla\"\nmodel = \"Model 3\"\nyear = 2028\n"
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"2028 is too new in 2026", configTestNow, []string{"config.toml:6: vehicle[0].year: 2028 is outside 2012..2027"}},
		{"2028 is next year in 2027", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig("config.toml", []byte(src), tt.now)
			if got := problemMessages(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("parseConfig(year 2028, %s) problems = %q, want %q", tt.now.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

func TestLoadConfigExample(t *testing.T) {
	cfg, err := Load("../../config.example.toml")
	if err != nil {
		t.Fatalf("Load(config.example.toml) error = %v", err)
	}
	if cfg.Source != SourceConfig || cfg.Smartcar != defaultSmartcar() || !reflect.DeepEqual(cfg.Auto, DefaultAuto()) {
		t.Errorf("Load(config.example.toml) = source %q, %+v, auto %v; want the demo's source config and defaults",
			cfg.Source, cfg.Smartcar, cfg.Auto)
	}
	if cfg.Account.Plan != PlanFree || cfg.Intervals != policy.DefaultIntervals() || cfg.StateFile != "" {
		t.Errorf("Load(config.example.toml) = %+v %+v %q, want plan free, default intervals, no state_file",
			cfg.Account, cfg.Intervals, cfg.StateFile)
	}
	if len(cfg.Vehicles) != 12 {
		t.Fatalf("Load(config.example.toml) has %d vehicles, want 12", len(cfg.Vehicles))
	}
	badges := map[policy.Badge]int{}
	var asleepLegacy, ownURL, lastRead int
	for _, v := range cfg.Vehicles {
		b := policy.BadgeOf(v.Facts())
		badges[b]++
		if b == policy.Legacy && v.Asleep {
			asleepLegacy++
		}
		if v.VirtualKeyURL != "" {
			ownURL++
		}
		if !v.LastReadAt.IsZero() {
			lastRead++
		}
	}
	want := map[policy.Badge]int{policy.Legacy: 4, policy.KeyInstalled: 4, policy.Keyless: 2, policy.Unknown: 2}
	if !reflect.DeepEqual(badges, want) {
		t.Errorf("config.example.toml badges = %v, want %v", badges, want)
	}
	if asleepLegacy != 1 || ownURL != 1 || lastRead != 0 {
		t.Errorf("config.example.toml has %d asleep legacy, %d own key URLs, %d last_read_at; want 1, 1, 0",
			asleepLegacy, ownURL, lastRead)
	}
}

func TestLoadConfigProblemsNameTheFile(t *testing.T) {
	const path = "testdata/bad.toml"
	_, err := Load(path)
	want := []string{
		path + `:7: account.plan: "gold" is not a plan; want one of free, build, enterprise`,
		path + `:10: policy.keyless_interval: "eight hours" is not a duration; write it like "8h", "30m" or "1h30m"`,
		path + `:18: vehicle[0].year: want an integer, got string "2018"`,
		path + ":19: vehicle[0].colour: unknown key (valid: " + strings.Join(vehicleKeys, ", ") + ")",
		path + `:24: vehicle[1].vin: duplicate VIN "5YJ3E1EA9JF046211", also in vehicle[0] (id "van-1", line 15)`,
		path + `:28: vehicle[1].key: "paired" is not a key status; want one of installed, missing, unknown`,
	}
	if got := problemMessages(t, err); !slices.Equal(got, want) {
		t.Errorf("Load(%s) problems =\n%s\nwant\n%s", path, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.toml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(no such file) error = %v, want it to wrap fs.ErrNotExist", err)
	}
}

func TestKeyURL(t *testing.T) {
	own := Vehicle{ID: "a", VirtualKeyURL: "https://www.tesla.com/_ak/partner.app.car"}
	tests := []struct {
		name string
		acct Account
		v    Vehicle
		want string
	}{
		{"free", Account{Plan: PlanFree}, Vehicle{ID: "a"}, "https://www.tesla.com/_ak/smartcar.com"},
		{"build", Account{Plan: PlanBuild}, Vehicle{ID: "a"}, "https://www.tesla.com/_ak/smartcar.com"},
		{"enterprise", Account{Plan: PlanEnterprise, Subdomain: "fleetco"}, Vehicle{ID: "a"},
			"https://www.tesla.com/_ak/fleetco.app.car"},
		{"own URL on free", Account{Plan: PlanFree}, own, own.VirtualKeyURL},
		{"own URL on enterprise", Account{Plan: PlanEnterprise, Subdomain: "fleetco"}, own, own.VirtualKeyURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Config{Account: tt.acct}).KeyURL(tt.v); got != tt.want {
				t.Errorf("KeyURL(%+v, %+v) = %s, want %s", tt.acct, tt.v, got, tt.want)
			}
		})
	}
}
