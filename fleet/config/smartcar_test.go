package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fleetkey/policy"
)

func TestLoadConfigSmartcarEveryKey(t *testing.T) {
	const path = "testdata/smartcar.toml"
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s) error = %v, want nil", path, err)
	}
	want := Config{
		Source:  SourceSmartcar,
		Account: Account{Plan: PlanFree},
		Smartcar: Smartcar{
			ClientID: "client_0123456789abcdef", ClientSecretEnv: "FLEETKEY_SMARTCAR_SECRET",
			APIBase: "http://127.0.0.1:8089/v3", TokenURL: "http://localhost:8089/oauth2/token",
			Mode: "simulated", UnitSystem: "imperial", BucketSize: 1000, RefillPerMinute: 0.5,
		},
		Intervals: policy.DefaultIntervals(),
		Auto:      map[policy.Badge]bool{policy.Keyless: true, policy.Legacy: true},
		Vehicles: []Vehicle{
			{ID: "36ab27d0-fd9d-4455-823a-ce30af709ffc", Name: "Depot 3 – Van pool 1", Key: policy.KeyPaired},
			{VIN: "5YJSA1E21FF108417", Name: "5YJSA1E21FF108417"},
		},
		Pinned: map[string]PinnedFacts{
			"36ab27d0-fd9d-4455-823a-ce30af709ffc": {Name: true, Key: true},
			"5YJSA1E21FF108417":                    {Asleep: true},
		},
	}
	want.Connect, want.Serve = defaultConnect(want.Smartcar), defaultServe()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(%s) =\n%+v\nwant\n%+v", path, got, want)
	}
}

func TestParseConfigSmartcarValues(t *testing.T) {
	tests := []struct {
		name, src string
		want      func(*Config) // edits withDefaults(Config{...}) into the expected config
	}{
		{"smartcar keys are allowed, unused, with source config", `[smartcar]
client_id = "client_x"
mode = "test"
`, func(c *Config) { c.Smartcar.ClientID, c.Smartcar.Mode = "client_x", "test" }},
		{"explicit source config", "[fleet]\nsource = \"config\"\n", func(*Config) {}},
		{"smartcar source with the defaults", `fleet = { source = "smartcar" }
smartcar = { client_id = "client_x", client_secret_env = "_S1" }
`, func(c *Config) {
			c.Source, c.Smartcar.ClientID, c.Smartcar.ClientSecretEnv = SourceSmartcar, "client_x", "_S1"
		}},
		{"integer refill and a bucket of 1", "[smartcar]\nbucket_size = 1\nbucket_refill_per_minute = 3\n",
			func(c *Config) { c.Smartcar.BucketSize, c.Smartcar.RefillPerMinute = 1, 3 }},
		{"https URLs with ports; http on [::1]", `[smartcar]
api_base = "https://eu.example.com:8443/v3"
token_url = "http://[::1]:9000/token"
`, func(c *Config) {
			c.Smartcar.APIBase, c.Smartcar.TokenURL = "https://eu.example.com:8443/v3", "http://[::1]:9000/token"
		}},
		{"empty auto reads nothing automatically", "[read]\nauto = []\n",
			func(c *Config) { c.Auto = map[policy.Badge]bool{} }},
		{"every badge", `[read]
auto = ["unknown", "keyless", "legacy", "key-installed"]
`, func(c *Config) {
			c.Auto = map[policy.Badge]bool{policy.Unknown: true, policy.Keyless: true, policy.Legacy: true,
				policy.KeyInstalled: true}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig("config.toml", []byte(tt.src), configTestNow)
			if err != nil {
				t.Fatalf("parseConfig(%q) error = %v, want nil", tt.src, err)
			}
			want := withDefaults(Config{Account: Account{Plan: PlanFree}, Intervals: policy.DefaultIntervals()})
			tt.want(&want)
			want.Connect = defaultConnect(want.Smartcar)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parseConfig(%q) =\n%+v\nwant\n%+v", tt.src, got, want)
			}
		})
	}
}

