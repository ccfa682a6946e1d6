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

// A ledger path that is a symlink stays one, and two configs naming the link and its target share one database and
// one history, so neither can read early after the other.
func TestLedgerSymlink(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		name := map[bool]string{false: "link to a file", true: "link to a file not written yet"}[dangling]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "real", "ledger.db")
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "ledger.db")
			if err := os.Symlink(filepath.Join("real", "ledger.db"), link); err != nil {
				t.Fatal(err)
			}
			var viaLink, viaTarget *fileLedger
			if dangling {
				viaLink, viaTarget = openLedger(t, link, ledger.State{}), openLedger(t, target, ledger.State{})
			} else {
				viaTarget, viaLink = openLedger(t, target, ledger.State{}), openLedger(t, link, ledger.State{})
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
				t.Errorf("the ledger link after a write: %v, %v; want it still a symlink", fi, err)
			}
		})
	}
}

// target1 is a keyless target with id id.
func target1(id string) schedule.Target { return target(id, "keyless") }
