package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fleetkey/policy"
)

func TestParseConfigServeValues(t *testing.T) {
	tests := []struct {
		name, src string
		want      func(*Serve) // edits defaultServe() into the expected table
	}{
		{"no [serve]: the defaults", "", func(*Serve) {}},
		{"empty [serve]: the defaults", "[serve]\n", func(*Serve) {}},
		{"every key", `[serve]
listen = "0.0.0.0:2022"
authorized_keys = "/etc/fleetkey/authorized_keys"
host_key = "keys/host_ed25519"
audit_log = "/var/log/fleetkey/audit.jsonl"
max_sessions = 1
idle_timeout = "90s"
`, func(s *Serve) {
			*s = Serve{Listen: "0.0.0.0:2022", AuthorizedKeys: "/etc/fleetkey/authorized_keys",
				HostKey: "keys/host_ed25519", AuditLog: "/var/log/fleetkey/audit.jsonl", MaxSessions: 1,
				IdleTimeout: 90 * time.Second}
		}},
		{"IPv6 loopback", "[serve]\nlisten = \"[::1]:2222\"\n",
			func(s *Serve) { s.Listen = "[::1]:2222" }},
		{"empty host is every interface", "[serve]\nlisten = \":2222\"\n", func(s *Serve) { s.Listen = ":2222" }},
		{"a host name", "[serve]\nlisten = \"ops-box.internal:65535\"\n",
			func(s *Serve) { s.Listen = "ops-box.internal:65535" }},
		{"inline table", "serve = { max_sessions = 50, idle_timeout = \"2h\" }\n",
			func(s *Serve) { s.MaxSessions, s.IdleTimeout = 50, 2*time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("config.toml", []byte(tt.src), configTestNow)
			if err != nil {
				t.Fatalf("parseConfig(%q) error = %v, want nil", tt.src, err)
			}
			want := defaultServe()
			tt.want(&want)
			if got.Serve != want {
				t.Errorf("parseConfig(%q).Serve = %+v, want %+v", tt.src, got.Serve, want)
			}
		})
	}
}

func TestParseConfigServeProblems(t *testing.T) {
	tests := []configProblemCase{
		{"listen without a port", "[serve]\nlisten = \"127.0.0.1\"\n", []string{
			`config.toml:2: serve.listen: "127.0.0.1" is not host:port (like 127.0.0.1:2222, or [::1]:2222)`,
		}},
		{"listen IPv6 without brackets", "[serve]\nlisten = \"::1:2222\"\n", []string{
			`config.toml:2: serve.listen: "::1:2222" is not host:port (like 127.0.0.1:2222, or [::1]:2222)`,
		}},
		{"listen not a string", "[serve]\nlisten = 2222\n",
			[]string{"config.toml:2: serve.listen: want a string, got integer 2222"}},
		{"empty paths", "[serve]\nauthorized_keys = \"\"\nhost_key = \" \"\naudit_log = \"\"\n", []string{
			"config.toml:2: serve.authorized_keys: is empty",
			"config.toml:3: serve.host_key: is empty",
			"config.toml:4: serve.audit_log: is empty",
		}},
		{"path not a string", "[serve]\naudit_log = true\n",
			[]string{"config.toml:2: serve.audit_log: want a string, got boolean true"}},
		{"max_sessions 0 and idle_timeout 0", "[serve]\nmax_sessions = 0\nidle_timeout = \"0s\"\n", []string{
			"config.toml:2: serve.max_sessions: 0 is outside 1..2147483647",
			`config.toml:3: serve.idle_timeout: must be positive, got "0s"`,
		}},
		{"max_sessions not an integer, idle_timeout not a duration", "[serve]\nmax_sessions = \"10\"\nidle_timeout = \"half an hour\"\n",
			[]string{
				`config.toml:2: serve.max_sessions: want an integer, got string "10"`,
				`config.toml:3: serve.idle_timeout: "half an hour" is not a duration; write it like "8h", "30m" or "1h30m"`,
			}},
		{"negative idle_timeout", "[serve]\nidle_timeout = \"-1m\"\n",
			[]string{`config.toml:2: serve.idle_timeout: must be positive, got "-1m"`}},
		{"[serve] not a table", "serve = \"yes\"\n",
			[]string{`config.toml:1: serve: want a table ([serve]), got string "yes"`}},
		{"typo, misplaced keys and a secret", `[serve]
listen_addr = "127.0.0.1:2222" # 2
timeout = "1m" # 3
password = "hunter2" # 4
[connect]
max_sessions = 3 # 6
`, []string{
			"config.toml:2: serve.listen_addr: unknown key (valid: " + strings.Join(serveKeys, ", ") + ")",
			"config.toml:3: serve.timeout: unknown key; `timeout` is a key of [connect]",
			"config.toml:4: serve.password: looks like a secret, and a secret must not be in a file: remove it, " +
				"put the secret in an environment variable and name that variable in client_secret_env of [smartcar]",
			"config.toml:6: connect.max_sessions: unknown key; `max_sessions` is a key of [serve]",
		}},
	}
	for _, port := range []string{"0", "", "ssh", "65536"} {
		tests = append(tests, configProblemCase{fmt.Sprintf("listen port %q", port), "[serve]\nlisten = \"127.0.0.1:" + port + "\"\n",
			[]string{`config.toml:2: serve.listen: "127.0.0.1:` + port + `" has port "` + port +
				`"; want 1..65535, the fixed port clients ssh to`}})
	}
	checkConfigProblems(t, tests)
}

// TestConfigExampleDocumentsServeKeys uncomments the `# key = value` lines of the [serve] block of
// config.example.toml: each key must be there, and the values shown must be the defaults, but for the example paths.
func TestConfigExampleDocumentsServeKeys(t *testing.T) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatalf("read config.example.toml: %v", err)
	}
	seen := map[string]bool{}
	lines := strings.Split(string(data), "\n")
	section := ""
	for i, line := range lines {
		if strings.HasPrefix(line, "[") {
			section = line
		}
		k, _, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if section == "[serve]" && ok && strings.HasPrefix(line, "# ") && slices.Contains(serveKeys, k) {
			lines[i], seen[k] = strings.TrimPrefix(line, "# "), true
		}
	}
	for _, k := range serveKeys {
		if !seen[k] {
			t.Errorf("config.example.toml has no `# %s = …` line in [serve]", k)
		}
	}
	cfg, err := parseConfig("config.example.toml", []byte(strings.Join(lines, "\n")), configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(config.example.toml, [serve] uncommented) error = %v, want nil", err)
	}
	want := defaultServe()
	want.AuthorizedKeys, want.HostKey, want.AuditLog = cfg.Serve.AuthorizedKeys, cfg.Serve.HostKey, cfg.Serve.AuditLog
	if cfg.Serve != want || want.AuthorizedKeys == "" || want.HostKey == "" || want.AuditLog == "" {
		t.Errorf("parseConfig(config.example.toml, [serve] uncommented).Serve = %+v, want the defaults and three "+
			"example paths", cfg.Serve)
	}
}

func TestParseConfigServeLeavesOthersAlone(t *testing.T) {
	got, err := parseConfig("config.toml", []byte("[serve]\nmax_sessions = 2\n"), configTestNow)
	if err != nil {
		t.Fatalf("parseConfig error = %v", err)
	}
	want := withDefaults(Config{Account: Account{Plan: PlanFree}, Intervals: policy.DefaultIntervals()})
	want.Serve.MaxSessions = 2
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseConfig([serve] only) = %+v, want %+v", got, want)
	}
}
