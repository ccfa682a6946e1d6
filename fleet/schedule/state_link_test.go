package schedule_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

// A state_file that is a symlink stays one, and two configs naming the link and its target share one lock and one
// history, so neither can read early after the other.
func TestStateFileSymlink(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		name := map[bool]string{false: "link to a file", true: "link to a file not written yet"}[dangling]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "real", "state.json")
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				t.Fatal(err)
			}
			if !dangling {
				if _, err := ledger.OpenStateFile(target).Update(func(st ledger.State) ledger.State { return st }); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(dir, "state.json")
			if err := os.Symlink(filepath.Join("real", "state.json"), link); err != nil {
				t.Fatal(err)
			}
			viaLink, viaTarget := ledger.OpenStateFile(link), ledger.OpenStateFile(target)
			if viaLink.Path() != viaTarget.Path() {
				t.Fatalf("Path() = %s via the link, %s via the target; want one file", viaLink.Path(), viaTarget.Path())
			}
			s1 := newScheduler(testConfig(), viaLink, newFakeAPI(viaLink), target1("k"))
			if _, err := s1.ReadNow(context.Background(), "k", t0); err != nil {
				t.Fatalf("ReadNow() via the link = %v", err)
			}
			api2 := newFakeAPI(viaTarget)
			s2 := newScheduler(testConfig(), viaTarget, api2, target1("k"))
			var na *ledger.NotAllowedError
			if _, err := s2.ReadNow(context.Background(), "k", t0.Add(1)); !errors.As(err, &na) || len(api2.ids()) != 0 {
				t.Errorf("ReadNow() via the target after a read via the link = %v, want refused, nothing sent", err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the state_file link after a write: %v, %v; want it still a symlink", fi, err)
			}
			release, err := ledger.ClaimOwner(link)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			var owned *ledger.OwnedError
			if _, err := ledger.ClaimOwner(target); !errors.As(err, &owned) {
				t.Errorf("ClaimOwner(target) while the link's owner runs = %v, want *OwnedError", err)
			}
		})
	}
}

// target1 is a keyless target with id id.
func target1(id string) schedule.Target { return target(id, "keyless") }
