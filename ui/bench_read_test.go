package ui

import (
	"strconv"
	"testing"
	"time"

	"fleetkey/fleet"
)

// BenchmarkTickAfterRead is one second of a console whose fleet had one read: the read's change through Update,
// then the tick (BenchmarkView is the frame drawn after it). The read moves its vehicle from the top of the order (the soonest read) to the bottom
// (8 hours away), the largest move a read makes.
//
//	go test ./ui -run '^$' -bench TickAfterRead -benchtime 200x -count 3
func BenchmarkTickAfterRead(b *testing.B) {
	for _, n := range fleetSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			entries := bigFleet(n)
			m := newTestModel(b, 100, 30, Options{Entries: entries, Records: noRecords{}})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				now := testNow.Add(time.Duration(i) * time.Second)
				e := entries[(i*7919)%n]
				e.LastRead = now
				next, _ := m.Update(changeMsg{change: fleet.Change{Entry: e}, ok: true})
				next, _ = next.(Model).Update(tickMsg(now))
				m = next.(Model)
			}
		})
	}
}