func TestParseConfigSourceProblems(t *testing.T) {
	const needID = "required when source = \"smartcar\": the client id (client_…) from the API Credentials tab of " +
		"the Smartcar Dashboard"
	const needEnv = "required when source = \"smartcar\": the name of the environment variable that holds the " +
		`client secret, e.g. "SMARTCAR_CLIENT_SECRET"`
	tests := []configProblemCase{
		{"unknown source", "[fleet]\nsource = \"Smartcar\"\nsorce = 1 # 3\n", []string{
			`config.toml:2: fleet.source: "Smartcar" is not a source; want "config" (the [[vehicle]] entries) or ` +
				`"smartcar" (the vehicles connected to your Smartcar application)`,
			"config.toml:3: fleet.sorce: unknown key, did you mean `source`?",
		}},
		{"source of the wrong type", "[fleet]\nsource = true\n",
			[]string{"config.toml:2: fleet.source: want a string, got boolean true"}},
		{"source at the top level", "source = \"smartcar\"\n",
			[]string{"config.toml:1: source: unknown key; `source` is a key of [fleet]"}},
		{"smartcar without a [smartcar] table: at the source's line", "\n[fleet]\nsource = \"smartcar\"\n", []string{
			"config.toml:3: smartcar.client_id: " + needID,
			"config.toml:3: smartcar.client_secret_env: " + needEnv,
		}},
		{"smartcar without credentials: at the [smartcar] header", `[fleet]
source = "smartcar"
[smartcar] # 3
mode = "live"
`, []string{
			"config.toml:3: smartcar.client_id: " + needID,
			"config.toml:3: smartcar.client_secret_env: " + needEnv,
		}},
		{"smartcar without the secret's env var", `[fleet]
source = "smartcar"
[smartcar] # 3
client_id = "client_x"
`, []string{"config.toml:3: smartcar.client_secret_env: " + needEnv}},
		{"empty client id", `[fleet]
source = "smartcar"
[smartcar]
client_id = " " # 4
client_secret_env = "S"
`, []string{"config.toml:4: smartcar.client_id: is empty"}},
		{"client_secret_env in [account]", "[account]\nclient_secret_env = \"S\"\n",
			[]string{"config.toml:2: account.client_secret_env: unknown key; `client_secret_env` is a key of [smartcar]"}},
		{"token_url at the top level is misplaced, not a secret", "token_url = \"https://x\"\n",
			[]string{"config.toml:1: token_url: unknown key; `token_url` is a key of [smartcar]"}},
		{"[[vehicle]] keys in [fleet]", "[fleet]\nname = \"x\"\n",
			[]string{"config.toml:2: fleet.name: unknown key; `name` is a key of [[vehicle]]"}},
	}
	checkConfigProblems(t, tests)
}

