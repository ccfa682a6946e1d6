package fleet

import (
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// Listing is one vehicle as `fleetkey list --json` prints it. Its fields are a contract with scripts: exactly these,
// with these names.
type Listing struct {
	ID            string     `json:"id"`
	VIN           string     `json:"vin"`
	Name          string     `json:"name"`
	Make          string     `json:"make"`
	Model         string     `json:"model"`
	Year          int        `json:"year"`
	Badge         string     `json:"badge"`
	Asleep        bool       `json:"asleep"`
	State         string     `json:"state"`           // the Condition: ok, asleep, rate-limited, failing, billing, rejected
	VirtualKeyURL *string    `json:"virtual_key_url"` // null for legacy vehicles, which need no key
	LastReadAt    *time.Time `json:"last_read_at"`    // null when never read
	NextReadAt    *time.Time `json:"next_read_at"`    // null when there is no next read (asleep legacy)
	ReadAllowed   bool       `json:"read_allowed"`
}

// ListingOf describes an entry at now, with times in UTC to the second.
func ListingOf(e Entry, iv policy.Intervals, now time.Time) Listing {
	l := Listing{
		ID: e.ID, VIN: e.VIN, Name: e.Name, Make: e.Make, Model: e.Model, Year: e.Year,
		Badge: e.Badge.String(), ReadAllowed: e.Allowed(iv, now),
	}
	c := e.Condition(now)
	l.Asleep, l.State = c == ledger.Asleep, c.String()
	if e.KeyURL != "" {
		u := e.KeyURL
		l.VirtualKeyURL = &u
	}
	l.LastReadAt = utcPtr(e.LastRead)
	if at, ok := e.NextRead(iv, now); ok {
		if !l.ReadAllowed {
			at = ceilSecond(at) // a time cut to the second must never promise a read before it is allowed
		}
		l.NextReadAt = utcPtr(at)
	}
	return l
}

func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}
