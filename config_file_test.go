//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLIWithin is runCLI under a deadline: a command still running after d fails the test instead of hanging it.
func runCLIWithin(t *testing.T, d time.Duration, args ...string) cliResult {
	t.Helper()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	done := make(chan cliResult, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run(args, devnull, &stdout, &stderr)
		done <- cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("run(%q) still running after %v", args, d)
		return cliResult{}
	}
}

// mkfifo makes a named pipe at path; nothing ever writes to it.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigNotRegular: a FIFO, a directory or a device named as the config, however it is named (--config, check's
// argument, $FLEETKEY_CONFIG, the XDG default), is refused at once with exit 1 and an error naming the file and what
// it is; no command blocks on it and none falls back to the demo.
func TestConfigNotRegular(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  bool // the path goes in $FLEETKEY_CONFIG
		xdg  bool // the path is the XDG default config
		kind string
	}{
		{name: "--config list", args: []string{"--config", "PATH", "list"}, kind: "fifo"},
		{name: "list --json --config", args: []string{"list", "--json", "--config", "PATH"}, kind: "fifo"},
		{name: "qr --config", args: []string{"qr", "--config", "PATH", "x"}, kind: "fifo"},
		{name: "read --config", args: []string{"read", "--config", "PATH", "x"}, kind: "fifo"},
		{name: "audit --config", args: []string{"audit", "--config", "PATH"}, kind: "fifo"},
		{name: "$FLEETKEY_CONFIG list", args: []string{"list"}, env: true, kind: "fifo"},
		{name: "$FLEETKEY_CONFIG, no command", env: true, kind: "fifo"},
		{name: "XDG default list", args: []string{"list"}, xdg: true, kind: "fifo"},
		{name: "check FILE", args: []string{"check", "PATH"}, kind: "fifo"},
		{name: "check $FLEETKEY_CONFIG", args: []string{"check"}, env: true, kind: "fifo"},
		{name: "check a directory", args: []string{"check", "PATH"}, kind: "dir"},
		{name: "check /dev/null", args: []string{"check", "PATH"}, kind: "dev"},
		{name: "--config /dev/null list", args: []string{"--config", "PATH", "list"}, kind: "dev"},
	}
	kinds := map[string]string{"fifo": "is a named pipe (FIFO)", "dir": "is a directory", "dev": "is a character device"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := isolate(t)
			path := filepath.Join(t.TempDir(), "fleet.toml")
			if tt.xdg {
				path = filepath.Join(env.configHome, "fleetkey", "config.toml")
			}
			switch tt.kind {
			case "fifo":
				mkfifo(t, path)
			case "dir":
				path = t.TempDir()
			case "dev":
				path = os.DevNull
			}
			if tt.env {
				t.Setenv("FLEETKEY_CONFIG", path)
			}
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "PATH" {
					args[i] = path
				}
			}
			r := runCLIWithin(t, 10*time.Second, args...)
			out := r.stdout + r.stderr // check prints its problems on stdout, the others on stderr
			if want := path + " " + kinds[tt.kind] + ": not a regular file"; r.code != 1 || !strings.Contains(out, want) {
				t.Errorf("run(%q) = %d, %q; want 1 and %q", args, r.code, out, want)
			}
			if strings.Contains(out, "hq-exec") || strings.Contains(out, "ok:") {
				t.Errorf("run(%q) printed %q, want no fleet and no ok", args, out)
			}
		})
	}
}

// TestAuditLogNotRegular: an audit log that is a FIFO is refused, not waited on until serve writes to it.
func TestAuditLogNotRegular(t *testing.T) {
	env := isolate(t)
	cfg := filepath.Join(env.configHome, "fleetkey", "config.toml")
	writeTestFile(t, cfg, oneVehicleConfig("van-1", "[serve]\naudit_log = \"logs/audit.jsonl\"\n"))
	fifo := mkfifo(t, filepath.Join(filepath.Dir(cfg), "logs", "audit.jsonl"))
	r := runCLIWithin(t, 10*time.Second, "--config", cfg, "audit")
	if want := fifo + " is a named pipe (FIFO): not a regular file"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("run(audit) = %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}
