package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseConfigAccountAndPolicyProblems(t *testing.T) {
	tests := []configProblemCase{
		{"enterprise without a subdomain", "[account]\nplan = \"enterprise\"\n", []string{
			`config.toml:1: account.subdomain: required for plan "enterprise": the <subdomain> of ` +
				"https://www.tesla.com/_ak/<subdomain>.app.car",
		}},
		{"subdomain on build", "[account]\nplan = \"build\"\nsubdomain = \"fleetco\"\n", []string{
			`config.toml:3: account.subdomain: only the enterprise plan has a custom virtual key (plan is "build"); ` +
				`remove it or set plan = "enterprise"`,
		}},
		{"subdomain on the default plan", "[account]\nsubdomain = \"fleetco\"\n", []string{
			`config.toml:2: account.subdomain: only the enterprise plan has a custom virtual key (plan is "free"); ` +
				`remove it or set plan = "enterprise"`,
		}},
		{"unknown plan", "[account]\nplan = \"Enterprise\"\nsubdomain = \"fleetco\"\n", []string{
			`config.toml:2: account.plan: "Enterprise" is not a plan; want one of free, build, enterprise`,
		}},
		{"subdomain of the wrong type is reported once", "[account]\nplan = \"enterprise\"\nsubdomain = 42\n", []string{
			"config.toml:3: account.subdomain: want a string, got integer 42",
		}},
		{"bad durations", `[policy]
legacy_interval = "5 minutes"
key_installed_interval = "0s"
keyless_interval = "-8h"
`, []string{
			`config.toml:2: policy.legacy_interval: "5 minutes" is not a duration; write it like "8h", "30m" or "1h30m"`,
			`config.toml:3: policy.key_installed_interval: must be positive, got "0s"`,
			`config.toml:4: policy.keyless_interval: must be positive, got "-8h"`,
		}},
		{"empty state_file", `state_file = ""`,
			[]string{"config.toml:1: state_file: is empty; remove it to use the default state file"}},
	}
	checkConfigProblems(t, tests)
}

func TestParseConfigSubdomain(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, sub string
		want      string // the subdomain kept when the problem is ""
		problem   string
	}{
		{"label", "fleetco", "fleetco", ""},
		{"upper case is lowered", "FleetCo", "fleetco", ""},
		{"digits and dashes", "fleet-co-2", "fleet-co-2", ""},
		{"one character", "a", "a", ""},
		{"63 characters", long, long, ""},
		{"64 characters", long + "a", "", `"` + long + `a" has 64 characters; a DNS label has at most 63`},
		{"empty", "", "", "is empty; want the <subdomain> of https://www.tesla.com/_ak/<subdomain>.app.car"},
		{"leading dash", "-fleet", "", `"-fleet" starts or ends with '-'; a DNS label may not`},
		{"trailing dash", "fleet-", "", `"fleet-" starts or ends with '-'; a DNS label may not`},
		{"host name", "fleetco.app.car", "",
			`"fleetco.app.car" is not a single DNS label; write only the part before .app.car (e.g. "fleetco")`},
		{"underscore", "fleet_co", "", `"fleet_co" has '_'; a DNS label has only letters, digits and '-'`},
		{"non-ASCII", "flé", "", `"flé" has 'é'; a DNS label has only letters, digits and '-'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "[account]\nplan = \"enterprise\"\nsubdomain = \"" + tt.sub + "\"\n"
			cfg, err := parseConfig("config.toml", []byte(src), configTestNow)
			var want []string
			if tt.problem != "" {
				want = []string{"config.toml:3: account.subdomain: " + tt.problem}
			}
			if got := problemMessages(t, err); !slices.Equal(got, want) {
				t.Fatalf("Parse(subdomain %q) problems = %q, want %q", tt.sub, got, want)
			}
			if cfg.Account.Subdomain != tt.want {
				t.Errorf("Parse(subdomain %q).Account.Subdomain = %q, want %q", tt.sub, cfg.Account.Subdomain, tt.want)
			}
		})
	}
}
