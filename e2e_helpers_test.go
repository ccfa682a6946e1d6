package main

import (
	"bytes"
	"encoding/json"
	"fleetkey/fleet/ledger"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real-terminal tests drive the built binary inside tmux: keys go in with send-keys, the screen comes back with
// capture-pane. Every wait polls the screen for a condition with a deadline; none sleeps to synchronise.

const (
	pollEvery   = 50 * time.Millisecond
	pollTimeout = 10 * time.Second
)

// requireTmux fails (never skips) without tmux: CI installs it, and a silent skip would hide the whole test.
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed, and the real-terminal test needs it: install it (apt-get install tmux; .ci/run does)")
	}
}

// buildFleetkey builds the binary under test into a temporary directory and returns its path.
func buildFleetkey(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fleetkey")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// testFleet is a config written for one test: its directory (also HOME and the XDG directories), the config file
// and the state file the config names.
type testFleet struct {
	dir, config, stateFile string
}

// Names of the test vehicles, one per badge. None holds a digit followed by "s", which countdownOf would misread.
const (
	legacyName  = "Exec Legacy X"
	pairedName  = "Depot Paired Y"
	keylessName = "Field Keyless 3"
	unknownName = "Loaner Unknown Y"
)

// writeTestFleet writes a config with one vehicle per badge. Its keyless vehicle was read 2h before now, so its
// countdown shows about 6h; the 2024 Model Y's VIN is made up, with a valid check digit.
func writeTestFleet(t *testing.T, now time.Time) testFleet {
	t.Helper()
	dir := t.TempDir()
	f := testFleet{dir: dir, config: filepath.Join(dir, "config.toml"), stateFile: filepath.Join(dir, "state", "state.json")}
	lastRead := now.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	vehicle := func(id, vin, name, model string, year int, extra string) string {
		return fmt.Sprintf("\n[[vehicle]]\nid = %q\nvin = %q\nname = %q\nmake = \"Tesla\"\nmodel = %q\nyear = %d\n%s",
			id, vin, name, model, year, extra)
	}
	cfg := fmt.Sprintf("state_file = %q\n\n[account]\nplan = \"free\"\n", f.stateFile) +
		vehicle("legacy-x", "5YJXCBE2XGF012874", legacyName, "Model X", 2016, "") +
		vehicle("paired-y", "7SAYGDEE5PA095337", pairedName, "Model Y", 2023, "key = \"installed\"\n") +
		vehicle("keyless-3", "5YJ3E1EA8NF187342", keylessName, "Model 3", 2022,
			"key = \"missing\"\nlast_read_at = "+lastRead+"\n") +
		vehicle("unknown-y", "7SAYGDEE9RA204613", unknownName, "Model Y", 2024, "key = \"unknown\"\n")
	if err := os.WriteFile(f.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// console is one fleetkey running in its own tmux server.
type console struct {
	t      *testing.T
	socket string
	env    []string
}

// startConsole runs bin with args in a w×h tmux pane. The server's environment is built from scratch, so nothing of
// the user's (FLEETKEY_CONFIG, NO_COLOR, SSH_TTY, TMUX, their XDG directories) reaches the console; extraEnv adds to it.
func startConsole(t *testing.T, bin string, f testFleet, w, h int, extraEnv []string, args ...string) *console {
	t.Helper()
	conf := filepath.Join(f.dir, "tmux.conf")
	// status off: the pane gets the whole window; remain-on-exit: the exit status stays readable.
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &console{
		t:      t,
		socket: filepath.Join(f.dir, "tmux.sock"), // removed with the directory
		env: append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.dir, "LANG=C.UTF-8", "TERM=xterm-256color",
			"XDG_CONFIG_HOME=" + filepath.Join(f.dir, "xdg-config"), "XDG_STATE_HOME=" + filepath.Join(f.dir, "xdg-state")},
			extraEnv...),
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(f.dir, "xdg-state", "fleetkey", "fleetkey.log"))
			t.Logf("fleetkey.log:\n%s", log)
		}
		kill := exec.Command("tmux", "-S", c.socket, "kill-server")
		kill.Env = c.env
		_ = kill.Run()
	})
	// The shell reports the exit status on the screen: tmux (with libutempter, as Debian builds it) can miss the
	// SIGCHLD of a pane's process and leave it a zombie with pane_dead unset (tmux/tmux#311, #4559).
	start := []string{"-f", conf, "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h),
		"--", "/bin/sh", "-c", `"$0" "$@"; echo "fleetkey exited with status $?"`, bin}
	c.tmux(append(start, args...)...)
	return c
}

