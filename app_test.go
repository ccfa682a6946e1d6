package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cliResult is what one in-process run of fleetkey printed and returned.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs fleetkey with args in-process, with /dev/null as stdin (never a terminal).
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var stdout, stderr bytes.Buffer
	code := run(args, devnull, &stdout, &stderr)
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// cliEnv is the isolated environment of one test.
type cliEnv struct {
	configHome string // $XDG_CONFIG_HOME
	statePath  string // the default state file, under $XDG_STATE_HOME
}

// isolate points every path fleetkey reads or writes into t.TempDir, so a test never touches the real home, and
// clears the variables that change its output.
func isolate(t *testing.T) cliEnv {
	t.Helper()
	home := t.TempDir()
	env := cliEnv{
		configHome: filepath.Join(home, "config"),
		statePath:  filepath.Join(home, "state", "fleetkey", "state.json"),
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", env.configHome)
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	for _, k := range []string{"FLEETKEY_CONFIG", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLORTERM"} {
		t.Setenv(k, "")
	}
	t.Setenv("TERM", "dumb")
	return env
}

// writeTestFile writes text to path, creating its directory.
func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// oneVehicleConfig returns a valid config of a single keyless vehicle with the given id, plus extra top-level lines.
func oneVehicleConfig(id, top string) string {
	return top + `
[[vehicle]]
id = "` + id + `"
vin = "5YJ3E1EA8NF187342"
make = "Tesla"
model = "Model 3"
year = 2022
key = "missing"
`
}

// listIDs runs `list --json` with args and returns the ids it printed, in order.
func listIDs(t *testing.T, args ...string) []string {
	t.Helper()
	r := runCLI(t, args...)
	if r.code != 0 {
		t.Fatalf("run(%q) = %d, want 0; stderr: %s", args, r.code, r.stderr)
	}
	var out []struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("run(%q) printed %q: %v", args, r.stdout, err)
	}
	ids := make([]string, len(out))
	for i, v := range out {
		ids[i] = v.ID
	}
	return ids
}

// demoIDs are the vehicles of config.example.toml, the demo fleet.
var demoIDs = []string{
	"hq-exec-1", "hq-exec-2", "airport-x1", "airport-x2", "hq-exec-3", "depot3-van-1", "depot3-van-2",
	"depot3-van-3", "field-n1", "field-n2", "field-s1", "loaner-7",
}

func TestConfigResolution(t *testing.T) {
	tests := []struct {
		name              string
		flag, envVar, xdg bool
		flagAfterCommand  bool
		want              []string
	}{
		{name: "flag beats env and xdg", flag: true, envVar: true, xdg: true, want: []string{"from-flag"}},
		{name: "flag after the command", flag: true, envVar: true, xdg: true, flagAfterCommand: true,
			want: []string{"from-flag"}},
		{name: "env beats xdg", envVar: true, xdg: true, want: []string{"from-env"}},
		{name: "xdg default", xdg: true, want: []string{"from-xdg"}},
		{name: "none is the demo", want: demoIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := isolate(t)
			dir := t.TempDir()
			flagPath := filepath.Join(dir, "flag.toml")
			writeTestFile(t, flagPath, oneVehicleConfig("from-flag", ""))
			if tt.envVar {
				envPath := filepath.Join(dir, "env.toml")
				writeTestFile(t, envPath, oneVehicleConfig("from-env", ""))
				t.Setenv("FLEETKEY_CONFIG", envPath)
			}
			if tt.xdg {
				writeTestFile(t, filepath.Join(env.configHome, "fleetkey", "config.toml"), oneVehicleConfig("from-xdg", ""))
			}
			args := []string{"list", "--json"}
			switch {
			case tt.flag && tt.flagAfterCommand:
				args = append(args, "--config", flagPath)
			case tt.flag:
				args = append([]string{"--config", flagPath}, args...)
			}
			if got := listIDs(t, args...); !slices.Equal(got, tt.want) {
				t.Errorf("run(%q) listed %q, want %q", args, got, tt.want)
			}
		})
	}
}

