package policy

import "time"

// Intervals are the minimum times between two reads, per badge.
type Intervals struct {
	// Legacy: data refreshes every 5 minutes while the vehicle is awake.
	Legacy time.Duration
	// KeyInstalled: Smartcar advises polling no more often than every 30 minutes.
	KeyInstalled time.Duration
	// Keyless: one read every 8 hours; such a read does not wake the vehicle.
	Keyless time.Duration
}

// DefaultIntervals returns the intervals of Smartcar's rules: 5m legacy, 30m key-installed, 8h keyless.
func DefaultIntervals() Intervals {
	return Intervals{Legacy: 5 * time.Minute, KeyInstalled: 30 * time.Minute, Keyless: 8 * time.Hour}
}

// Of returns the interval of a badge. Unknown is budgeted as Keyless: the rule that cannot spend a read early.
func (iv Intervals) Of(b Badge) time.Duration {
	switch b {
	case Legacy:
		return iv.Legacy
	case KeyInstalled:
		return iv.KeyInstalled
	default:
		return iv.Keyless
	}
}

// NextRead returns when the next read of a vehicle is allowed, given its last read. A vehicle never read (zero last)
// may be read now. A last read in the future (clock skew) counts as a read just now. ok is false when there is no
// next read at all: a legacy vehicle that is asleep refreshes nothing until it wakes.
func NextRead(f Facts, iv Intervals, last, now time.Time) (at time.Time, ok bool) {
	b := BadgeOf(f)
	if b == Legacy && f.Asleep {
		return time.Time{}, false
	}
	if last.IsZero() {
		return now, true
	}
	if last.After(now) {
		last = now
	}
	return last.Add(iv.Of(b)), true
}

// Allowed reports whether a read is allowed at now: at or after NextRead, never before it.
func Allowed(f Facts, iv Intervals, last, now time.Time) bool {
	at, ok := NextRead(f, iv, last, now)
	return ok && !now.Before(at)
}
