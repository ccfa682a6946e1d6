package config

import (
	"fleetkey/fleet/connect"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfigConnectValues(t *testing.T) {
	tests := []struct {
		name, src string
		want      func(*connect.Config) // edits defaultConnect(the [smartcar] of src) into the expected table
	}{
		{"no [connect]: the defaults, without a client id", "", func(*connect.Config) {}},
		{"client id and mode from [smartcar]", "[smartcar]\nclient_id = \"client_sc\"\nmode = \"test\"\n",
			func(c *connect.Config) { c.ClientID, c.Mode = "client_sc", "test" }},
		{"[connect] client_id overrides [smartcar]'s", `[smartcar]
client_id = "client_sc"
[connect]
client_id = "8a3c3d3e-1d2b-4e63-9b0a-0c1f0e5a2b11"
`, func(c *connect.Config) { c.ClientID = "8a3c3d3e-1d2b-4e63-9b0a-0c1f0e5a2b11" }},
		{"every key", `[smartcar]
mode = "simulated"
[connect]
client_id = "client_cn"
redirect_uri = "http://127.0.0.1:8765/fleetkey/callback"
scopes = ["read_vin", "read_battery"]
tesla_only = true
connect_base = "http://localhost:9000/oauth/authorize"
timeout = "90s"
`, func(c *connect.Config) {
			*c = connect.Config{ClientID: "client_cn", RedirectURI: "http://127.0.0.1:8765/fleetkey/callback",
				Base: "http://localhost:9000/oauth/authorize", Mode: "simulated", Scopes: []string{"read_vin", "read_battery"},
				TeslaOnly: true, Timeout: 90 * time.Second}
		}},
		{"empty scopes leave them to the Dashboard", "[connect]\nscopes = []\n",
			func(c *connect.Config) { c.Scopes = []string{} }},
		{"https redirect on any host; http on [::1]; no port", `[connect]
redirect_uri = "https://fleet.example.com/connect/done"
connect_base = "http://[::1]/authorize"
`, func(c *connect.Config) {
			c.RedirectURI, c.Base = "https://fleet.example.com/connect/done", "http://[::1]/authorize"
		}},
		{"inline table, tesla_only false", "connect = { tesla_only = false, timeout = \"1h\" }\n",
			func(c *connect.Config) { c.Timeout = time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("config.toml", []byte(tt.src), configTestNow)
			if err != nil {
				t.Fatalf("parseConfig(%q) error = %v, want nil", tt.src, err)
			}
			want := defaultConnect(got.Smartcar)
			tt.want(&want)
			if !reflect.DeepEqual(got.Connect, want) {
				t.Errorf("parseConfig(%q).Connect =\n%+v\nwant\n%+v", tt.src, got.Connect, want)
			}
		})
	}
}

func TestParseConfigConnectProblems(t *testing.T) {
	const notURL = "is not an absolute http(s) URL (like http://localhost:8000/callback)"
	tests := []configProblemCase{
		{"client id empty or not a string", "[connect]\nclient_id = \"\"\n[smartcar]\nclient_id = 7 # 4\n", []string{
			"config.toml:2: connect.client_id: is empty",
			"config.toml:4: smartcar.client_id: want a string, got integer 7",
		}},
		{"redirect_uri not absolute", "[connect]\nredirect_uri = \"localhost:8000/callback\"\n",
			[]string{`config.toml:2: connect.redirect_uri: "localhost:8000/callback" ` + notURL}},
		{"redirect_uri other scheme", "[connect]\nredirect_uri = \"fleetkey://callback\"\n",
			[]string{`config.toml:2: connect.redirect_uri: "fleetkey://callback" ` + notURL}},
		{"redirect_uri http off loopback", "[connect]\nredirect_uri = \"http://0.0.0.0:8000/callback\"\n", []string{
			`config.toml:2: connect.redirect_uri: "http://0.0.0.0:8000/callback" uses http on a host that is not ` +
				"loopback; the callback listener binds only 127.0.0.1, localhost or [::1] (forward the port with ssh -L " +
				"from an ops box), or use an https URL",
		}},
		{"redirect_uri with a query", "[connect]\nredirect_uri = \"http://localhost:8000/cb?x=1\"\n", []string{
			`config.toml:2: connect.redirect_uri: "http://localhost:8000/cb?x=1" has a query or fragment; Connect adds ` +
				"its own query, want a plain URL like http://localhost:8000/callback",
		}},
		{"redirect_uri with an empty fragment", "[connect]\nredirect_uri = \"http://localhost:8000/cb#\"\n", []string{
			`config.toml:2: connect.redirect_uri: "http://localhost:8000/cb#" has a query or fragment; Connect adds ` +
				"its own query, want a plain URL like http://localhost:8000/callback",
		}},
		{"redirect_uri port 0", "[connect]\nredirect_uri = \"http://127.0.0.1:0/callback\"\n", []string{
			`config.toml:2: connect.redirect_uri: "http://127.0.0.1:0/callback" has port "0"; want 1..65535, the fixed ` +
				"port the browser is sent back to",
		}},
		{"redirect_uri port too big", "[connect]\nredirect_uri = \"http://[::1]:65536/callback\"\n", []string{
			`config.toml:2: connect.redirect_uri: "http://[::1]:65536/callback" has port "65536"; want 1..65535, the ` +
				"fixed port the browser is sent back to",
		}},
		{"redirect_uri credentials are not quoted", "[connect]\nredirect_uri = \"https://u:hunter2@x.example/cb\"\n",
			[]string{"config.toml:2: connect.redirect_uri: has credentials in it (user:password@); they must not be in a file"}},
		{"connect_base http off loopback", "[connect]\nconnect_base = \"http://connect.smartcar.com/oauth/authorize\"\n",
			[]string{`config.toml:2: connect.connect_base: "http://connect.smartcar.com/oauth/authorize" uses http, ` +
				"which is allowed only on a loopback host (127.0.0.1, localhost or [::1]) for tests; use https"}},
		{"scopes not an array", "[connect]\nscopes = \"read_vin read_battery\"\n", []string{
			`config.toml:2: connect.scopes: want an array of permissions like ["read_vin", "read_battery"], got ` +
				`string "read_vin read_battery"`,
		}},
		{"bad scopes, each reported", "[connect]\nscopes = [\"read_vin\", 1, \"Read_Battery\", \"read-charge\", \"\", \"read_vin\"]\n",
			[]string{
				"config.toml:2: connect.scopes[1]: want a permission name, got integer 1",
				`config.toml:2: connect.scopes[2]: "Read_Battery" is not a permission name; want lower-case letters and ` +
					"'_', like read_battery",
				`config.toml:2: connect.scopes[3]: "read-charge" is not a permission name; want lower-case letters and ` +
					"'_', like read_battery",
				`config.toml:2: connect.scopes[4]: "" is not a permission name; want lower-case letters and '_', like ` +
					"read_battery",
				`config.toml:2: connect.scopes[5]: "read_vin" is listed twice`,
			}},
		{"tesla_only not a boolean", "[connect]\ntesla_only = \"yes\"\n",
			[]string{`config.toml:2: connect.tesla_only: want true or false, got string "yes"`}},
		{"timeouts", "[connect]\ntimeout = \"ten minutes\"\n", []string{
			`config.toml:2: connect.timeout: "ten minutes" is not a duration; write it like "8h", "30m" or "1h30m"`,
		}},
		{"zero timeout", "[connect]\ntimeout = \"0s\"\n", []string{`config.toml:2: connect.timeout: must be positive, got "0s"`}},
		{"negative timeout", "[connect]\ntimeout = \"-10m\"\n",
			[]string{`config.toml:2: connect.timeout: must be positive, got "-10m"`}},
		{"timeout as a number", "[connect]\ntimeout = 600\n",
			[]string{"config.toml:2: connect.timeout: want a string, got integer 600"}},
		{"[connect] not a table", "connect = \"yes\"\n",
			[]string{`config.toml:1: connect: want a table ([connect]), got string "yes"`}},
		{"typo, misplaced keys and a secret", `[connect]
redirect_url = "http://localhost:8000/callback" # 2
mode = "test" # 3
client_secret = "s3cr3t" # 4
[smartcar]
scopes = [] # 6
`, []string{
			"config.toml:2: connect.redirect_url: unknown key, did you mean `redirect_uri`?",
			"config.toml:3: connect.mode: unknown key; `mode` is a key of [smartcar]",
			"config.toml:4: connect.client_secret: looks like a secret, and a secret must not be in a file: remove it, " +
				"put the secret in an environment variable and name that variable in client_secret_env of [smartcar]",
			"config.toml:6: smartcar.scopes: unknown key; `scopes` is a key of [connect]",
		}},
	}
	checkConfigProblems(t, tests)
}

// TestConfigExampleDocumentsConnectKeys uncomments the `# key = value` lines of the [connect] block of
// config.example.toml: each key must be there, and the values shown must be the defaults.
func TestConfigExampleDocumentsConnectKeys(t *testing.T) {
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
		if section == "[connect]" && ok && strings.HasPrefix(line, "# ") && slices.Contains(connectKeys, k) {
			lines[i], seen[k] = strings.TrimPrefix(line, "# "), true
		}
	}
	for _, k := range connectKeys {
		if !seen[k] {
			t.Errorf("config.example.toml has no `# %s = …` line in [connect]", k)
		}
	}
	cfg, err := parseConfig("config.example.toml", []byte(strings.Join(lines, "\n")), configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(config.example.toml, [connect] uncommented) error = %v, want nil", err)
	}
	want := defaultConnect(defaultSmartcar())
	want.ClientID = "client_0123456789abcdef"
	if !reflect.DeepEqual(cfg.Connect, want) {
		t.Errorf("parseConfig(config.example.toml, [connect] uncommented).Connect = %+v, want %+v", cfg.Connect, want)
	}
}
