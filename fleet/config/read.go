package config

import (
	"fmt"
	"strings"

	"fleetkey/policy"
)

// readKeys are the valid keys of [read].
var readKeys = []string{"auto"}

// DefaultAuto returns the badges read automatically when [read] auto is not given: key-installed and legacy. Keyless
// (and unknown) vehicles have one read per 8 hours, so by default they are read only on request.
func DefaultAuto() map[policy.Badge]bool {
	return map[policy.Badge]bool{policy.KeyInstalled: true, policy.Legacy: true}
}

// auto checks [read] auto: an array of badge names, duplicates allowed. An empty array means no automatic reads.
func (c *checker) auto(v any) map[policy.Badge]bool {
	t, ok := c.table("read", v)
	if !ok {
		return DefaultAuto()
	}
	c.unknownKeys(t, readKeys)
	raw, present := t.m["auto"]
	if !present {
		return DefaultAuto()
	}
	list, ok := raw.([]any)
	if !ok {
		c.addf(t.key("auto"), `want an array of badge names like ["key-installed", "legacy"], got %s`, describe(raw))
		return DefaultAuto()
	}
	auto := map[policy.Badge]bool{}
	for i, e := range list {
		key := fmt.Sprintf("%s[%d]", t.key("auto"), i)
		s, ok := e.(string)
		if !ok {
			c.addf(key, "want a badge name, got %s", describe(e))
			continue
		}
		b, err := policy.ParseBadge(s)
		if err != nil {
			c.addf(key, "%q is not a badge; want one of %s", s, badgeNames())
			continue
		}
		auto[b] = true
	}
	return auto
}

// badgeNames lists the names of every badge, in display order.
func badgeNames() string {
	names := make([]string, len(policy.Badges))
	for i, b := range policy.Badges {
		names[i] = b.String()
	}
	return strings.Join(names, ", ")
}
