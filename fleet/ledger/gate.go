package ledger

import (
	"errors"
	"fmt"
	"time"

	"fleetkey/policy"
)

// Facts returns the facts the rules judge a vehicle by: configured, the facts of its configuration, with the key status
// learned into the record when the configuration does not pin one.
func (r Record) Facts(configured policy.Facts) policy.Facts {
	if configured.Key == policy.KeyUnknown {
		configured.Key = r.LearnedKey()
	}
	return configured
}

// NextRead is the one gate of every read, by the console or the scheduler: the rules' next read after last (the later
// of the record's ReadAt and a last read known from elsewhere) for a vehicle of facts f, not before r.NotBefore, and
// none while r says reads are stopped.
func (r Record) NextRead(f policy.Facts, last time.Time, iv policy.Intervals, now time.Time) (time.Time, bool) {
	if r.Stopped != "" {
		return time.Time{}, false
	}
	at, ok := policy.NextRead(f, iv, last, now)
	if !ok {
		return time.Time{}, false
	}
	if !r.ReservedAt.IsZero() { // a read not ended counts from its recorded time, even one ahead of now
		at = later(at, r.ReservedAt.Add(iv.Of(policy.BadgeOf(f))))
	}
	return later(at, r.NotBefore), true
}

// ErrNotAllowed is what a read refused by the budget rules wraps.
var ErrNotAllowed = errors.New("read not allowed yet")

// NotAllowedError says why a read was refused and when the next one is allowed.
type NotAllowedError struct {
	ID      string
	Next    time.Time // zero when there is no next read (asleep legacy, reads stopped)
	Stopped string    // why reads are stopped, when they are
}

func (e *NotAllowedError) Error() string {
	switch {
	case e.Stopped != "":
		return fmt.Sprintf("vehicle %s: reads stopped: %s", e.ID, e.Stopped)
	case e.Next.IsZero():
		return fmt.Sprintf("vehicle %s is asleep: no read until it wakes", e.ID)
	}
	return fmt.Sprintf("vehicle %s: next read allowed at %s", e.ID, e.Next.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }
