package config

import (
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	gotoml "github.com/pelletier/go-toml/v2"
)

// utf8BOM is the byte order mark a file may start with: TOML allows it, go-toml/v2 does not, and BurntSushi/toml
// counts offsets after it.
var utf8BOM = []byte("\xef\xbb\xbf")

// decode decodes a config file, without its byte order mark, into a generic tree: tables are map[string]any, arrays
// []any (BurntSushi's arrays of tables []map[string]any), integers int64, floats float64, datetimes time.Time or
// go-toml's local types.
//
// go-toml/v2 decodes first: a 100 000-vehicle file takes it 0.18 s and 68 MB, where BurntSushi/toml takes 1.06 s and
// 369 MB, and it copies every string out of data, so that nothing decoded holds the file alive. A file it rejects is
// decoded by BurntSushi, whose error and position the messages have always given. The two agree on the TOML 1.1 test
// suite (toml-lang/toml-test) but for 16 invalid files that only go-toml rejects, which BurntSushi then accepts as it
// always has, and for a nested array of inline tables, which no config has. BurntSushi's strings point into its copy
// of the file, so they are cloned.
func decode(data []byte) (map[string]any, error) {
	raw := map[string]any{}
	if gotoml.Unmarshal(data, &raw) == nil {
		return raw, nil
	}
	raw = map[string]any{}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, err
	}
	return cloneStrings(raw).(map[string]any), nil
}

// cloneStrings returns v with every string in it, keys too, copied to memory of its own.
func cloneStrings(v any) any {
	switch v := v.(type) {
	case string:
		return strings.Clone(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[strings.Clone(k)] = cloneStrings(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			out[i] = cloneStrings(e).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneStrings(e)
		}
		return out
	}
	return v
}

// localTime returns a local datetime, date or time (one without a UTC offset) as the wall clock it says, in UTC
// (a local time on 0000-01-01, a local date at midnight); ok is false for anything else. go-toml/v2 gives them their
// own types; BurntSushi marks them with location names.
func localTime(v any) (t time.Time, ok bool) {
	switch v := v.(type) {
	case gotoml.LocalDateTime:
		return v.AsTime(time.UTC), true
	case gotoml.LocalDate:
		return v.AsTime(time.UTC), true
	case gotoml.LocalTime:
		return time.Date(0, 1, 1, v.Hour, v.Minute, v.Second, v.Nanosecond, time.UTC), true
	case time.Time:
		switch v.Location().String() {
		case "datetime-local", "date-local", "time-local":
			return v, true
		}
	}
	return time.Time{}, false
}

// isTableArray reports whether a decoded array is a non-empty array of tables: go-toml/v2 gives [[name]] entries as
// []any, like an inline array.
func isTableArray(a []any) bool {
	for _, e := range a {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return len(a) > 0
}
