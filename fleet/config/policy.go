package config

import (
	"fmt"
	"time"

	"fleetkey/policy"
)

// policyKeys are the valid keys of [policy].
var policyKeys = []string{"legacy_interval", "key_installed_interval", "keyless_interval"}

// minInterval is the shortest interval [policy] accepts. Shorter ones than the rules' are accepted, with a warning,
// because tests and simulations use them; under a second is a mistake (a "5" meant as minutes, a unit of ms).
const minInterval = time.Second

// intervalRule is one interval of [policy]: its key, its field, and the rule of Smartcar's that it stands for
// (with a %s for the rule's interval), said in the warning of an interval shorter than the rule's.
type intervalRule struct {
	key   string
	field func(*policy.Intervals) *time.Duration
	rule  string
}

var intervalRules = []intervalRule{
	{"legacy_interval", func(iv *policy.Intervals) *time.Duration { return &iv.Legacy },
		"a legacy vehicle's data refreshes every %s while it is awake, so reads more often return the same data"},
	{"key_installed_interval", func(iv *policy.Intervals) *time.Duration { return &iv.KeyInstalled },
		"Smartcar advises reading a vehicle with the virtual key no more often than every %s"},
	{"keyless_interval", func(iv *policy.Intervals) *time.Duration { return &iv.Keyless },
		"a vehicle without the virtual key may be read once every %s (one whose key is unknown is budgeted the same)"},
}

// intervals checks [policy]; each interval missing there keeps its default, the rules' own. An interval under
// minInterval is a problem; one shorter than the rules' is accepted with a warning naming the rule it breaks.
func (c *checker) intervals(v any) policy.Intervals {
	iv := policy.DefaultIntervals()
	t, ok := c.table("policy", v)
	if !ok {
		return iv
	}
	c.unknownKeys(t, policyKeys)
	rules := policy.DefaultIntervals()
	for _, r := range intervalRules {
		c.interval(t, r, r.field(&iv), *r.field(&rules))
	}
	return iv
}

// interval sets *d from the duration of r's key when it is given and at least minInterval, and warns when it is
// shorter than rule.
func (c *checker) interval(t table, r intervalRule, d *time.Duration, rule time.Duration) {
	got := time.Duration(-1)
	c.duration(t, r.key, &got)
	switch {
	case got < 0: // absent, or a problem already reported
		return
	case got < minInterval:
		c.addf(t.key(r.key), "%q is under %s: write the interval with its unit, like \"8h\", \"30m\" or \"90s\"",
			t.m[r.key], minInterval)
		return
	case got < rule:
		c.warnf(t.key(r.key), "%q is shorter than the rule it stands for: "+r.rule+"; accepted, for tests and simulations",
			t.m[r.key], ruleText(rule))
	}
	*d = got
}

// ruleText writes a rule's interval as the config would: "8h", "30m", "5m".
func ruleText(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
