package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
)

func TestChangeFeedPatchesRow(t *testing.T) {
	ch := make(chan fleet.Change, 1)
	m := newTestModel(t, 120, 30, Options{Changes: ch, Label: "live"})
	entries := testEntries()
	spare := entries[4] // never read: ready, first in the order
	if got := selectedName(m); got != "Spare Y" {
		t.Fatalf("first row = %q, want Spare Y", got)
	}
	spare.LastRead = testNow
	ch <- fleet.Change{Entry: spare, BucketLimited: true}
	m = run(t, m, waitChange(ch))
	if row := lineWith(screen(m), "Spare Y"); !strings.Contains(row, "8h00m00s") {
		t.Errorf("after the change the row = %q, want 8h00m00s to go", row)
	}
	mustContain(t, screen(m), "read Spare Y at 12:00:00", "bucket-limited")
	// the order follows at the next tick, keeping the selection on the vehicle.
	m = update(t, m, tickAt(time.Second))
	if got := selectedName(m); got != "Spare Y" {
		t.Errorf("selection moved to %q after the re-sort", got)
	}
	if m.list.cursor == 0 {
		t.Errorf("Spare Y is still first after its read; the order was not settled")
	}
	if head := strings.Split(screen(m), "\n")[0]; !strings.Contains(head, "ready 1") {
		t.Errorf("header %q, want ready 1 after the read", head)
	}
	ch <- fleet.Change{Entry: spare, Err: errors.New("smartcar 409 VEHICLE_STATE:ASLEEP"), PausedUntil: testNow.Add(time.Minute)}
	m = run(t, m, waitChange(ch))
	mustContain(t, screen(m), "read Spare Y: smartcar 409 VEHICLE_STATE:ASLEEP", "requests paused 59s")
	close(ch)
	if _, cmd := m.Update(waitChange(ch)()); cmd != nil {
		t.Errorf("a closed feed re-armed the wait")
	}
}

func TestSchedulerWideChange(t *testing.T) {
	ch := make(chan fleet.Change, 1)
	m := newTestModel(t, 120, 30, Options{Changes: ch})
	ch <- fleet.Change{Err: errors.New("credential refused: smartcar 401 AUTHENTICATION")}
	m = run(t, m, waitChange(ch))
	mustContain(t, screen(m), "reads: credential refused: smartcar 401 AUTHENTICATION")
}
