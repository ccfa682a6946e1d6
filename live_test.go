package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fleetkey/fleet/smartcar/fakeserver"
)

const fakeSecret = "s3cr3t-test-value"

// liveFake starts the fake Smartcar with three Teslas: keyless, key-installed and legacy, owned by one user.
func liveFake(t *testing.T) *fakeserver.Server {
	t.Helper()
	yes, no := true, false
	srv := fakeserver.New(fakeserver.Options{ClientID: "client_test", Secrets: []string{fakeSecret}},
		fakeserver.Car{VehicleID: "veh-keyless", UserID: "user-1", Make: "TESLA", Model: "Model 3", Year: 2022,
			VIN: "5YJ3E1EA8NF187342", KeyPaired: &no, KeyRequired: true, Battery: 61, RangeKM: 310, OdometerKM: 42000},
		fakeserver.Car{VehicleID: "veh-paired", UserID: "user-1", Make: "TESLA", Model: "Model Y", Year: 2023,
			VIN: "7SAYGDEE5PA095337", KeyPaired: &yes, Battery: 80, RangeKM: 400, OdometerKM: 12000, Online: true},
		fakeserver.Car{VehicleID: "veh-legacy", UserID: "user-1", Make: "TESLA", Model: "Model S", Year: 2016,
			VIN: "5YJSA1E21FF108417", Battery: 40, RangeKM: 200, OdometerKM: 150000},
	)
	t.Cleanup(srv.Close)
	return srv
}

// liveConfig writes a config for the fake and returns its path; the secret is only in the environment.
func liveConfig(t *testing.T, srv *fakeserver.Server, extra string) string {
	t.Helper()
	base, token := srv.Start()
	path := filepath.Join(t.TempDir(), "live.toml")
	writeTestFile(t, path, fmt.Sprintf(`state_file = "state.json"
[fleet]
source = "smartcar"
[smartcar]
client_id = "client_test"
client_secret_env = "FLEETKEY_TEST_SECRET"
api_base = %q
token_url = %q
[read]
auto = []
%s`, base, token, extra))
	t.Setenv("FLEETKEY_TEST_SECRET", fakeSecret)
	return path
}

func TestLiveListSpendsNoRead(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "[[vehicle]]\nid = \"veh-paired\"\nname = \"Depot van\"\nkey = \"installed\"\n")
	got := listJSON(t, "--config", cfg)
	if len(got) != 3 {
		t.Fatalf("list --json shows %d vehicles, want the 3 connections", len(got))
	}
	if b := got["veh-legacy"]["badge"]; b != "legacy" {
		t.Errorf("veh-legacy badge = %v, want legacy", b)
	}
	if n := got["veh-paired"]["name"]; n != "Depot van" {
		t.Errorf("overlay name = %v, want Depot van", n)
	}
	if b := got["veh-paired"]["badge"]; b != "key-installed" {
		t.Errorf("pinned key: badge = %v, want key-installed", b)
	}
	if n := srv.Requests("/v3/vehicles"); n != 0 {
		t.Errorf("list sent %d vehicle requests, want none", n)
	}
}

func TestLiveReadThenRefused(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "")
	r := runCLI(t, "--config", cfg, "read", "veh-keyless")
	if r.code != 0 {
		t.Fatalf("read: exit %d, stderr %q", r.code, r.stderr)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("read output is not JSON: %v\n%s", err, r.stdout)
	}
	if out["badge"] != "keyless" || out["vin"] != "5YJ3E1EA8NF187342" {
		t.Errorf("read learned badge %v, vin %v; want keyless and the VIN", out["badge"], out["vin"])
	}
	if strings.Contains(r.stdout+r.stderr, fakeSecret) {
		t.Errorf("the secret appears in the output")
	}
	again := runCLI(t, "--config", cfg, "read", "veh-keyless")
	if again.code != exitNotAllowed || !strings.HasPrefix(again.stdout, "next read allowed at ") {
		t.Errorf("second read: exit %d, %q; want exit 3 and the next allowed time", again.code, again.stdout)
	}
	if n := srv.ReadCount("veh-keyless"); n != 1 {
		t.Errorf("the fake saw %d reads, want 1", n)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("violations: %+v", v)
	}
}

// TestLiveCrashAfterRecording kills a real process with SIGKILL while its read is in flight (recorded, sent, not
// answered), then restarts: the new process must not read again inside the window.
func TestLiveCrashAfterRecording(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "")
	release := srv.Hold("veh-keyless")
	defer release()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReadProcess$")
	cmd.Env = append(os.Environ(), "FLEETKEY_HELPER_ARGS=--config\x1f"+cfg+"\x1fread\x1fveh-keyless")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-srv.Held("veh-keyless") // the request reached the API: the read was recorded before it left
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	release()
	r := runCLI(t, "--config", cfg, "read", "veh-keyless")
	if r.code != exitNotAllowed {
		t.Errorf("read after the crash: exit %d (%q), want 3: the crashed read must count", r.code, r.stdout+r.stderr)
	}
	if n := srv.ReadCount("veh-keyless"); n != 1 {
		t.Errorf("the fake saw %d reads, want 1", n)
	}
}

// TestHelperReadProcess is the child of TestLiveCrashAfterRecording: it runs fleetkey with FLEETKEY_HELPER_ARGS.
func TestHelperReadProcess(t *testing.T) {
	args := os.Getenv("FLEETKEY_HELPER_ARGS")
	if args == "" {
		return // not a child: nothing to do
	}
	os.Exit(run(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}
