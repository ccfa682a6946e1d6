package fleet

import (
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// demoElapsed are the fractions of a badge's interval that have passed since each demo vehicle's last read, taken in
// turn per badge, so the demo shows a live mix: some ready, some seconds or minutes away, some hours.
var demoElapsed = []float64{1.5, 0.45, 0.997, 0.1, 0.8}

// DemoState returns read history for the demo fleet relative to now. It is kept in memory only: the demo never writes
// the user's state file.
func DemoState(vs []Vehicle, iv policy.Intervals, now time.Time) ledger.State {
	st := ledger.State{Vehicles: map[string]ledger.Record{}}
	seen := map[policy.Badge]int{}
	for _, v := range vs {
		b := policy.BadgeOf(v.Facts())
		f := demoElapsed[seen[b]%len(demoElapsed)]
		seen[b]++
		ago := time.Duration(f * float64(iv.Of(b))).Truncate(time.Second)
		st.Vehicles[v.ID] = ledger.Record{LastReadAt: now.Add(-ago)}
	}
	return st
}
