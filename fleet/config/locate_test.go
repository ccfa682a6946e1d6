package config

import "testing"

func TestIndexLines(t *testing.T) {
	const src = `# comment = not a key
state_file = "x"

[account]
plan = "free" # trailing = comment
[policy]
notes = """
vin = "inside a multi-line string"
"""
"keyless_interval" = "8h"
[[vehicle]]
id = "a"
[vehicle.extra]
x = 1
[[ vehicle ]]
  id = "b"
inline = { vin = "z" }
site.depot = 3
raw = '''
year = 1
'''
make = "Tesla"
`
	ix := indexLines(src)
	tests := []struct {
		key  string
		want int // 0: not found
	}{
		{"state_file", 2},
		{"account", 4},
		{"account.plan", 5},
		{"account.subdomain", 4}, // missing: its table's header
		{"policy", 6},
		{"policy.notes", 7},
		{"policy.vin", 6}, // only inside the string: not indexed, so the table's header
		{"policy.keyless_interval", 10},
		{"vehicle[0]", 11},
		{"vehicle[0].id", 12},
		{"vehicle[0].extra", 13},
		{"vehicle[0].extra.x", 14},
		{"vehicle[1]", 15},
		{"vehicle[1].id", 16},
		{"vehicle[1].inline", 17},
		{"vehicle[1].inline.vin", 17},
		{"vehicle[1].site.depot", 18},
		{"vehicle[1].raw", 19},
		{"vehicle[1].year", 15},
		{"vehicle[1].make", 22},
		{"vehicle[2].id", 0},
		{"comment", 0},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := ix.line(tt.key); got != tt.want {
				t.Errorf("indexLines(...).line(%q) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

func TestParentKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"vehicle[2].vin", "vehicle[2]"},
		{"vehicle[2]", "vehicle"},
		{"vehicle", ""},
		{"policy.keyless_interval", "policy"},
		{"vehicle[0].extra.x", "vehicle[0].extra"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := parentKey(tt.key); got != tt.want {
				t.Errorf("parentKey(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
