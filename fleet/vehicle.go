// Package fleet holds the domain of fleetkey and its I/O: the vehicles, the config file that defines them, the state
// file that keeps every read's time across restarts, and the views of the fleet that the UI and the CLI draw from.
package fleet

import (
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
