package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
)

// The live test vehicles of the read-truth scenarios: a keyless Model 3 and a key-installed Model Y, connected by one
// user; the config names them and pins their keys.
const (
	truthKeylessID = "veh-keyless"
	truthPairedID  = "veh-paired"
)

// TestE2EReadTruth runs the real binary in a real terminal (tmux) against the fake Smartcar in this process: r on a
// keyless vehicle asks before it spends the vehicle's only read in 8h, and a vehicle stopped by a 430 says so on its
// row. One build, then each scenario in its own tmux server and with its own fake, in parallel.
func TestE2EReadTruth(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, bin string)
	}{
		{"confirm-keyless", e2eConfirmKeyless},
		{"billing-row", e2eBillingRow},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, bin)
		})
	}
}

// e2eConfirmKeyless: r on the keyless vehicle shows the question and sends nothing; another key cancels it (still
// nothing sent); r then y sends exactly one read, and the countdown shows the 8h budget.
func e2eConfirmKeyless(t *testing.T, bin string) {
	srv, f := startTruthFleet(t)
	c := startConsole(t, bin, f, 100, 30, []string{secretEnv}, "--config", f.config)
	c.waitScreen("the table", func(s string) bool { return strings.Contains(s, keylessName) })
	selectVehicle(c, "Keyless")
	const question = "this spends " + keylessName + "'s only read for 8h"

	c.keys("r")
	c.waitScreen("the question", func(s string) bool { return strings.Contains(s, question) })
	if n := srv.ReadCount(truthKeylessID); n != 0 {
		t.Fatalf("reads of %s while the question is open = %d, want 0", truthKeylessID, n)
	}
	c.keys("n")
	screen := c.waitScreen(`"cancelled"`, func(s string) bool { return strings.Contains(s, "cancelled: not read") })
	if n := srv.ReadCount(truthKeylessID); n != 0 {
		t.Fatalf("reads of %s after n = %d, want 0", truthKeylessID, n)
	}
	if cell, _, _ := countdownOf(screen, keylessName); cell != "ready" {
		t.Errorf("after the cancelled read the countdown of %s = %q, want still ready; screen:\n%s", keylessName, cell, screen)
	}

	c.keys("r")
	c.waitScreen("the question again", func(s string) bool { return strings.Contains(s, question) })
	c.keys("y")
	// While the read is in flight the row counts from its reservation (its time plus the 30 s send window); once
	// answered, from the answer: about 8h00m00s.
	c.waitScreen("the read's countdown, about 8h00m00s", func(s string) bool {
		_, d, ok := countdownOf(s, keylessName)
		return ok && d >= 8*time.Hour-10*time.Second && d <= 8*time.Hour
	})
	if n := srv.ReadCount(truthKeylessID); n != 1 {
		t.Errorf("reads of %s after y = %d, want exactly 1", truthKeylessID, n)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("the fake saw reads the rules forbid: %+v", v)
	}
	c.keys("q")
	if status := c.waitExit(); status != 0 {
		t.Errorf("fleetkey exit status after q = %d, want 0", status)
	}
}

// e2eBillingRow: a key-installed vehicle is read at once (no question); the API answers 430, and its row then says
// billing and stopped, not asleep, and its detail says why.
func e2eBillingRow(t *testing.T, bin string) {
	srv, f := startTruthFleet(t)
	srv.Inject(truthPairedID, 1, fakeserver.Failure{Type: "BILLING", Code: "VEHICLE_LIMIT"})
	c := startConsole(t, bin, f, 100, 30, []string{secretEnv}, "--config", f.config)
	c.waitScreen("the table", func(s string) bool { return strings.Contains(s, pairedName) })
	selectVehicle(c, "Paired")
	c.keys("r")
	screen := c.waitScreen("the billing mark", func(s string) bool {
		row, _ := rowOf(s, pairedName)
		return strings.Contains(row, "■ billing")
	})
	row, _ := rowOf(screen, pairedName)
	if !strings.Contains(row, " stopped ") || strings.Contains(row, "asleep") {
		t.Errorf("row of the billing-stopped %s = %q, want NEXT READ stopped and no asleep; screen:\n%s", pairedName, row, screen)
	}
	if n := srv.ReadCount(truthPairedID); n != 1 {
		t.Errorf("reads of %s after r = %d, want 1, sent without a question", truthPairedID, n)
	}
	c.keys("Enter")
	c.waitScreen("the State line", func(s string) bool {
		return strings.Contains(s, "State     ■ billing: reads stopped since") && strings.Contains(s, "BILLING:VEHICLE_LIMIT")
	})
}

// startTruthFleet serves the fake with the two cars on a loopback port and writes a live config for it, with no
// automatic reads: every read is one the test asks for.
func startTruthFleet(t *testing.T) (*fakeserver.Server, testFleet) {
	t.Helper()
	yes, no := true, false
	srv := fakeserver.New(fakeserver.Options{ClientID: "client_test", Secrets: []string{fakeSecret}},
		fakeserver.Car{VehicleID: truthKeylessID, UserID: "user-1", Make: "TESLA", Model: "Model 3", Year: 2022,
			VIN: "5YJ3E1EA8NF187342", KeyPaired: &no, KeyRequired: true, Battery: 61, RangeKM: 310, OdometerKM: 42000},
		fakeserver.Car{VehicleID: truthPairedID, UserID: "user-1", Make: "TESLA", Model: "Model Y", Year: 2023,
			VIN: "7SAYGDEE5PA095337", KeyPaired: &yes, Battery: 80, RangeKM: 400, OdometerKM: 12000, Online: true})
	base, token := srv.Start()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	f := testFleet{dir: dir, config: filepath.Join(dir, "config.toml"), stateFile: filepath.Join(dir, "state", "state.json")}
	writeTestFile(t, f.config, fmt.Sprintf(`state_file = %q
[fleet]
source = "smartcar"
[smartcar]
client_id = "client_test"
client_secret_env = "FLEETKEY_TEST_SECRET"
api_base = %q
token_url = %q
[read]
auto = []

[[vehicle]]
id = %q
name = %q
key = "missing"

[[vehicle]]
id = %q
name = %q
key = "installed"
`, f.stateFile, base, token, truthKeylessID, keylessName, truthPairedID, pairedName))
	return srv, f
}
