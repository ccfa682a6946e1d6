package config

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       int
	}{
		{"both empty", "", "", 0},
		{"equal", "vin", "vin", 0},
		{"from empty", "", "vin", 3},
		{"insertion", "vinn", "vin", 1},
		{"substitution", "yeer", "year", 1},
		{"transposition", "yaer", "year", 1},
		{"classic", "kitten", "sitting", 3},
		{"runes, not bytes", "é", "e", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		key, want string // want "" means no suggestion
	}{
		{"vinn", "vin"},
		{"VIN", "vin"},
		{"yaer", "year"},
		{"modle", "model"},
		{"nmae", "name"},
		{"ix", "id"},
		{"virtual_key", ""},
		{"virtualkeyurl", "virtual_key_url"},
		{"virtual-key-url", "virtual_key_url"},
		{"lastreadat", "last_read_at"},
		{"xy", ""},
		{"colour", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := suggest(tt.key, vehicleKeys)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("suggest(%q, vehicleKeys) = %q, %v, want %q", tt.key, got, ok, tt.want)
			}
		})
	}
}