func TestParseConfigSmartcarProblems(t *testing.T) {
	const https = "is not an absolute https URL (like https://vehicle.api.smartcar.com/v3)"
	tests := []configProblemCase{
		{"http off loopback", "[smartcar]\napi_base = \"http://vehicle.api.smartcar.com/v3\"\n", []string{
			`config.toml:2: smartcar.api_base: "http://vehicle.api.smartcar.com/v3" uses http, which is allowed only on ` +
				"a loopback host (127.0.0.1, localhost or [::1]) for tests; use https",
		}},
		{"http on another loopback address", "[smartcar]\ntoken_url = \"http://127.0.0.2/token\"\n", []string{
			`config.toml:2: smartcar.token_url: "http://127.0.0.2/token" uses http, which is allowed only on ` +
				"a loopback host (127.0.0.1, localhost or [::1]) for tests; use https",
		}},
		{"not absolute", "[smartcar]\napi_base = \"vehicle.api.smartcar.com/v3\"\n",
			[]string{`config.toml:2: smartcar.api_base: "vehicle.api.smartcar.com/v3" ` + https}},
		{"other scheme", "[smartcar]\napi_base = \"ftp://vehicle.api.smartcar.com/v3\"\n",
			[]string{`config.toml:2: smartcar.api_base: "ftp://vehicle.api.smartcar.com/v3" ` + https}},
		{"no host", "[smartcar]\napi_base = \"https:///v3\"\n",
			[]string{`config.toml:2: smartcar.api_base: "https:///v3" ` + https}},
		{"empty", "[smartcar]\napi_base = \"\"\n", []string{`config.toml:2: smartcar.api_base: "" ` + https}},
		{"query", "[smartcar]\ntoken_url = \"https://iam.smartcar.com/oauth2/token?x=1\"\n", []string{
			`config.toml:2: smartcar.token_url: "https://iam.smartcar.com/oauth2/token?x=1" has a query or fragment; ` +
				"want a plain URL like https://iam.smartcar.com/oauth2/token",
		}},
		{"credentials in the URL are not quoted", "[smartcar]\ntoken_url = \"https://client:hunter2@iam.smartcar.com/\"\n",
			[]string{"config.toml:2: smartcar.token_url: has credentials in it (user:password@); they must not be in a file"}},
		{"mode and unit system", "[smartcar]\nmode = \"LIVE\"\nunit_system = \"si\"\n", []string{
			`config.toml:2: smartcar.mode: "LIVE" is not a mode; want one of live, test, simulated`,
			`config.toml:3: smartcar.unit_system: "si" is not a unit system; want one of metric, imperial`,
		}},
		{"bucket size", "[smartcar]\nbucket_size = 0\n",
			[]string{"config.toml:2: smartcar.bucket_size: 0 is outside 1..2147483647"}},
		{"negative bucket size", "[smartcar]\nbucket_size = -120\n",
			[]string{"config.toml:2: smartcar.bucket_size: -120 is outside 1..2147483647"}},
		{"huge bucket size", "[smartcar]\nbucket_size = 9999999999\n",
			[]string{"config.toml:2: smartcar.bucket_size: 9999999999 is outside 1..2147483647"}},
		{"fractional bucket size", "[smartcar]\nbucket_size = 120.5\n",
			[]string{"config.toml:2: smartcar.bucket_size: want an integer, got float 120.5"}},
		{"refills that are not positive and finite", `[smartcar]
bucket_refill_per_minute = 0
[[vehicle]]
id = "a"
vin = "5YJSA1E21FF108417"
make = "Tesla"
model = "Model S"
year = 2015
`, []string{"config.toml:2: smartcar.bucket_refill_per_minute: must be a positive number of requests per minute, " +
			"got integer 0"}},
		{"negative refill", "[smartcar]\nbucket_refill_per_minute = -0.5\n", []string{
			"config.toml:2: smartcar.bucket_refill_per_minute: must be a positive number of requests per minute, got float -0.5",
		}},
		{"NaN refill", "[smartcar]\nbucket_refill_per_minute = nan\n", []string{
			"config.toml:2: smartcar.bucket_refill_per_minute: must be a positive number of requests per minute, got float NaN",
		}},
		{"infinite refill", "[smartcar]\nbucket_refill_per_minute = inf\n", []string{
			"config.toml:2: smartcar.bucket_refill_per_minute: must be a positive number of requests per minute, got float +Inf",
		}},
		{"refill as a string", "[smartcar]\nbucket_refill_per_minute = \"2/min\"\n", []string{
			`config.toml:2: smartcar.bucket_refill_per_minute: want a number of requests per minute, like 2 or 0.5, ` +
				`got string "2/min"`,
		}},
		{"unknown smartcar key", "[smartcar]\nclient = \"x\"\n", []string{
			"config.toml:2: smartcar.client: unknown key (valid: client_id, client_secret_env, api_base, token_url, mode, " +
				"unit_system, bucket_size, bucket_refill_per_minute)",
		}},
		{"typo of a smartcar key", "[smartcar]\nclient_secret_evn = \"S\"\n",
			[]string{"config.toml:2: smartcar.client_secret_evn: unknown key, did you mean `client_secret_env`?"}},
	}
	checkConfigProblems(t, tests)
}

// TestConfigExampleDocumentsLiveKeys uncomments the `# key = value` lines of every [fleet], [smartcar] and [read] key
// in config.example.toml: each key must be there, and together they must make a valid live config.
func TestConfigExampleDocumentsLiveKeys(t *testing.T) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatalf("read config.example.toml: %v", err)
	}
	live := slices.Concat(fleetKeys, smartcarKeys, readKeys)
	seen := map[string]bool{}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		k, _, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if ok && strings.HasPrefix(line, "# ") && slices.Contains(live, k) {
			lines[i], seen[k] = strings.TrimPrefix(line, "# "), true
		}
	}
	for _, k := range live {
		if !seen[k] {
			t.Errorf("config.example.toml has no `# %s = …` line", k)
		}
	}
	cfg, err := parseConfig("config.example.toml", []byte(strings.Join(lines, "\n")), configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(config.example.toml, uncommented) error = %v, want nil", err)
	}
	want := defaultSmartcar()
	want.ClientID, want.ClientSecretEnv = "client_0123456789abcdef", "SMARTCAR_CLIENT_SECRET"
	if cfg.Source != SourceSmartcar || cfg.Smartcar != want || !reflect.DeepEqual(cfg.Auto, DefaultAuto()) {
		t.Errorf("parseConfig(config.example.toml, uncommented) = source %q, %+v, auto %v; want smartcar, %+v, %v",
			cfg.Source, cfg.Smartcar, cfg.Auto, want, DefaultAuto())
	}
}
