package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// table is one decoded TOML table and its dotted path in the file ("" for the top level).
type table struct {
	path string
	m    map[string]any
}

// key returns the dotted path of key k of the table.
func (t table) key(k string) string {
	if t.path == "" {
		return k
	}
	return t.path + "." + k
}

// has reports whether the table defines k.
func (t table) has(k string) bool {
	_, ok := t.m[k]
	return ok
}

// table checks that the value of key is a table; ok is false when it is absent or not a table.
func (c *checker) table(key string, v any) (table, bool) {
	if v == nil {
		return table{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(key, "want a table ([%s]), got %s", key, describe(v))
		return table{}, false
	}
	return table{path: key, m: m}, true
}

// str returns the string value of k; ok is false when it is absent (a problem if required) or not a string.
func (c *checker) str(t table, k string, required bool) (s string, ok bool) {
	v, present := t.m[k]
	if !present {
		if required {
			c.addf(t.key(k), "required but missing")
		}
		return "", false
	}
	if s, ok = v.(string); !ok {
		c.addf(t.key(k), "want a string, got %s", describe(v))
	}
	return s, ok
}

// text is str for a text that must not be blank when given.
func (c *checker) text(t table, k string, required bool) (string, bool) {
	s, ok := c.str(t, k, required)
	if ok && strings.TrimSpace(s) == "" {
		c.addf(t.key(k), "is empty")
		return "", false
	}
	return s, ok
}

// integer returns the integer value of k; ok is false when it is absent (a problem if required) or not an integer.
func (c *checker) integer(t table, k string, required bool) (int64, bool) {
	v, present := t.m[k]
	if !present {
		if required {
			c.addf(t.key(k), "required but missing")
		}
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		c.addf(t.key(k), "want an integer, got %s", describe(v))
	}
	return n, ok
}

// boolean returns the boolean value of k, false when it is absent or not a boolean.
func (c *checker) boolean(t table, k string) bool {
	v, present := t.m[k]
	if !present {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		c.addf(t.key(k), "want true or false, got %s", describe(v))
	}
	return b
}

// datetime returns the offset datetime value of k, zero when it is absent or not one. A local datetime (no offset) is
// rejected: read as UTC it could be hours late, which would allow a read too early.
func (c *checker) datetime(t table, k string) time.Time {
	v, present := t.m[k]
	if !present {
		return time.Time{}
	}
	if _, local := localTime(v); local {
		c.addf(t.key(k), "%s has no UTC offset; write it like 2026-05-01T08:30:00Z or 2026-05-01T10:30:00+02:00",
			describe(v))
		return time.Time{}
	}
	tm, ok := v.(time.Time)
	if !ok {
		c.addf(t.key(k), "want a datetime like 2026-05-01T08:30:00Z, got %s", describe(v))
		return time.Time{}
	}
	return tm.UTC()
}

// describe names the TOML type of a decoded value, with the value when it is short, for type mismatch messages.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case time.Time:
		return "datetime " + v.Format("2006-01-02T15:04:05.999999999")
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		if isTableArray(v) {
			return "an array of tables"
		}
		return "an array"
	}
	if lt, ok := localTime(v); ok {
		return "datetime " + lt.Format("2006-01-02T15:04:05.999999999")
	}
	return fmt.Sprintf("%T", v)
}

// unknownKeys reports every key of t that is not in known, suggesting the nearest valid one. An unknown key that
// looks like a secret, and is neither a typo of a valid key nor a valid key elsewhere (like token_url), gets its own
// message, which never quotes the value.
func (c *checker) unknownKeys(t table, known []string) {
	for k := range t.m {
		if !slices.Contains(known, k) {
			c.reportUnknownKeys(t, known)
			return
		}
	}
}

// reportUnknownKeys reports the unknown keys of t, in key order, for unknownKeys.
func (c *checker) reportUnknownKeys(t table, known []string) {
	for _, k := range slices.Sorted(maps.Keys(t.m)) {
		if slices.Contains(known, k) {
			continue
		}
		if _, typo := suggest(k, known); looksSecret(k) && !typo && homeTable(t, k) == "" {
			c.addf(t.key(k), "looks like a secret, and a secret must not be in a file: remove it, put the secret in an "+
				"environment variable and name that variable in client_secret_env of [smartcar]")
			continue
		}
		c.addf(t.key(k), "unknown key%s", unknownKeyHint(t, k, known))
	}
}

// unknownKeyHint suggests what an unknown key k of t may have meant.
func unknownKeyHint(t table, k string, known []string) string {
	if t.path != "" && slices.Contains(topKeys, k) {
		return fmt.Sprintf(" in [%s]; top-level keys such as `%s` go before the first [table]", t.path, k)
	}
	if home := homeTable(t, k); home != "" {
		return fmt.Sprintf("; `%s` is a key of %s", k, home)
	}
	if s, ok := suggest(k, known); ok {
		return fmt.Sprintf(", did you mean `%s`?", s)
	}
	return " (valid: " + strings.Join(known, ", ") + ")"
}
