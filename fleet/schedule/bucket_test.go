package schedule

import (
	"math"
	"testing"
	"time"
)

// bucketBase is the fixed clock of the bucket tests.
var bucketBase = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestBucketTake(t *testing.T) {
	t0 := bucketBase
	tests := []struct {
		name      string
		size      int
		perMinute float64
		takes     []time.Duration // offsets from t0 of each attempt, in order
		want      []bool
	}{
		{name: "full bucket gives size tokens at once", size: 3, perMinute: 2,
			takes: []time.Duration{0, 0, 0, 0}, want: []bool{true, true, true, false}},
		{name: "one token per interval after that", size: 2, perMinute: 2,
			takes: []time.Duration{0, 0, 30*time.Second - 1, 30 * time.Second, 30 * time.Second},
			want:  []bool{true, true, false, true, false}},
		{name: "refill stops at size", size: 2, perMinute: 2,
			takes: []time.Duration{0, time.Hour, time.Hour, time.Hour}, want: []bool{true, true, true, false}},
		{name: "rate that does not divide a minute rounds the interval up", size: 1, perMinute: 7,
			takes: []time.Duration{0, 8571428571, 8571428572}, want: []bool{true, false, true}},
		{name: "size below one is one", size: 0, perMinute: 60, takes: []time.Duration{0, 0}, want: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(tt.size, tt.perMinute)
			for i, d := range tt.takes {
				if got := b.take(t0.Add(d)); got != tt.want[i] {
					t.Fatalf("take #%d at t0+%v = %v, want %v", i, d, got, tt.want[i])
				}
			}
		})
	}
}

func TestBucketTokensAndNext(t *testing.T) {
	t0 := bucketBase
	b := newBucket(120, 2)
	if got := b.tokens(t0); got != 120 {
		t.Errorf("tokens(full) = %v, want 120", got)
	}
	if got := b.nextToken(t0); !got.Equal(t0) {
		t.Errorf("nextToken(full) = %v, want now %v", got, t0)
	}
	for range 120 {
		if !b.take(t0) {
			t.Fatal("take() = false before 120 tokens were taken")
		}
	}
	if got := b.tokens(t0); got != 0 {
		t.Errorf("tokens(after 120) = %v, want 0", got)
	}
	if got, want := b.nextToken(t0), t0.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("nextToken(empty) = %v, want %v", got, want)
	}
	if got := b.tokens(t0.Add(45 * time.Second)); got != 1.5 {
		t.Errorf("tokens(45s after empty) = %v, want 1.5", got)
	}
	b.give()
	if got := b.tokens(t0); got != 1 {
		t.Errorf("tokens(after give) = %v, want 1", got)
	}
	b.drain(t0.Add(time.Hour))
	if got, want := b.nextToken(t0.Add(time.Hour)), t0.Add(time.Hour+30*time.Second); !got.Equal(want) {
		t.Errorf("nextToken(drained) = %v, want %v", got, want)
	}
	if got := b.tokens(t0.Add(time.Hour)); got != 0 {
		t.Errorf("tokens(drained) = %v, want 0", got)
	}
}

func TestBucketHugeSize(t *testing.T) {
	b := newBucket(math.MaxInt, 2)
	for i := range 1000 {
		if !b.take(bucketBase) {
			t.Fatalf("take #%d of a bucket of MaxInt tokens = false, want true", i)
		}
	}
}

// TestBucketMatchesCount checks the GCRA against a plain count: over any run of takes at every possible moment,
// the tokens taken by t never exceed size + refills by t, and a take fails only when they would.
func TestBucketMatchesCount(t *testing.T) {
	b := newBucket(5, 2)
	taken := 0
	for s := range 600 { // one attempt per second for ten minutes, two at every tenth second
		now := bucketBase.Add(time.Duration(s) * time.Second)
		for range 1 + btoi(s%10 == 0) {
			allowed := 5 + s/30 // size + refills so far, when taking as fast as allowed from the start
			if got := b.take(now); got != (taken < allowed) {
				t.Fatalf("take() at +%ds = %v with %d taken, %d allowed", s, got, taken, allowed)
			} else if got {
				taken++
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