func TestNamedConfigMissing(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		envVar bool
	}{
		{name: "--config", args: []string{"--config", "MISSING", "list"}},
		{name: "--config after the command", args: []string{"list", "--json", "--config", "MISSING"}},
		{name: "$FLEETKEY_CONFIG", args: []string{"list"}, envVar: true},
		{name: "$FLEETKEY_CONFIG, qr", args: []string{"qr", "hq-exec-3"}, envVar: true},
		{name: "$FLEETKEY_CONFIG, no command", args: nil, envVar: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			missing := filepath.Join(t.TempDir(), "nope.toml")
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "MISSING" {
					args[i] = missing
				}
			}
			if tt.envVar {
				t.Setenv("FLEETKEY_CONFIG", missing)
			}
			r := runCLI(t, args...)
			if r.code != 1 {
				t.Errorf("run(%q) = %d, want 1", args, r.code)
			}
			if !strings.Contains(r.stderr, missing) {
				t.Errorf("run(%q) stderr = %q, want it to name %s", args, r.stderr, missing)
			}
			if strings.Contains(r.stdout, "hq-exec") {
				t.Errorf("run(%q) stdout = %q, want no demo fleet", args, r.stdout)
			}
		})
	}
}

func TestCorruptStateStops(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// inConfig puts the state file at a path named by the config's state_file instead of the default.
		inConfig bool
	}{
		{name: "list", args: []string{"list"}},
		{name: "list --json", args: []string{"list", "--json"}},
		{name: "qr", args: []string{"qr", "only"}},
		{name: "no command", args: nil},
		{name: "state_file from the config", args: []string{"list"}, inConfig: true},
	}
	const corrupt = `{"version": 1, "vehicles": {"only": {"last_read_at": "2025-`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := isolate(t)
			statePath, top := env.statePath, ""
			if tt.inConfig {
				statePath = filepath.Join(t.TempDir(), "custom", "state.json")
				top = `state_file = "` + statePath + `"` + "\n"
			}
			cfgPath := filepath.Join(t.TempDir(), "config.toml")
			writeTestFile(t, cfgPath, oneVehicleConfig("only", top))
			writeTestFile(t, statePath, corrupt)
			t.Setenv("FLEETKEY_CONFIG", cfgPath)

			r := runCLI(t, tt.args...)
			if r.code != 1 {
				t.Errorf("run(%q) = %d, want 1; stdout: %s", tt.args, r.code, r.stdout)
			}
			for _, want := range []string{statePath, "corrupt", "will not reset"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, r.stderr, want)
				}
			}
			if strings.Contains(r.stdout, "only") {
				t.Errorf("run(%q) stdout = %q, want no fleet listed", tt.args, r.stdout)
			}
			if got, err := os.ReadFile(statePath); err != nil || string(got) != corrupt {
				t.Errorf("state file after run(%q) = %q, %v; want it unchanged: %q", tt.args, got, err, corrupt)
			}
		})
	}
}

