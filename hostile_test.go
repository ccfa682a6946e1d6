package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/serve"
	"fleetkey/ui/safe"
)

const (
	hostileConfig = "testdata/cli/hostile.toml"
	// hostileName is the name of vehicle "evil" in hostileConfig: a right-to-left override, a clear-screen, a NEL.
	hostileName = "Car\u202eevil\x1b[2J\u0085"
	// hostileURL is its virtual_key_url: a right-to-left override and a NEL in a URL that url.Parse accepts.
	hostileURL = "https://www.tesla.com/_ak/fleet\u202eco.app.car\u0085"
)

// assertDrawable fails when out holds a rune a terminal would act on (see safe.IsUnsafe) other than the newline.
func assertDrawable(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if r != '\n' && safe.IsUnsafe(r) {
			t.Errorf("%s holds %U at byte %d: %q", what, r, i, out)
			return
		}
	}
}

// TestListTableHostile: the plain table draws a hostile name, make and model harmless: the sequence and the bidi
// controls gone, the NEL and the C1 CSI as U+FFFD, every column still aligned.
func TestListTableHostile(t *testing.T) {
	isolate(t)
	r := runCLI(t, "list", "--config", hostileConfig)
	want := "ID    NAME      VIN                MODEL    YEAR  BADGE    LAST READ  NEXT READ\n" +
		"evil  Carevil\uFFFD  5YJ3E1EA8NF187342  Model 3  2022  keyless  never      ready\n" +
		"old   Old S\uFFFD2J  5YJSA1E23JF245190  Model S  2018  legacy   never      ready\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("list = %d, %q, stderr %q; want 0 and\n%q", r.code, r.stdout, r.stderr, want)
	}
}

// hostileJSONFields are the lines of vehicle "evil" in list --json and read, byte for byte but for their indent:
// every unsafe rune escaped, ESC by encoding/json, the rest by writeJSON.
var hostileJSONFields = []string{
	`"name": "Car\u202eevil\u001b[2J\u0085",`,
	`"make": "Tesla\u2066",`,
	`"model": "Model 3\u200f",`,
	`"virtual_key_url": "https://www.tesla.com/_ak/fleet\u202eco.app.car\u0085",`,
}

// TestListJSONHostile: list --json escapes the hostile text and keeps it: it decodes to the configured strings.
func TestListJSONHostile(t *testing.T) {
	isolate(t)
	r := runCLI(t, "list", "--json", "--config", hostileConfig)
	if r.code != 0 {
		t.Fatalf("list --json = %d; stderr %q", r.code, r.stderr)
	}
	assertDrawable(t, "list --json", r.stdout)
	for _, line := range hostileJSONFields {
		if !strings.Contains(r.stdout, "\n    "+line+"\n") { // in an array: indented twice
			t.Errorf("list --json has no line %s:\n%s", line, r.stdout)
		}
	}
	got := listJSON(t, "--config", hostileConfig)
	want := map[string]any{"name": hostileName, "make": "Tesla\u2066", "model": "Model 3\u200f",
		"virtual_key_url": hostileURL}
	for k, v := range want {
		if got["evil"][k] != v {
			t.Errorf("evil.%s decodes to %q, want %q", k, got["evil"][k], v)
		}
	}
}

// TestReadJSONHostile: read prints the same escaped lines as list --json.
func TestReadJSONHostile(t *testing.T) {
	isolate(t)
	r := runCLI(t, "read", "--config", hostileConfig, "evil")
	if r.code != 0 {
		t.Fatalf("read = %d; stderr %q", r.code, r.stderr)
	}
	assertDrawable(t, "read", r.stdout)
	for _, line := range hostileJSONFields {
		if !strings.Contains(r.stdout, "\n  "+line+"\n") {
			t.Errorf("read has no line %s:\n%s", line, r.stdout)
		}
	}
}

// TestQRHostile: qr prints the URL's line cleaned while the code carries the URL as configured; the legacy line and
// the no-match error draw a hostile name harmless.
func TestQRHostile(t *testing.T) {
	isolate(t)
	t.Setenv("NO_COLOR", "1")
	r := runCLI(t, "qr", "--config", hostileConfig, "evil")
	code, url := splitQR(t, r.stdout)
	if want := "https://www.tesla.com/_ak/fleetco.app.car\uFFFD"; r.code != 0 || url != want {
		t.Errorf("qr evil = %d, last line %q; want 0 and %q", r.code, url, want)
	}
	assertDrawable(t, "qr evil", r.stdout)
	if got, err := decodePlainQR(code, darkTerminal); err != nil || got != hostileURL {
		t.Errorf("qr evil decodes to %q, %v; want the URL as configured, %q", got, err, hostileURL)
	}

	r = runCLI(t, "qr", "--config", hostileConfig, "old")
	if want := "Old S\uFFFD2J is a legacy vehicle: no virtual key is required\n"; r.code != 0 || r.stdout != want {
		t.Errorf("qr old = %d, %q; want 0, %q", r.code, r.stdout, want)
	}

	r = runCLI(t, "qr", "--config", hostileConfig, hostileName+"x")
	want := "fleetkey: no vehicle matches \"Carevil\uFFFDx\" (give its id, VIN or exact name)\n"
	if r.code != exitUsage || r.stderr != want {
		t.Errorf("qr <hostile> = %d, stderr %q; want %d, %q", r.code, r.stderr, exitUsage, want)
	}
}

