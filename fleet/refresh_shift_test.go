package fleet_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// A vehicle disconnected while a refresh pages shifts the later pages up by one, so one connected vehicle lands on a
// page already read. The refresh sees the total change and is not sure it saw the whole fleet: no kept vehicle is
// dropped (the shifted one stays), and the next refresh, on a fleet that holds still, drops the disconnected one.
func TestRefreshKeepsWhatAShiftHid(t *testing.T) {
	rig := newPagedRig(t, 250)
	ctx := context.Background()
	store := rig.open(t)
	f := rig.fleet(t, store)
	if err := f.Refresh(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	rig.proxy.set(3, "500")
	if err := f.Refresh(ctx, time.Now()); err == nil {
		t.Fatal("Refresh with page 3 failing = nil, want it stopped")
	}
	rig.remove(t, "car-249") // listed first, on page 1: every later vehicle moves up one place
	rig.proxy.set(0, "")
	if err := f.RefreshPaced(ctx, time.Now()); err != nil {
		t.Fatalf("RefreshPaced after the removal: %v", err)
	}
	got := entryIDs(t, f)
	if !slices.Contains(got, "car-049") {
		t.Errorf("after a refresh that the removal shifted, car-049 (still connected) is gone: %d entries", len(got))
	}
	if l := f.Listed(); l.Stale || l.Err == nil || !strings.Contains(l.Err.Error(), "changed while it was listed") {
		t.Errorf("Listed() = %+v, want not stale, and an error saying the fleet changed while listed", l)
	}
	if err := f.Refresh(ctx, time.Now()); err != nil {
		t.Fatalf("Refresh of a fleet that holds still: %v", err)
	}
	want := slices.DeleteFunc(slices.Clone(rig.ids), func(id string) bool { return id == "car-249" })
	if got := entryIDs(t, f); !slices.Equal(got, want) {
		t.Errorf("after a sure refresh %d entries, want the 249 connected", len(got))
	}
	checkKept(t, store, want, true)
	checkListed(t, f, 0, 0)
}