func TestNoTerminalPrintsList(t *testing.T) {
	isolate(t)
	r := runCLI(t)
	if r.code != 0 {
		t.Fatalf("run(nil) = %d, want 0; stderr: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 1+len(demoIDs) || !strings.HasPrefix(lines[0], "ID ") {
		t.Errorf("run(nil) stdout = %q, want the list's header and %d demo rows", r.stdout, len(demoIDs))
	}
	hint := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(hint, "\n") || !strings.Contains(hint, "no terminal") ||
		!strings.Contains(hint, "fleetkey list --json") {
		t.Errorf("run(nil) stderr = %q, want a one-line hint about the missing terminal", r.stderr)
	}
}

func TestVersionHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // the whole of stdout
		wantStderr string // a part of stderr
	}{
		{name: "version", args: []string{"--version"}, wantStdout: "fleetkey dev\n"},
		{name: "help", args: []string{"--help"}, wantStderr: "fleetkey list [--json]"},
		{name: "-h", args: []string{"-h"}, wantStderr: "fleetkey check [FILE]"},
		{name: "list help", args: []string{"list", "--help"}, wantStderr: "Usage: fleetkey list [--json]"},
		{name: "qr help", args: []string{"qr", "--help"}, wantStderr: "Usage: fleetkey qr [--invert] VEHICLE"},
		{name: "check help", args: []string{"check", "--help"}, wantStderr: "Usage: fleetkey check [FILE]"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2,
			wantStderr: `fleetkey: unknown command "frobnicate"`},
		{name: "bad global flag", args: []string{"--nope"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -nope"},
		{name: "bad list flag", args: []string{"list", "--nope"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -nope"},
		{name: "bad qr flag", args: []string{"qr", "--nope", "x"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -nope"},
		{name: "qr without vehicle", args: []string{"qr"}, wantCode: 2, wantStderr: "Usage: fleetkey qr"},
		{name: "qr with two vehicles", args: []string{"qr", "a", "b"}, wantCode: 2, wantStderr: "Usage: fleetkey qr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d", tt.args, r.code, tt.wantCode)
			}
			if r.stdout != tt.wantStdout {
				t.Errorf("run(%q) stdout = %q, want %q", tt.args, r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, r.stderr, tt.wantStderr)
			}
		})
	}
}

// A stray argument is a command-line mistake: a script that wrote `list json` for `list --json` must not get a
// table and exit 0.
func TestUnexpectedArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "list", args: []string{"list", "json"}},
		{name: "check with two files", args: []string{"check", "testdata/cli/fleet.toml", "testdata/cli/bad.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			r := runCLI(t, tt.args...)
			if r.code != exitUsage {
				t.Errorf("run(%q) = %d, want %d; stdout: %q", tt.args, r.code, exitUsage, r.stdout)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		envVar   string // $FLEETKEY_CONFIG
		wantCode int
		want     []string // prefixes of the lines of stdout, in order
	}{
		{name: "ok", args: []string{"check", fleetConfig}, want: []string{"ok: 5 vehicles"}},
		{name: "the demo config", args: []string{"check", "config.example.toml"}, want: []string{"ok: 12 vehicles"}},
		{name: "file from $FLEETKEY_CONFIG", args: []string{"check"}, envVar: enterpriseConfig,
			want: []string{"ok: 3 vehicles"}},
		{name: "file from --config", args: []string{"check", "--config", enterpriseConfig},
			want: []string{"ok: 3 vehicles"}},
		{name: "argument beats $FLEETKEY_CONFIG", args: []string{"check", fleetConfig}, envVar: badConfig,
			want: []string{"ok: 5 vehicles"}},
		{name: "every problem", args: []string{"check", badConfig}, wantCode: 1, want: badConfigProblems},
		{name: "bad file from $FLEETKEY_CONFIG", args: []string{"check"}, envVar: badConfig, wantCode: 1,
			want: badConfigProblems},
		{name: "missing file", args: []string{"check", "testdata/cli/missing.toml"}, wantCode: 1,
			want: []string{"read config: open testdata/cli/missing.toml: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("FLEETKEY_CONFIG", tt.envVar)
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d", tt.args, r.code, tt.wantCode)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("run(%q) printed %d lines, want %d:\n%s", tt.args, len(lines), len(tt.want), r.stdout)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("run(%q) line %d = %q, want %q", tt.args, i+1, lines[i], w)
				}
			}
		})
	}
}

// badConfigProblems are the problems of testdata/cli/bad.toml, in line order. The year's upper bound depends on the
// clock, so that line is a prefix.
var badConfigProblems = []string{
	`testdata/cli/bad.toml:4: policy.keyless_interval: "8 hours" is not a duration; write it like "8h", "30m" or "1h30m"`,
	`testdata/cli/bad.toml:8: vehicle[0].vin: invalid VIN "5YJSA1E27FF108417": check digit (position 9) is '7', want '1'`,
	`testdata/cli/bad.toml:11: vehicle[0].year: 2009 is outside 2012..`,
	"testdata/cli/bad.toml:12: vehicle[0].nmae: unknown key, did you mean `name`?",
	`testdata/cli/bad.toml:15: vehicle[1].id: duplicate ID "bad-1", also in vehicle[0] (line 7)`,
	`testdata/cli/bad.toml:20: vehicle[1].key: "maybe" is not a key status; want one of installed, missing, unknown`,
}
