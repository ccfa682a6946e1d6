package serve

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/fleet/smartcar"
	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// liveFleet is a live fleet over the fake Smartcar serving cars. Its scheduler reads nothing by itself (no badge is
// automatic, and it is not running), so every read the fake sees was asked for from a console.
func liveFleet(t *testing.T, cars ...fakeserver.Car) (*fleet.Fleet, *fakeserver.Server) {
	t.Helper()
	srv := fakeserver.New(fakeserver.Options{}, cars...)
	base, token := srv.Start()
	t.Cleanup(srv.Close)
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret", APIBase: base,
		TokenURL: token, MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	store := ledger.NewMemoryStore(ledger.State{})
	api := fleet.NewSmartcarAPI(client, "live", time.Now)
	sched := schedule.New(schedule.Config{Intervals: policy.DefaultIntervals(), Jitter: -1}, store, api)
	f := fleet.NewLive(config.Config{Intervals: policy.DefaultIntervals(), Account: config.Account{Plan: config.PlanFree}},
		store, api, sched)
	if err := f.Refresh(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	return f, srv
}

// keyless is a Tesla without the virtual key, never read: "ready", and after one read, 8 hours to wait.
func keyless(id string) fakeserver.Car {
	no := false
	return fakeserver.Car{VehicleID: id, UserID: "user-1", Make: "TESLA", Model: "Model 3", Year: 2022,
		VIN: "5YJ3E1EA8NF187342", KeyPaired: &no, KeyRequired: true, Battery: 61}
}

// rowOf returns the screen's line that shows vehicle id: its name ends with the id's first 8 characters, of which
// the first 6 still show in a 100-column table.
func rowOf(screen, id string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, id[:6]) {
			return l
		}
	}
	return ""
}

var (
	isReady   = regexp.MustCompile(`\bready\b`)
	isAbout8h = regexp.MustCompile(`\b(7h59m|8h00m)\d\ds\b`)
)

// TestViewerCannotRead: a viewer's r sends nothing to the API.
func TestViewerCannotRead(t *testing.T) {
	f, fake := liveFleet(t, keyless("veh-keyless"))
	h := startServer(t, f, Config{})
	tm := h.open(t, h.bob)
	tm.until(t, "the vehicle ready", func(s string) bool { return isReady.MatchString(rowOf(s, "veh-keyless")) })
	tm.send(t, "r?") // the help screen shows only once the r before it was handled
	tm.shows(t, "page up")
	if n := fake.Requests("/v3/vehicles"); n != 0 {
		t.Errorf("after a viewer's r the fake saw %d vehicle requests, want 0", n)
	}
	if entries := readAudit(t, h.audit); len(entries) != 0 {
		t.Errorf("audit after a viewer's r = %+v, want nothing", entries)
	}
}

// TestOperatorReadSeenByViewer: an operator's read shows in another session's countdown at once, and is audited.
func TestOperatorReadSeenByViewer(t *testing.T) {
	f, fake := liveFleet(t, keyless("veh-keyless"))
	h := startServer(t, f, Config{})
	viewer, operator := h.open(t, h.bob), h.open(t, h.alice)
	ready := func(s string) bool { return isReady.MatchString(rowOf(s, "veh-keyless")) }
	viewer.until(t, "the vehicle ready", ready)
	operator.until(t, "the vehicle ready", ready)
	operator.send(t, "r") // a keyless vehicle's only read in 8h: the console asks first
	operator.until(t, "the question before the read", func(s string) bool { return strings.Contains(s, "y to read") })
	operator.send(t, "y")
	row := rowOf(viewer.until(t, "about 8h to wait in the viewer's screen", func(s string) bool {
		return isAbout8h.MatchString(rowOf(s, "veh-keyless"))
	}), "veh-keyless")
	t.Logf("viewer's row after the read: %s", strings.TrimSpace(row))
	checkReadAudited(t, h, "veh-keyless") // first: the viewer may see the read before it reaches the fake
	if n := fake.ReadCount("veh-keyless"); n != 1 {
		t.Errorf("the fake saw %d reads, want 1", n)
	}
}

// checkReadAudited checks the audit's one entry, of alice's read of id. The actor writes it once the read has
// returned, which another session may see first, and nothing tells of the write: this waits by polling the file.
func checkReadAudited(t *testing.T, h *harness, id string) {
	t.Helper()
	entries := readAudit(t, h.audit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.After(wait); len(entries) == 0; entries = readAudit(t, h.audit) {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no audit entry within %s of the read", wait)
		}
	}
	if len(entries) != 1 {
		t.Fatalf("audit = %+v, want one entry", entries)
	}
	want := AuditEntry{Who: "alice@laptop", Fingerprint: h.alice.fingerprint(), Action: AuditRead,
		Vehicle: id, Result: "ok"}
	got := entries[0]
	if got.Who != want.Who || got.Fingerprint != want.Fingerprint || got.Action != want.Action ||
		got.Vehicle != want.Vehicle || got.Result != want.Result || time.Since(got.Time) > time.Minute {
		t.Errorf("audit entry = %+v, want %+v at about now", got, want)
	}
}

// heavyGlyph is one terminal cell of 17 bytes: a letter with eight combining accents. Names of them make the
// most bytes for the least rendering, so a stalled client's 2 MB SSH window fills in seconds even under -race.
const heavyGlyph = "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308"

// manyCars is n keyless cars with long, heavy names, so that a large terminal has a lot to draw.
func manyCars(n int) []fakeserver.Car {
	cars := make([]fakeserver.Car, n)
	for i := range cars {
		c := keyless(fmt.Sprintf("veh-%05d", i))
		c.VIN = fmt.Sprintf("5YJ3E1EA8NF%06d", i)
		c.Model = "Model 3 " + strings.Repeat(heavyGlyph, 300)
		cars[i] = c
	}
	return cars
}
