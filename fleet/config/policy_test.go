package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fleetkey/policy"
)

func TestParseConfigIntervalProblems(t *testing.T) {
	const withUnit = `write the interval with its unit, like "8h", "30m" or "90s"`
	checkConfigProblems(t, []configProblemCase{
		{"under one second", `[policy]
legacy_interval = "500ms"
key_installed_interval = "999ms"
keyless_interval = "1ns"
`, []string{
			`config.toml:2: policy.legacy_interval: "500ms" is under 1s: ` + withUnit,
			`config.toml:3: policy.key_installed_interval: "999ms" is under 1s: ` + withUnit,
			`config.toml:4: policy.keyless_interval: "1ns" is under 1s: ` + withUnit,
		}},
	})
}

// TestParseConfigIntervalWarnings: an interval shorter than the rule it stands for is accepted, with a warning that
// names file, line and key and says the rule; one at the rule or longer, or absent, warns nothing.
func TestParseConfigIntervalWarnings(t *testing.T) {
	const (
		legacyRule = `a legacy vehicle's data refreshes every 5m while it is awake, so reads more often return the ` +
			`same data`
		installedRule = `Smartcar advises reading a vehicle with the virtual key no more often than every 30m`
		keylessRule   = `a vehicle without the virtual key may be read once every 8h (one whose key is unknown is ` +
			`budgeted the same)`
	)
	warning := func(line int, key, val, rule string) string {
		return fmt.Sprintf("config.toml:%d: policy.%s: %q is shorter than the rule it stands for: %s; accepted, for "+
			"tests and simulations", line, key, val, rule)
	}
	tests := []struct {
		name, policy string
		want         policy.Intervals
		warnings     []string
	}{
		{"absent", "", policy.DefaultIntervals(), nil},
		{"at the rules", "legacy_interval = \"5m\"\nkey_installed_interval = \"30m\"\nkeyless_interval = \"8h\"\n",
			policy.DefaultIntervals(), nil},
		{"longer", "legacy_interval = \"6m\"\nkey_installed_interval = \"1h\"\nkeyless_interval = \"12h\"\n",
			policy.Intervals{Legacy: 6 * time.Minute, KeyInstalled: time.Hour, Keyless: 12 * time.Hour}, nil},
		{"1s, the shortest", "legacy_interval = \"1s\"\nkey_installed_interval = \"1s\"\nkeyless_interval = \"1s\"\n",
			policy.Intervals{Legacy: time.Second, KeyInstalled: time.Second, Keyless: time.Second}, []string{
				warning(2, "legacy_interval", "1s", legacyRule),
				warning(3, "key_installed_interval", "1s", installedRule),
				warning(4, "keyless_interval", "1s", keylessRule),
			}},
		{"1s under each rule", "keyless_interval = \"7h59m59s\"\nlegacy_interval = \"4m59s\"\n" +
			"key_installed_interval = \"29m59s\"\n",
			policy.Intervals{Legacy: 5*time.Minute - time.Second, KeyInstalled: 30*time.Minute - time.Second,
				Keyless: 8*time.Hour - time.Second}, []string{
				warning(2, "keyless_interval", "7h59m59s", keylessRule),
				warning(3, "legacy_interval", "4m59s", legacyRule),
				warning(4, "key_installed_interval", "29m59s", installedRule),
			}},
		{"only keyless short", "keyless_interval = \"10s\"\n", policy.Intervals{Legacy: 5 * time.Minute,
			KeyInstalled: 30 * time.Minute, Keyless: 10 * time.Second}, []string{
			warning(2, "keyless_interval", "10s", keylessRule),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig("config.toml", []byte("[policy]\n"+tt.policy), configTestNow)
			if err != nil {
				t.Fatalf("parseConfig(...) error = %v, want nil", err)
			}
			if cfg.Intervals != tt.want {
				t.Errorf("parseConfig(...).Intervals = %+v, want %+v", cfg.Intervals, tt.want)
			}
			var got []string
			for _, w := range cfg.Warnings {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tt.warnings) {
				t.Errorf("parseConfig(...).Warnings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.warnings, "\n"))
			}
		})
	}
}

// TestExampleConfigWarnsNothing: the documented example keeps to the rules.
func TestExampleConfigWarnsNothing(t *testing.T) {
	cfg, err := Load("../../config.example.toml")
	if err != nil || len(cfg.Warnings) != 0 {
		t.Errorf("Load(config.example.toml) = warnings %v, error %v; want none", cfg.Warnings, err)
	}
}
