package ledger

import "time"

// Condition is what the last answers about a vehicle say beyond its badge: why it is not read as its badge allows,
// or Normal. It is shown in the row, the detail and the JSON, each with its own word.
type Condition int

// The conditions.
const (
	// Normal: nothing to say; the last read, if any, was answered.
	Normal Condition = iota
	// Asleep: the last answer said the vehicle sleeps (409 VEHICLE_STATE:ASLEEP, or the asleep signal).
	Asleep
	// RateLimited: a 429 for this vehicle holds its reads until the Retry-After.
	RateLimited
	// Failing: its last reads failed (5xx, timeouts, the API unreachable) and it backs off.
	Failing
	// BillingStopped: a 430 stopped its reads (the billing limit).
	BillingStopped
	// Rejected: the API rejected the request as invalid; reads are stopped for a bug report.
	Rejected
)

var conditionNames = [...]string{Normal: "ok", Asleep: "asleep", RateLimited: "rate-limited", Failing: "failing",
	BillingStopped: "billing", Rejected: "rejected"}

// String returns the condition's stable name, as in JSON: "ok", "asleep", "rate-limited", "failing", "billing",
// "rejected".
func (c Condition) String() string {
	if c < 0 || int(c) >= len(conditionNames) {
		return "ok"
	}
	return conditionNames[c]
}

// The kinds of a read's error kept in Record.ErrorKind (see verdict.kind).
const (
	KindAsleep      = "asleep"
	KindRateLimited = "rate-limited"
	KindFailing     = "failing"
	KindNotSent     = "not-sent"
	KindBilling     = "billing"
	KindRejected    = "rejected"
)

// Condition returns the record's condition at now: a stop first, then the kind of a last error that no good read
// has followed, then the asleep signal of the last good read.
func (r Record) Condition(now time.Time) Condition {
	switch {
	case r.Stopped != "" && r.ErrorKind == KindRejected:
		return Rejected
	case r.Stopped != "":
		return BillingStopped
	}
	if at := r.DataAt(); r.LastError != "" && (at.IsZero() || at.Before(r.LastErrorAt)) {
		switch r.ErrorKind {
		case KindAsleep:
			return Asleep
		case KindRateLimited:
			if r.NotBefore.After(now) {
				return RateLimited
			}
		case KindFailing, KindNotSent:
			return Failing
		}
	}
	if r.Asleep {
		return Asleep
	}
	return Normal
}
