package fakeserver

import "time"

// bucket is the app-wide token bucket of size requests, refilled continuously at perMinute (2/min is one every
// 30 s), kept as a generic cell rate algorithm so that it is exact to the nanosecond: tat is the time at which the
// bucket would be full again, and a request is allowed when that is no more than (size-1) periods away.
type bucket struct {
	period    time.Duration // time to refill one request
	tolerance time.Duration // (size-1) periods: the burst a full bucket allows
	tat       time.Time
}

func newBucket(size int, perMinute float64, now time.Time) bucket {
	period := max(time.Duration(float64(time.Minute)/perMinute), 1)
	return bucket{period: period, tolerance: time.Duration(size-1) * period, tat: now}
}

// take spends one request if the bucket holds one; otherwise it reports how long until it will.
func (b *bucket) take(now time.Time) (ok bool, wait time.Duration) {
	tat := b.tat
	if now.After(tat) {
		tat = now
	}
	if ahead := tat.Sub(now); ahead > b.tolerance {
		return false, ahead - b.tolerance
	}
	b.tat = tat.Add(b.period)
	return true, 0
}
