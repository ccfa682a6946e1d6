package config

import (
	"strings"
	"testing"
)

func TestParseStateProblems(t *testing.T) {
	checkConfigProblems(t, []configProblemCase{
		{"password in the url", "[state]\nurl = \"postgres://fleet:hunter2@db.internal/fleetkey\" # 2\n", []string{
			"config.toml:2: state.url: holds a password, and a secret must not be in a file: remove it and use " +
				"PGPASSWORD, a ~/.pgpass file, or url_env naming a variable that holds the whole URL",
		}},
		{"password as a parameter", "[state]\nurl = \"postgresql://db/fleetkey?password=hunter2\" # 2\n", []string{
			"config.toml:2: state.url: holds a password, and a secret must not be in a file: remove it and use " +
				"PGPASSWORD, a ~/.pgpass file, or url_env naming a variable that holds the whole URL",
		}},
		{"unknown scheme", "[state]\nurl = \"mysql://db/fleetkey\" # 2\n", []string{
			`config.toml:2: state.url: must be "sqlite:PATH" or a "postgres://" URL`,
		}},
		{"sqlite without a path", "[state]\nurl = \"sqlite:\" # 2\n", []string{
			`config.toml:2: state.url: "sqlite:" needs a path, like "sqlite:/var/lib/fleetkey/ledger.db"`,
		}},
		{"url and url_env", "[state]\nurl = \"sqlite:l.db\" # 2\nurl_env = \"LEDGER_URL\"\n", []string{
			"config.toml:2: state.url: is given with url_env; keep one of them",
		}},
		{"url_env holds a URL", "[state]\nurl_env = \"postgres://db/x\" # 2\n", []string{
			"config.toml:2: state.url_env: is not an environment variable name (letters, digits and '_', not " +
				`starting with a digit); name the variable that holds the URL, e.g. "FLEETKEY_LEDGER_URL"`,
		}},
		{"unknown key", "[state]\nurl = \"sqlite:l.db\"\npath = \"x\" # 3\n", []string{
			"config.toml:3: state.path: unknown key (valid: url, url_env)",
		}},
	})
}

func TestParseState(t *testing.T) {
	tests := []struct{ name, src, want, env string }{
		{"sqlite", "[state]\nurl = \"sqlite:ledger.db\"\n", "sqlite:ledger.db", ""},
		{"postgres without a password", "[state]\nurl = \"postgres://fleet@db.internal:5432/fleetkey\"\n",
			"postgres://fleet@db.internal:5432/fleetkey", ""},
		{"url_env", "[state]\nurl_env = \"LEDGER_URL\"\n", "postgres://u:p@db/x", "postgres://u:p@db/x"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("config.toml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) string {
				if k == "LEDGER_URL" {
					return tt.env
				}
				return ""
			}
			if got := cfg.State.LedgerURL(getenv); got != tt.want {
				t.Errorf("LedgerURL() = %q, want %q", got, tt.want)
			}
			if strings.Contains(cfg.State.URL, "p@") {
				t.Errorf("State.URL = %q holds the variable's secret", cfg.State.URL)
			}
		})
	}
}
