package ui

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestClockCountsAsASortedSlice: a clock split into parts counts exactly as one sorted slice of the same times does,
// through inserts and removes that split and empty parts, with many equal times, and a clone's edits never change
// the clock it was cloned from (the Rows a console still shows).
func TestClockCountsAsASortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var c clock
	var want []int64
	for range 5000 {
		v := rng.Int64N(3000) // few distinct values: equal times cross part boundaries
		c.vals, want = append(c.vals, v), append(want, v)
	}
	c.sort()
	slices.Sort(want)
	for step := range 20000 {
		before, kept := c, slices.Clone(want)
		c = c.clone()
		v := rng.Int64N(3200)
		if rng.IntN(2) == 0 {
			c.insert(v)
			i, _ := slices.BinarySearch(want, v)
			want = slices.Insert(want, i, v)
		} else {
			c.remove(v)
			if i, ok := slices.BinarySearch(want, v); ok {
				want = slices.Delete(want, i, i+1)
			}
		}
		if !slices.Equal(slices.Concat(before.parts...), kept) {
			t.Fatalf("step %d: an edit of a clone changed the clock it was cloned from", step)
		}
		at := rng.Int64N(3300) - 50
		got := c.upTo(time.Unix(0, at))
		n, _ := slices.BinarySearch(want, at+1)
		if got != n {
			t.Fatalf("step %d: upTo(%d) = %d, want %d", step, at, got, n)
		}
		for _, p := range c.parts {
			if len(p) == 0 || len(p) > 2*clockPart || !slices.IsSorted(p) {
				t.Fatalf("step %d: a part of %d times (sorted %v)", step, len(p), slices.IsSorted(p))
			}
		}
	}
	if got := c.upTo(time.Unix(0, 1<<62)); got != len(want) {
		t.Errorf("upTo(end) = %d, want %d", got, len(want))
	}
}
