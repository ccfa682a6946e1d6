package config

import (
	"fleetkey/fleet/config/configtest"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/BurntSushi/toml"
	gotoml "github.com/pelletier/go-toml/v2"
)

// inBuffer reports whether s points into buf: a substring of it, which would keep all of buf alive.
func inBuffer(s string, buf []byte) bool {
	if s == "" || len(buf) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(&buf[0]))
	return p >= lo && p < lo+uintptr(len(buf))
}

// TestParseKeepsNoSubstring: no string of a parsed config points into the file's buffer, so the Config does not
// keep the file alive.
func TestParseKeepsNoSubstring(t *testing.T) {
	data := configtest.Fleet(50)
	cfg, err := parseConfig("fleet.toml", data, configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(...) error = %v", err)
	}
	for i, v := range cfg.Vehicles {
		for _, s := range []string{v.ID, v.VIN, v.Name, v.Make, v.Model, v.VirtualKeyURL} {
			if inBuffer(s, data) {
				t.Errorf("vehicle[%d]: %q points into the file's buffer", i, s)
			}
		}
	}
	for k := range cfg.Pinned {
		if inBuffer(k, data) {
			t.Errorf("Pinned key %q points into the file's buffer", k)
		}
	}
}

// TestCloneStrings: what BurntSushi decodes points into its input; cloned, no key or value does.
func TestCloneStrings(t *testing.T) {
	src := string(configtest.Fleet(3)) + "[connect]\nscopes = [\"read_vin\", \"read_battery\"]\n"
	raw := map[string]any{}
	if _, err := toml.Decode(src, &raw); err != nil {
		t.Fatal(err)
	}
	buf := unsafe.Slice(unsafe.StringData(src), len(src))
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			if inBuffer(v, buf) {
				t.Errorf("cloneStrings(...): %s = %q points into the input", path, v)
			}
		case map[string]any:
			for k, e := range v {
				if inBuffer(k, buf) {
					t.Errorf("cloneStrings(...): key %s.%s points into the input", path, k)
				}
				walk(path+"."+k, e)
			}
		case []map[string]any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		}
	}
	walk("", cloneStrings(raw))
}

// TestDescribeLocalTimes: a datetime without an offset reads the same in messages whichever decoder decoded it.
func TestDescribeLocalTimes(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"local datetime", "2026-06-01T08:00:00", "datetime 2026-06-01T08:00:00"},
		{"local datetime with fraction", "2026-06-01T08:00:00.25", "datetime 2026-06-01T08:00:00.25"},
		{"local date", "2026-06-01", "datetime 2026-06-01T00:00:00"},
		{"local time", "08:00:00", "datetime 0000-01-01T08:00:00"},
		{"offset datetime", "2026-06-01T08:00:00Z", "datetime 2026-06-01T08:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast, slow := map[string]any{}, map[string]any{}
			if err := gotoml.Unmarshal([]byte("v = "+tt.value), &fast); err != nil {
				t.Fatal(err)
			}
			if _, err := toml.Decode("v = "+tt.value, &slow); err != nil {
				t.Fatal(err)
			}
			if got := describe(fast["v"]); got != tt.want {
				t.Errorf("describe(go-toml %s) = %q, want %q", tt.value, got, tt.want)
			}
			if got := describe(slow["v"]); got != tt.want {
				t.Errorf("describe(BurntSushi %s) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// TestParseDecoderCorners: what go-toml/v2 decodes differently from BurntSushi/toml reads as it did.
func TestParseDecoderCorners(t *testing.T) {
	const entry = "[[vehicle]]\nid = \"a\"\nvin = \"5YJSA1E21FF108417\"\nmake = \"Tesla\"\n" +
		"model = \"Model S\"\nyear = 2015\n"
	tests := []configProblemCase{
		{"array of tables where a table is wanted", "[[account]] # 1\nplan = \"free\"\n",
			[]string{"config.toml: account: want a table ([account]), got an array of tables"}},
		{"inline array of tables is an array of tables too", "account = [{ plan = \"free\" }]\n",
			[]string{"config.toml:1: account: want a table ([account]), got an array of tables"}},
		{"local time", entry + "last_read_at = 08:00:00\n", []string{
			"config.toml:7: vehicle[0].last_read_at: datetime 0000-01-01T08:00:00 has no UTC offset; write it like " +
				"2026-05-01T08:30:00Z or 2026-05-01T10:30:00+02:00",
		}},
		// go-toml rejects an offset of 60 minutes; BurntSushi, which decides, accepts it as it always has.
		{"file only go-toml rejects", entry + "last_read_at = 2026-06-01T08:00:00+01:60\n", nil},
		{"byte order mark", "\ufeff" + entry + "year = 2015\n",
			[]string{"config.toml:7:1: Key 'vehicle.year' has already been defined."}},
		{"byte order mark then a problem", "\ufeff" + entry + "key = \"yes\"\n", []string{
			`config.toml:7: vehicle[0].key: "yes" is not a key status; want one of installed, missing, unknown`,
		}},
	}
	checkConfigProblems(t, tests)
}

// TestParseValidBuildsNoLineIndex: a file without a problem or warning is never indexed by line; one with a
// problem is, once.
func TestParseValidBuildsNoLineIndex(t *testing.T) {
	tests := []struct {
		name      string
		src       []byte
		wantIndex bool
	}{
		{"valid", configtest.Fleet(20), false},
		{"a warning", []byte("[policy]\nkeyless_interval = \"1h\"\n"), true},
		{"a problem", []byte("[account]\nplan = \"gold\"\n"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := decode(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			c := &checker{name: "config.toml", now: configTestNow, src: tt.src}
			c.config(raw)
			if got := c.lines != nil; got != tt.wantIndex {
				t.Errorf("checker indexed lines = %v, want %v (problems %d, warnings %d)", got, tt.wantIndex,
					len(c.problems), len(c.warnings))
			}
		})
	}
}

// TestParseFallbackKeepsTime: a file only BurntSushi accepts gives the datetime BurntSushi decodes.
func TestParseFallbackKeepsTime(t *testing.T) {
	src := configtest.Fleet(2)
	src = append(src[:len(src):len(src)], "[[vehicle]]\nid = \"c\"\nvin = \"5YJSA1E21FF108417\"\nmake = \"Tesla\"\n"+
		"model = \"Model S\"\nyear = 2015\nlast_read_at = 2026-06-01T08:00:00+01:60\n"...)
	cfg, err := parseConfig("fleet.toml", src, configTestNow)
	if err != nil {
		t.Fatalf("parseConfig(...) error = %v", err)
	}
	want := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	if got := cfg.Vehicles[2].LastReadAt; !got.Equal(want) {
		t.Errorf("vehicle[2].LastReadAt = %v, want %v", got, want)
	}
	if got := len(cfg.Vehicles); got != 3 || !slices.ContainsFunc(cfg.Vehicles, func(v Vehicle) bool {
		return v.ID == "c"
	}) {
		t.Errorf("parseConfig(...) vehicles = %d, want 3 with id c", got)
	}
}
