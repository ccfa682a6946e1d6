package ledger

import "time"

// Status is the outcome of one signal of a read.
type Status string

// The statuses of a signal.
const (
	StatusOK          Status = "SUCCESS"
	StatusError       Status = "ERROR"
	StatusUnavailable Status = "UNAVAILABLE"
)

// Value is one signal's value as read: its status, its value when the status is OK, the unit the API gave, and
// when the vehicle last updated it (oemUpdatedAt). A Value with an empty Status was not in the answer.
type Value[T any] struct {
	Status    Status    `json:"status,omitempty"`
	V         T         `json:"value,omitzero"`
	Unit      string    `json:"unit,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	Err       string    `json:"error,omitempty"` // "TYPE:CODE" when the status is not OK
}

// OK reports whether the signal was read successfully.
func (v Value[T]) OK() bool { return v.Status == StatusOK }

// Location is where the vehicle is.
type Location struct {
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
	Kind string  `json:"kind,omitempty"` // CURRENT or LAST_PARKED
}

// Reading is the data of one read.
type Reading struct {
	At         time.Time         `json:"at"` // when the read was made, by our clock
	Battery    Value[float64]    `json:"battery_percent,omitzero"`
	Range      Value[float64]    `json:"range,omitzero"`
	Charging   Value[string]     `json:"charging,omitzero"` // CHARGING, NOT_CHARGING, FULLY_CHARGED
	PluggedIn  Value[bool]       `json:"plugged_in,omitzero"`
	Location   Value[Location]   `json:"location,omitzero"`
	Odometer   Value[float64]    `json:"odometer,omitzero"`
	Online     Value[bool]       `json:"online,omitzero"`
	Asleep     Value[bool]       `json:"asleep,omitzero"`
	KeyPaired  Value[bool]       `json:"key_paired,omitzero"`
	VIN        Value[string]     `json:"vin,omitzero"`
	KeyMissing bool              `json:"key_required,omitempty"` // VIRTUAL_KEY_REQUIRED was seen in this read
	Failures   map[string]string `json:"failures,omitempty"`     // signal code → "TYPE:CODE" for signals that failed
}

// MergeReading returns the reading to keep after a read answered cur, when old is what was kept before: cur's
// values, except that a signal cur did not read successfully keeps old's value if that one was good. So the kept
// reading shows, per signal, the last good value with its own UpdatedAt (its age), and cur's Failures say which
// signals failed this time. At and KeyMissing are cur's.
func MergeReading(old, cur Reading) Reading {
	out := cur
	out.Battery = keepGood(old.Battery, cur.Battery)
	out.Range = keepGood(old.Range, cur.Range)
	out.Charging = keepGood(old.Charging, cur.Charging)
	out.PluggedIn = keepGood(old.PluggedIn, cur.PluggedIn)
	out.Location = keepGood(old.Location, cur.Location)
	out.Odometer = keepGood(old.Odometer, cur.Odometer)
	out.Online = keepGood(old.Online, cur.Online)
	out.Asleep = keepGood(old.Asleep, cur.Asleep)
	out.KeyPaired = keepGood(old.KeyPaired, cur.KeyPaired)
	out.VIN = keepGood(old.VIN, cur.VIN)
	return out
}

// keepGood returns cur, or old when cur failed (or is absent) and old is good.
func keepGood[T any](old, cur Value[T]) Value[T] {
	if cur.OK() || !old.OK() {
		return cur
	}
	return old
}

// utc returns r with every time in UTC, for stable saved bytes.
func (r Reading) utc() Reading {
	r.At = r.At.UTC()
	r.Battery = r.Battery.utc()
	r.Range = r.Range.utc()
	r.Charging = r.Charging.utc()
	r.PluggedIn = r.PluggedIn.utc()
	r.Location = r.Location.utc()
	r.Odometer = r.Odometer.utc()
	r.Online = r.Online.utc()
	r.Asleep = r.Asleep.utc()
	r.KeyPaired = r.KeyPaired.utc()
	r.VIN = r.VIN.utc()
	return r
}

// utc returns v with its UpdatedAt in UTC.
func (v Value[T]) utc() Value[T] {
	v.UpdatedAt = v.UpdatedAt.UTC()
	return v
}
