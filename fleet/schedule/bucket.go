package schedule

import (
	"math"
	"time"
)

// The defaults of Smartcar's application-wide request bucket.
const (
	DefaultBucketSize      = 120 // requests the bucket holds
	DefaultRefillPerMinute = 2.0 // requests the bucket regains per minute
)

// bucket is the scheduler's copy of the API's application-wide token bucket: size tokens, one more every `every`,
// never more than size. It is kept as GCRA, the time at which the bucket is full again, in integer nanoseconds, so
// it has no rounding drift: a token the scheduler counts on exists on the server to the nanosecond, provided both
// started full. every is rounded up, so a refill rate that does not divide a minute errs on the slow side.
type bucket struct {
	size  int
	every time.Duration // one token per every
	depth time.Duration // size × every: how far full may run ahead of now
	full  time.Time     // the bucket is full from this time on; the zero time means full
}

// newBucket returns a full bucket of size tokens regaining perMinute tokens a minute. size < 1 is taken as 1 and a
// rate that is not positive as one token a minute.
func newBucket(size int, perMinute float64) bucket {
	size = max(size, 1)
	if !(perMinute > 0) {
		perMinute = 1
	}
	every := time.Duration(math.Ceil(float64(time.Minute) / perMinute))
	every = max(every, 1)
	depth := time.Duration(math.MaxInt64)
	if int64(size) < math.MaxInt64/int64(every) {
		depth = time.Duration(size) * every
	}
	return bucket{size: size, every: every, depth: depth}
}

// base returns when the tokens taken so far are paid back from: full, or now when the bucket is already full.
func (b *bucket) base(now time.Time) time.Time {
	return later(b.full, now)
}

// take takes one token at now; false (and nothing taken) when the bucket is empty.
func (b *bucket) take(now time.Time) bool {
	next := b.base(now).Add(b.every)
	if next.Sub(now) > b.depth {
		return false
	}
	b.full = next
	return true
}

// spend takes one token at now even when the bucket is empty: a request that was sent anyway (listing the vehicles)
// must be counted, or the copy would run ahead of the server's bucket.
func (b *bucket) spend(now time.Time) {
	b.full = b.base(now).Add(b.every)
}

// give puts back a token that was taken and not spent (a read the gate refused after all).
func (b *bucket) give() {
	b.full = b.full.Add(-b.every)
}

// drain empties the bucket at now: the API said it is empty, so the copy was wrong (another process shares the
// credential, or this one restarted): count from empty.
func (b *bucket) drain(now time.Time) {
	b.full = now.Add(b.depth)
}

// tokens returns the tokens left at now, fractions included.
func (b *bucket) tokens(now time.Time) float64 {
	owed := b.base(now).Sub(now)
	return float64(b.depth-owed) / float64(b.every)
}

// nextToken returns the earliest time, not before now, at which take succeeds.
func (b *bucket) nextToken(now time.Time) time.Time {
	return later(now, b.full.Add(b.every-b.depth))
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