// tmux runs one tmux command on the console's server and returns its output.
func (c *console) tmux(args ...string) string {
	c.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-u", "-S", c.socket}, args...)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names ("Enter", "Escape", "r"); text sends a string literally.
// An Escape must not be followed by another key in the same call: the console would read the pair as one alt+key.
func (c *console) keys(keys ...string) {
	c.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

func (c *console) text(s string) {
	c.tmux("send-keys", "-t", "e2e", "-l", s)
}

// capture returns the screen; flags add to capture-pane's, e.g. -e for colours and attributes as SGR sequences.
func (c *console) capture(flags ...string) string {
	return c.tmux(append([]string{"capture-pane", "-p", "-t", "e2e"}, flags...)...)
}

// waitScreen polls the screen until pred holds and returns it; at the deadline it fails with the last screen.
func (c *console) waitScreen(what string, pred func(string) bool, flags ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		screen := c.capture(flags...)
		if pred(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the screen never showed %s within %v; last screen:\n%s", what, pollTimeout, screen)
		}
		time.Sleep(pollEvery)
	}
}

// exitRe matches the line the shell around the console prints when it exits.
var exitRe = regexp.MustCompile(`fleetkey exited with status (\d+)`)

// waitExit waits for the console's process to end and returns its exit status.
func (c *console) waitExit() int {
	c.t.Helper()
	screen := c.waitScreen("the process exit", exitRe.MatchString, "-S", "-") // the line may scroll into the history
	status, _ := strconv.Atoi(exitRe.FindStringSubmatch(screen)[1])
	return status
}

// countdownRe matches a NEXT READ cell; it is the first such cell on a row (LAST READ comes after it).
var countdownRe = regexp.MustCompile(`\s(ready|asleep|(?:\d+h)?(?:\d+m)?\d+s)\s`)

// rowOf returns the screen line naming the vehicle.
func rowOf(screen, name string) (string, bool) {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, name) {
			return l, true
		}
	}
	return "", false
}

// countdownOf returns the vehicle's NEXT READ cell as drawn and, unless it is "ready" (0) or "asleep", its duration.
func countdownOf(screen, name string) (cell string, d time.Duration, ok bool) {
	row, found := rowOf(screen, name)
	m := countdownRe.FindStringSubmatch(row + " ")
	if !found || m == nil {
		return "", 0, false
	}
	if m[1] == "ready" || m[1] == "asleep" {
		return m[1], 0, true
	}
	d, err := time.ParseDuration(m[1])
	return m[1], d, err == nil
}

// sgrRe matches an SGR escape sequence and captures its parameters.
var sgrRe = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourSGR returns the SGR parameters in s that set a colour: 30–38, 40–48, 58, 90–97, 100–107. 39 and 49 restore
// the default colours, which tmux writes on every reset; they are not colour.
func colourSGR(s string) []string {
	var found []string
	for _, m := range sgrRe.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			n, _ := strconv.Atoi(p)
			if n >= 30 && n <= 38 || n >= 40 && n <= 48 || n == 58 || n >= 90 && n <= 97 || n >= 100 && n <= 107 {
				found = append(found, m[0])
				break
			}
		}
	}
	return found
}

// stateFile is the JSON of the state file, as far as these tests read it.
type stateFile struct {
	Version  int `json:"version"`
	Vehicles map[string]struct {
		LastReadAt time.Time `json:"last_read_at"`
	} `json:"vehicles"`
}

// readStateFile reads the ledger that a config naming the state file path uses (see ledgerBeside), as the old
// JSON file's fields: export it, and decode the export.
func readStateFile(t *testing.T, path string) stateFile {
	t.Helper()
	l, err := ledger.OpenSQLite(ledgerBeside(path))
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	defer l.Close()
	var buf bytes.Buffer
	if err := ledger.Export(l, &buf); err != nil {
		t.Fatalf("export ledger: %v", err)
	}
	var st stateFile
	if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
		t.Fatalf("decode ledger export of %s: %v\n%s", path, err, buf.Bytes())
	}
	return st
}
