package config

import (
	"net/url"
	"strings"
)

// State is the [state] table: where the read ledger lives.
type State struct {
	// URL is "sqlite:PATH" (a relative PATH is relative to the config file) or a "postgres://" URL without a
	// password; "" means the default SQLite file under $XDG_STATE_HOME/fleetkey.
	URL string
	// URLEnv names the environment variable that holds the URL instead, for a URL that carries a password.
	URLEnv string
}

// stateKeys are the valid keys of [state].
var stateKeys = []string{"url", "url_env"}

// state checks the [state] table.
func (c *checker) state(v any) State {
	var st State
	t, ok := c.table("state", v)
	if !ok {
		return st
	}
	c.unknownKeys(t, stateKeys)
	st.URLEnv = c.urlEnv(t)
	s, ok := c.text(t, "url", false)
	if !ok {
		return st
	}
	if st.URLEnv != "" {
		c.addf(t.key("url"), "is given with url_env; keep one of them")
		return st
	}
	if msg := checkLedgerURL(s); msg != "" {
		c.addf(t.key("url"), "%s", msg)
		return st
	}
	st.URL = s
	return st
}

// urlEnv checks state.url_env: the name of a variable, never the URL itself.
func (c *checker) urlEnv(t table) string {
	s, ok := c.str(t, "url_env", false)
	if !ok {
		return ""
	}
	if !isEnvName(s) {
		c.addf(t.key("url_env"), "is not an environment variable name (letters, digits and '_', not starting with "+
			`a digit); name the variable that holds the URL, e.g. "FLEETKEY_LEDGER_URL"`)
		return ""
	}
	return s
}

// checkLedgerURL returns what is wrong with a ledger URL, "" when nothing is. It never quotes a password.
func checkLedgerURL(s string) string {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//") == "" {
			return `"sqlite:" needs a path, like "sqlite:/var/lib/fleetkey/ledger.db"`
		}
		return ""
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return "is not a valid postgres:// URL"
		}
		if _, has := u.User.Password(); has || u.Query().Has("password") {
			return "holds a password, and a secret must not be in a file: remove it and use PGPASSWORD, a " +
				"~/.pgpass file, or url_env naming a variable that holds the whole URL"
		}
		return ""
	}
	return `must be "sqlite:PATH" or a "postgres://" URL`
}

// LedgerURL returns the ledger's URL: [state] url, or the value of the variable url_env names ("" when the config
// names neither: the default file). getenv is os.Getenv.
func (s State) LedgerURL(getenv func(string) string) string {
	if s.URLEnv != "" {
		return getenv(s.URLEnv)
	}
	return s.URL
}
