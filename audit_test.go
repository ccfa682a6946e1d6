package main

import (
	"encoding/json"
	"fleetkey/serve"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeAuditLog appends entries to the audit log at path, as `fleetkey serve` does.
func writeAuditLog(t *testing.T, path string, entries []serve.AuditEntry) {
	t.Helper()
	a, err := serve.OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, e := range entries {
		if err := a.Write(e); err != nil {
			t.Fatal(err)
		}
	}
}

// auditFixture writes a config whose [serve] audit_log is relative to it, and three entries 3h, 1h and 10m before
// now, and returns the config's path and the entries (times in UTC, to the second).
func auditFixture(t *testing.T) (string, []serve.AuditEntry) {
	t.Helper()
	env := isolate(t)
	cfg := filepath.Join(env.configHome, "fleetkey", "config.toml")
	writeTestFile(t, cfg, oneVehicleConfig("van-1", "[serve]\naudit_log = \"logs/audit.jsonl\"\n"))
	now := time.Now().UTC().Truncate(time.Second)
	entries := []serve.AuditEntry{
		{Time: now.Add(-3 * time.Hour), Who: "alice@laptop", Fingerprint: "SHA256:aaaa", Action: serve.AuditRead,
			Vehicle: "van-1", Result: "ok"},
		{Time: now.Add(-time.Hour), Who: "mallory\x1b[2J@box", Fingerprint: "SHA256:bbbb", Action: serve.AuditKeyCheck,
			Vehicle: "van-1", Result: "key missing"},
		{Time: now.Add(-10 * time.Minute), Who: "bob", Fingerprint: "SHA256:cccc", Action: serve.AuditConnect,
			Result: "added 2 vehicles"},
	}
	writeAuditLog(t, filepath.Join(filepath.Dir(cfg), "logs", "audit.jsonl"), entries)
	return cfg, entries
}

func TestAuditTable(t *testing.T) {
	cfg, entries := auditFixture(t)
	r := runCLI(t, "--config", cfg, "audit")
	if r.code != 0 {
		t.Fatalf("run(audit) = %d, want 0; stderr: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 1+len(entries) {
		t.Fatalf("run(audit) printed %d lines, want a header and %d rows:\n%s", len(lines), len(entries), r.stdout)
	}
	header := lines[0]
	for _, col := range []string{"TIME", "WHO", "FINGERPRINT", "ACTION", "VEHICLE", "RESULT"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q has no %s column", header, col)
		}
	}
	fpCol, resultCol := strings.Index(header, "FINGERPRINT"), strings.Index(header, "RESULT")
	for i, e := range entries {
		row := lines[i+1]
		if !strings.HasPrefix(row, e.Time.Format(time.RFC3339)+"  ") || strings.Index(row, e.Fingerprint) != fpCol ||
			strings.Index(row, e.Result) != resultCol {
			t.Errorf("row %d = %q, want the RFC 3339 time first and %s, %s aligned under their headers", i, row,
				e.Fingerprint, e.Result)
		}
	}
	if strings.Contains(r.stdout, "\x1b") || !strings.Contains(lines[2], " mallory@box ") {
		t.Errorf("run(audit) row = %q, want the escape sequence in WHO stripped", lines[2])
	}
	if !strings.Contains(lines[3], " connect ") || !strings.Contains(lines[3], " - ") {
		t.Errorf("connect row = %q, want \"-\" for no vehicle", lines[3])
	}
}

func TestAuditJSON(t *testing.T) {
	cfg, entries := auditFixture(t)
	tests := []struct {
		name string
		args []string
		want []serve.AuditEntry
	}{
		{"all", []string{"--config", cfg, "audit", "--json"}, entries},
		{"since 2h", []string{"--config", cfg, "audit", "--json", "--since", "2h"}, entries[1:]},
		{"since 30m, flag first", []string{"--config", cfg, "audit", "--since=30m", "--json"}, entries[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("run(%q) = %d, stderr %q; want 0 and nothing", tt.args, r.code, r.stderr)
			}
			var got []serve.AuditEntry
			for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
				var e serve.AuditEntry
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("run(%q) line %q: %v", tt.args, l, err)
				}
				got = append(got, e)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("run(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestAuditSinceTable(t *testing.T) {
	cfg, entries := auditFixture(t)
	r := runCLI(t, "--config", cfg, "audit", "--since", "2h")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 3 || strings.Contains(r.stdout, entries[0].Fingerprint) {
		t.Errorf("run(audit --since 2h) = %d, %q; want the header and the last 2 entries", r.code, r.stdout)
	}
	r = runCLI(t, "--config", cfg, "audit", "--since", "1m")
	if r.code != 0 || r.stdout != "no audit entries in the last 1m0s\n" {
		t.Errorf("run(audit --since 1m) = %d, %q; want 0 and \"no audit entries in the last 1m0s\"", r.code, r.stdout)
	}
}

func TestAuditMissingLog(t *testing.T) {
	env := isolate(t)
	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
	}{
		{"table", []string{"audit"}, "no audit entries yet\n", ""},
		{"json keeps stdout JSON", []string{"audit", "--json"}, "", "no audit entries yet\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != 0 || r.stdout != tt.stdout || r.stderr != tt.stderr {
				t.Errorf("run(%q) = %d, %q, %q; want 0, %q, %q", tt.args, r.code, r.stdout, r.stderr, tt.stdout, tt.stderr)
			}
		})
	}
	// Without a config the log is the default one, next to the default state file.
	e := serve.AuditEntry{Time: time.Now().UTC().Truncate(time.Second), Who: "carol", Fingerprint: "SHA256:dddd",
		Action: serve.AuditRead, Vehicle: "hq-exec-1", Result: "ok"}
	writeAuditLog(t, filepath.Join(filepath.Dir(env.statePath), "audit.jsonl"), []serve.AuditEntry{e})
	if r := runCLI(t, "audit"); r.code != 0 || !strings.Contains(r.stdout, "SHA256:dddd") {
		t.Errorf("run(audit) with the default log = %d, %q; want 0 and carol's entry", r.code, r.stdout)
	}
}

func TestAuditProblems(t *testing.T) {
	cfg, _ := auditFixture(t)
	logPath := filepath.Join(filepath.Dir(cfg), "logs", "audit.jsonl")
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	writeTestFile(t, logPath, lines[0]+"{not json\n"+lines[2])
	r := runCLI(t, "--config", cfg, "audit")
	if r.code != 1 || !strings.Contains(r.stderr, logPath+": audit line 2: not an audit entry") {
		t.Errorf("run(audit) on a corrupt log = %d, %q; want 1 and the file and line named", r.code, r.stderr)
	}
	for _, args := range [][]string{{"audit", "extra"}, {"audit", "--since", "-1h"}, {"audit", "--since", "soon"}} {
		if r := runCLI(t, append([]string{"--config", cfg}, args...)...); r.code != exitUsage {
			t.Errorf("run(%q) = %d, want %d", args, r.code, exitUsage)
		}
	}
}
