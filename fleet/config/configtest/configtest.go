// Package configtest writes synthetic config files for tests and benchmarks: a valid fleet of any size, laid out like
// a real one. It decides nothing of the product.
package configtest

import (
	"bytes"
	"fmt"

	"fleetkey/policy"
)

// models are the models a synthetic fleet cycles through.
var models = []string{"Model S", "Model 3", "Model X", "Model Y"}

// keys are the key statuses a synthetic fleet cycles through.
var keys = []string{"installed", "missing", "unknown"}

// Fleet returns the text of a valid config of n [[vehicle]] entries like a real fleet's (about 170 bytes each): an
// [account] and a [policy], then for each vehicle an id, a VIN with a valid check digit, a name, make, model, year
// and key status; every third entry has a last_read_at and every tenth a virtual_key_url.
func Fleet(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 190)
	b.WriteString("# a synthetic fleet\n[account]\nplan = \"free\"\n\n[policy]\nkeyless_interval = \"8h\"\n\n")
	for i := range n {
		fmt.Fprintf(&b, "[[vehicle]]\nid = \"veh-%06d\"\nvin = %q\nname = \"Depot %d – Van %d\"\nmake = \"Tesla\"\n"+
			"model = %q\nyear = %d\nkey = %q\n", i, VIN(i), i%97, i, models[i%4], 2015+i%11, keys[i%3])
		if i%3 == 0 {
			fmt.Fprintf(&b, "last_read_at = 2026-06-%02dT08:30:00Z\n", 1+i%28)
		}
		if i%10 == 0 {
			b.WriteString("virtual_key_url = \"https://www.tesla.com/_ak/partner.app.car\"\n")
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// VIN returns the VIN of synthetic vehicle i: a Model 3 pattern with serial i and the check digit that
// policy.ValidateVIN accepts.
func VIN(i int) string {
	vin := []byte(fmt.Sprintf("5YJ3E1EA0JF%06d", i))
	for _, d := range []byte("0123456789X") {
		vin[8] = d
		if policy.ValidateVIN(string(vin)) == nil {
			break
		}
	}
	return string(vin)
}
