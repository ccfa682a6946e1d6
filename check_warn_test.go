package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckWarnsShortIntervals: an interval shorter than the rule it stands for is accepted, with a warning on stderr
// naming file, line, key and rule; one under a second is a problem like any other, and check fails.
func TestCheckWarnsShortIntervals(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "fleet.toml")
	writeTestFile(t, path, oneVehicleConfig("van-1", "[policy]\nlegacy_interval = \"10s\"\nkeyless_interval = \"8h\"\n"))
	r := runCLI(t, "check", path)
	want := "warning: " + path + `:2: policy.legacy_interval: "10s" is shorter than the rule it stands for: a legacy ` +
		"vehicle's data refreshes every 5m while it is awake, so reads more often return the same data; accepted, " +
		"for tests and simulations\n"
	if r.code != 0 || r.stdout != "ok: 1 vehicle\n" || r.stderr != want {
		t.Errorf("check = %d, stdout %q, stderr %q; want 0, \"ok: 1 vehicle\\n\", %q", r.code, r.stdout, r.stderr, want)
	}

	writeTestFile(t, path, oneVehicleConfig("van-1", "[policy]\nkey_installed_interval = \"500ms\"\n"))
	r = runCLI(t, "check", path)
	want = path + `:2: policy.key_installed_interval: "500ms" is under 1s: write the interval with its unit, like ` +
		`"8h", "30m" or "90s"` + "\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("check = %d, stdout %q; want 1, %q", r.code, r.stdout, want)
	}
}

// TestE2EConfigWarningsLogged: the console starts on a config with a short interval, and its log says the warning.
func TestE2EConfigWarningsLogged(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	f := writeTestFleet(t, time.Now())
	cfg, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, f.config, string(cfg)+"\n[policy]\nkeyless_interval = \"10s\"\n")
	c := startConsole(t, bin, f, 100, 30, nil, "--config", f.config)
	c.waitScreen("the table", func(s string) bool { return strings.Contains(s, keylessName) })
	c.keys("q")
	if status := c.waitExit(); status != 0 {
		t.Errorf("fleetkey exit status after q = %d, want 0", status)
	}
	log, err := os.ReadFile(filepath.Join(f.dir, "xdg-state", "fleetkey", "fleetkey.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `policy.keyless_interval: \"10s\" is shorter than the rule`; !strings.Contains(string(log), "level=WARN") ||
		!strings.Contains(string(log), want) {
		t.Errorf("fleetkey.log = %s\nwant a WARN line holding %s", log, want)
	}
}
