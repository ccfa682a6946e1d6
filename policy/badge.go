// Package policy decides, from a vehicle's facts alone, which virtual-key case it is in (its badge) and when its next
// read is allowed. It is pure: no clock, no I/O; time comes in as a value. When the rules are unsure, they choose the
// answer that cannot spend a read budget early. It also checks that a VIN is well formed (ValidateVIN).
package policy

import (
	"fmt"
	"strings"
)

// Badge is the virtual-key case of a vehicle.
type Badge int

// The badges, from Smartcar's Tesla virtual-key rules.
const (
	// Unknown: key status not known yet; budgeted as Keyless.
	Unknown Badge = iota
	// KeyInstalled: the virtual key is paired.
	KeyInstalled
	// Legacy: a 2020-or-earlier Model S/X, which needs no key.
	Legacy
	// Keyless: a streaming-capable vehicle without the key: one read per 8 hours.
	Keyless
)

var badgeNames = [...]string{Unknown: "unknown", KeyInstalled: "key-installed", Legacy: "legacy", Keyless: "keyless"}

// Badges lists every badge in display order.
var Badges = []Badge{KeyInstalled, Legacy, Keyless, Unknown}

// String returns the badge's stable name, as used in JSON and filters.
func (b Badge) String() string {
	if b < 0 || int(b) >= len(badgeNames) {
		return fmt.Sprintf("badge(%d)", int(b))
	}
	return badgeNames[b]
}

// ParseBadge parses a badge name as String returns it.
func ParseBadge(s string) (Badge, error) {
	for i, n := range badgeNames {
		if n == s {
			return Badge(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown badge %q (want key-installed, legacy, keyless or unknown)", s)
}

// KeyStatus is what is known of a vehicle's virtual key.
type KeyStatus int

// The key statuses.
const (
	// KeyUnknown: never checked.
	KeyUnknown KeyStatus = iota
	// KeyPaired: the virtual key is installed.
	KeyPaired
	// KeyMissing: the vehicle reported that the key is not installed.
	KeyMissing
)

var keyNames = [...]string{KeyUnknown: "unknown", KeyPaired: "installed", KeyMissing: "missing"}

// String returns the status as written in config files.
func (k KeyStatus) String() string {
	if k < 0 || int(k) >= len(keyNames) {
		return fmt.Sprintf("key(%d)", int(k))
	}
	return keyNames[k]
}

// ParseKeyStatus parses "installed", "missing" or "unknown".
func ParseKeyStatus(s string) (KeyStatus, error) {
	for i, n := range keyNames {
		if n == s {
			return KeyStatus(i), nil
		}
	}
	return KeyUnknown, fmt.Errorf("unknown key status %q (want installed, missing or unknown)", s)
}

// Facts are the properties of a vehicle the rules depend on. A fact the source does not give is its zero value: ""
// for the make or model, 0 for the year.
type Facts struct {
	Make, Model string
	Year        int
	Key         KeyStatus
	Asleep      bool
}

// FirstModelYear is the first model year of the Model S, the first Tesla with an API Smartcar reads. A year before it
// is not a fact about a real Model S/X: the rules treat it as missing.
const FirstModelYear = 2012

// legacyLastYear is the last model year of Model S/X that needs no virtual key.
const legacyLastYear = 2020

// IsLegacy reports whether a vehicle is known to be a Tesla Model S or Model X of model year 2020 or earlier.
// Model 3 and Model Y are never legacy, whatever their year. A missing fact (an empty make or model, a year of 0,
// negative or before FirstModelYear) is not known, and a vehicle not known to be legacy is not legacy: legacy has the
// shortest interval, so guessing it could spend a read early.
func IsLegacy(make, model string, year int) bool {
	if year < FirstModelYear || year > legacyLastYear {
		return false
	}
	if !strings.EqualFold(strings.TrimSpace(make), "tesla") {
		return false
	}
	m := ModelLetter(model)
	return m == "S" || m == "X"
}

// ModelLetter normalises a Tesla model name ("Model S", "model s", "S", "ModelS") to its letter ("S"); other models are
// returned trimmed and upper-cased.
func ModelLetter(model string) string {
	m := strings.ToUpper(strings.Join(strings.Fields(model), ""))
	return strings.TrimPrefix(m, "MODEL")
}

// BadgeOf returns the badge of a vehicle. Legacy is decided by model and year before the key status, because a legacy
// vehicle's budget does not depend on a key; a vehicle whose make, model or year is missing is never legacy, and is
// badged by its key status alone (Unknown when that is not known either).
func BadgeOf(f Facts) Badge {
	if IsLegacy(f.Make, f.Model, f.Year) {
		return Legacy
	}
	switch f.Key {
	case KeyPaired:
		return KeyInstalled
	case KeyMissing:
		return Keyless
	default:
		return Unknown
	}
}
