package config

import (
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fleetkey/policy"
)

// Vehicle is one car of the fleet, as configured (a value).
type Vehicle struct {
	ID, VIN, Name, Make, Model string
	Year                       int
	Key                        policy.KeyStatus
	Asleep                     bool
	// VirtualKeyURL is the per-vehicle URL Smartcar returned after Connect; "" when not set.
	VirtualKeyURL string
	// LastReadAt is the last read known from elsewhere (config last_read_at); zero when unknown.
	LastReadAt time.Time
}

// Facts returns what the policy rules need to know of the vehicle.
func (v Vehicle) Facts() policy.Facts {
	return policy.Facts{Make: v.Make, Model: v.Model, Year: v.Year, Key: v.Key, Asleep: v.Asleep}
}

// vehicleKeys are the valid keys of a [[vehicle]] entry.
var vehicleKeys = []string{
	"id", "vin", "name", "make", "model", "year", "key", "asleep", "virtual_key_url", "last_read_at",
}

// vehicles checks the [[vehicle]] entries, each on its own and against each other (duplicate ids and VINs), and
// notes what each pins. overlay is true with source "smartcar", where the entries overlay the connected vehicles.
func (c *checker) vehicles(v any, overlay bool) ([]Vehicle, map[string]PinnedFacts) {
	entries := c.tables("vehicle", v)
	var out []Vehicle
	if len(entries) > 0 {
		out = make([]Vehicle, 0, len(entries))
	}
	pinned := make(map[string]PinnedFacts, len(entries))
	ids, vins := make(map[string]int, len(entries)), make(map[string]int, len(entries))
	for i, m := range entries {
		veh, pins := c.vehicle(table{path: "vehicle[" + strconv.Itoa(i) + "]", m: m}, overlay)
		c.duplicate(ids, "id", veh.ID, i, out)
		c.duplicate(vins, "vin", veh.VIN, i, out)
		out = append(out, veh)
		pinned[pinKey(veh)] = pins
	}
	return out, pinned
}

// tables checks that the value of key is an array of tables ([[key]] entries) and returns them.
func (c *checker) tables(key string, v any) []map[string]any {
	switch v := v.(type) {
	case nil:
		return nil
	case []map[string]any:
		return v
	case map[string]any:
		c.addf(key, "want an array of tables: write each entry as [[%s]], not [%s]", key, key)
		return nil
	case []any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				c.addf(fmt.Sprintf("%s[%d]", key, i), "want a table, got %s", describe(e))
				return nil
			}
			out[i] = m
		}
		return out
	}
	c.addf(key, "want an array of tables ([[%s]] entries), got %s", key, describe(v))
	return nil
}

// vehicle checks one [[vehicle]] entry. The name defaults to the id (the VIN when there is no id), the key status
// to unknown. An overlay needs only an id or a VIN; what it gives is still checked.
func (c *checker) vehicle(t table, overlay bool) (Vehicle, PinnedFacts) {
	c.unknownKeys(t, vehicleKeys)
	full := !overlay
	var v Vehicle
	v.ID, _ = c.text(t, "id", full)
	v.VIN = c.vin(t, full)
	if overlay && !t.has("id") && !t.has("vin") {
		c.addf(t.path, `needs an id or a vin to match a connected vehicle (source is "smartcar")`)
	}
	v.Name = cmp.Or(v.ID, v.VIN)
	name, named := c.text(t, "name", false)
	if named {
		v.Name = name
	}
	v.Make, _ = c.text(t, "make", full)
	v.Model, _ = c.text(t, "model", full)
	v.Year = c.year(t, full)
	v.Key = c.keyStatus(t)
	v.Asleep = c.boolean(t, "asleep")
	v.VirtualKeyURL = c.keyURL(t)
	v.LastReadAt = c.datetime(t, "last_read_at")
	return v, PinnedFacts{Name: named, Key: t.has("key"), Asleep: t.has("asleep")}
}

// vin checks the VIN of an entry and returns it upper-cased.
func (c *checker) vin(t table, required bool) string {
	s, ok := c.str(t, "vin", required)
	if !ok {
		return ""
	}
	if err := policy.ValidateVIN(s); err != nil {
		c.addf(t.key("vin"), "%v", err)
		return ""
	}
	return strings.ToUpper(s)
}

// year checks the model year of an entry: from policy.FirstModelYear (the first Model S) to next year (model years run ahead of the calendar).
func (c *checker) year(t table, required bool) int {
	n, ok := c.integer(t, "year", required)
	if !ok {
		return 0
	}
	last := int64(c.now.Year() + 1)
	if n < policy.FirstModelYear || n > last {
		c.addf(t.key("year"), "%d is outside %d..%d", n, policy.FirstModelYear, last)
		return 0
	}
	return int(n)
}

// keyStatus checks the key status of an entry; absent means unknown, which budgets the vehicle as keyless.
func (c *checker) keyStatus(t table) policy.KeyStatus {
	s, ok := c.str(t, "key", false)
	if !ok {
		return policy.KeyUnknown
	}
	k, err := policy.ParseKeyStatus(s)
	if err != nil {
		c.addf(t.key("key"), "%q is not a key status; want one of installed, missing, unknown", s)
	}
	return k
}

// keyURL checks the per-vehicle virtual key URL of an entry: an absolute https URL.
func (c *checker) keyURL(t table) string {
	s, ok := c.str(t, "virtual_key_url", false)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		c.addf(t.key("virtual_key_url"), "%q is not an absolute https URL (like https://www.tesla.com/_ak/smartcar.com)", s)
		return ""
	}
	return s
}

// duplicate reports field (id or vin) of entry i when an earlier entry has the same value, naming both entries.
// first maps each value seen to the entry that used it first; prior are the entries before i.
func (c *checker) duplicate(first map[string]int, field, val string, i int, prior []Vehicle) {
	if val == "" {
		return
	}
	j, dup := first[val]
	if !dup {
		first[val] = i
		return
	}
	where := fmt.Sprintf("line %d", c.line(fmt.Sprintf("vehicle[%d].%s", j, field)))
	if field != "id" && prior[j].ID != "" {
		where = fmt.Sprintf("id %q, %s", prior[j].ID, where)
	}
	c.addf(fmt.Sprintf("vehicle[%d].%s", i, field), "duplicate %s %q, also in vehicle[%d] (%s)",
		strings.ToUpper(field), val, j, where)
}