// TestAuditHostile: the audit table draws hostile key comments and results harmless, and --json escapes them and
// keeps them.
func TestAuditHostile(t *testing.T) {
	env := isolate(t)
	cfg := filepath.Join(env.configHome, "fleetkey", "config.toml")
	writeTestFile(t, cfg, oneVehicleConfig("evil", "[serve]\naudit_log = \"audit.jsonl\"\n"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeAuditLog(t, filepath.Join(filepath.Dir(cfg), "audit.jsonl"), []serve.AuditEntry{{Time: at, Who: hostileName,
		Fingerprint: "SHA256:x\u2067", Action: serve.AuditRead, Vehicle: "evil", Result: "smartcar 500: \u202edone\x7f"}})

	r := runCLI(t, "--config", cfg, "audit")
	want := "TIME                  WHO       FINGERPRINT  ACTION  VEHICLE  RESULT\n" +
		"2026-01-02T03:04:05Z  Carevil\uFFFD  SHA256:x     read    evil     smartcar 500: done\uFFFD\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("audit = %d, %q; want 0 and\n%q", r.code, r.stdout, want)
	}

	r = runCLI(t, "--config", cfg, "audit", "--json")
	want = `{"time":"2026-01-02T03:04:05Z","who":"Car\u202eevil\u001b[2J\u0085","fingerprint":"SHA256:x\u2067",` +
		`"action":"read","vehicle":"evil","result":"smartcar 500: \u202edone\u007f"}` + "\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("audit --json = %d, %q; want 0 and\n%q", r.code, r.stdout, want)
	}
	var e serve.AuditEntry
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil || e.Who != hostileName {
		t.Errorf("audit --json decodes to who %q, %v; want %q", e.Who, err, hostileName)
	}
}

// TestLiveHostile: text from the API (a make and model in the connections listing, an error's detail) is drawn
// harmless in the table and on stderr, and escaped in read's JSON.
func TestLiveHostile(t *testing.T) {
	isolate(t)
	srv := fakeserver.New(fakeserver.Options{ClientID: "client_test", Secrets: []string{fakeSecret}},
		fakeserver.Car{VehicleID: "veh-evil", UserID: "user-1", Make: "TESLA\u202e", Model: "Model 3\u009b2J",
			Year: 2022, VIN: "5YJ3E1EA8NF187342"})
	t.Cleanup(srv.Close)
	cfg := liveConfig(t, srv, "")
	r := runCLI(t, "--config", cfg, "list")
	assertDrawable(t, "live list", r.stdout)
	if !strings.Contains(r.stdout, "  Model 3\uFFFD2J  ") {
		t.Errorf("live list = %q, want the model drawn as %q", r.stdout, "Model 3\uFFFD2J")
	}

	srv.Inject("veh-evil", 1, fakeserver.Failure{Type: "SERVER", Detail: hostileName})
	r = runCLI(t, "--config", cfg, "read", "veh-evil")
	if r.code != 1 {
		t.Fatalf("read with a failing API = %d, want 1; stderr %q", r.code, r.stderr)
	}
	assertDrawable(t, "read stdout", r.stdout)
	assertDrawable(t, "read stderr", r.stderr)
	// The client already turns the detail's C0 and C1 controls into spaces; its bidi control is left to the output.
	if !strings.Contains(r.stderr, "smartcar 500 SERVER: Carevil [2J") || !strings.HasPrefix(r.stderr, "fleetkey: ") {
		t.Errorf("read stderr = %q, want the API's detail drawn as %q", r.stderr, "Carevil [2J")
	}
	escaped := strings.Contains(r.stdout, `SERVER: Car\u202eevil [2J`) && strings.Contains(r.stdout, `"model": "Model 3\u009b2J"`)
	if !escaped {
		t.Errorf("read stdout = %s\nwant the detail and the model escaped", r.stdout)
	}
}
