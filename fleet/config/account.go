package config

import (
	"fmt"
	"strings"
	"time"
)

// accountKeys are the valid keys of [account].
var accountKeys = []string{"plan", "subdomain"}

// maxLabel is the longest DNS label (RFC 1035).
const maxLabel = 63

// account checks [account]. The plan defaults to free.
func (c *checker) account(v any) Account {
	acct := Account{Plan: PlanFree}
	t, ok := c.table("account", v)
	if !ok {
		return acct
	}
	c.unknownKeys(t, accountKeys)
	planOK := true
	if s, ok := c.str(t, "plan", false); ok {
		acct.Plan, planOK = c.plan(t, s)
	}
	sub, ok := c.str(t, "subdomain", false)
	if planOK {
		acct.Subdomain = c.subdomain(t, acct.Plan, sub, ok)
	}
	return acct
}

// plan checks the value of account.plan.
func (c *checker) plan(t table, s string) (Plan, bool) {
	for _, p := range plans {
		if Plan(s) == p {
			return p, true
		}
	}
	c.addf(t.key("plan"), "%q is not a plan; want one of free, build, enterprise", s)
	return Plan(s), false
}

// subdomain checks account.subdomain against the plan: enterprise needs a valid one, the other plans none. given is
// false when the key is absent or not a string (already reported).
func (c *checker) subdomain(t table, plan Plan, sub string, given bool) string {
	key := t.key("subdomain")
	switch {
	case plan != PlanEnterprise && t.has("subdomain"):
		c.addf(key, "only the enterprise plan has a custom virtual key (plan is %q); remove it or set plan = \"enterprise\"",
			plan)
		return ""
	case plan != PlanEnterprise:
		return ""
	case !t.has("subdomain"):
		c.addf(key, "required for plan \"enterprise\": the <subdomain> of https://www.tesla.com/_ak/<subdomain>.app.car")
		return ""
	case !given:
		return ""
	}
	sub = strings.ToLower(sub)
	if msg := labelProblem(sub); msg != "" {
		c.addf(key, "%s", msg)
		return ""
	}
	return sub
}

// labelProblem says why s is not a valid lower-case DNS label (1–63 of a–z, 0–9 and '-', not starting or ending with
// '-'); "" when it is one.
func labelProblem(s string) string {
	switch {
	case s == "":
		return "is empty; want the <subdomain> of https://www.tesla.com/_ak/<subdomain>.app.car"
	case strings.Contains(s, "."):
		return fmt.Sprintf("%q is not a single DNS label; write only the part before .app.car (e.g. \"fleetco\")", s)
	case len(s) > maxLabel:
		return fmt.Sprintf("%q has %d characters; a DNS label has at most %d", s, len(s), maxLabel)
	case s[0] == '-' || s[len(s)-1] == '-':
		return fmt.Sprintf("%q starts or ends with '-'; a DNS label may not", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("%q has %q; a DNS label has only letters, digits and '-'", s, r)
		}
	}
	return ""
}

// duration sets *d from the duration string of k when it is given and valid.
func (c *checker) duration(t table, k string, d *time.Duration) {
	s, ok := c.str(t, k, false)
	if !ok {
		return
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		c.addf(t.key(k), "%q is not a duration; write it like \"8h\", \"30m\" or \"1h30m\"", s)
	case v <= 0:
		c.addf(t.key(k), "must be positive, got %q", s)
	default:
		*d = v
	}
}

// stateFile checks the top-level state_file: a path, "" when absent.
func (c *checker) stateFile(top table) string {
	s, ok := c.str(top, "state_file", false)
	if ok && s == "" {
		c.addf("state_file", "is empty; remove it to use the default state file")
	}
	return s
}
