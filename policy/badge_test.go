package policy

import "testing"

func TestBadgeOf(t *testing.T) {
	tests := []struct {
		name string
		f    Facts
		want Badge
	}{
		{"2020 Model S is legacy", Facts{Make: "Tesla", Model: "Model S", Year: 2020}, Legacy},
		{"2020 Model X is legacy", Facts{Make: "Tesla", Model: "Model X", Year: 2020}, Legacy},
		{"2012 Model S is legacy", Facts{Make: "TESLA", Model: "model s", Year: 2012}, Legacy},
		{"legacy even with key missing", Facts{Make: "Tesla", Model: "S", Year: 2019, Key: KeyMissing}, Legacy},
		{"legacy even with key paired", Facts{Make: "Tesla", Model: "X", Year: 2016, Key: KeyPaired}, Legacy},
		{"2021 Model S is not legacy", Facts{Make: "Tesla", Model: "Model S", Year: 2021}, Unknown},
		{"2021 Model X with key", Facts{Make: "Tesla", Model: "Model X", Year: 2021, Key: KeyPaired}, KeyInstalled},
		{"2021 Model X keyless", Facts{Make: "Tesla", Model: "Model X", Year: 2021, Key: KeyMissing}, Keyless},
		{"2018 Model 3 is never legacy", Facts{Make: "Tesla", Model: "Model 3", Year: 2018}, Unknown},
		{"2017 Model 3 keyless", Facts{Make: "Tesla", Model: "Model 3", Year: 2017, Key: KeyMissing}, Keyless},
		{"2020 Model Y with key", Facts{Make: "Tesla", Model: "Model Y", Year: 2020, Key: KeyPaired}, KeyInstalled},
		{"2024 Model Y unknown", Facts{Make: "Tesla", Model: "Model Y", Year: 2024}, Unknown},
		{"other make named S", Facts{Make: "Acme", Model: "S", Year: 2015}, Unknown},
		{"Model SX is not S", Facts{Make: "Tesla", Model: "Model SX", Year: 2015}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BadgeOf(tt.f); got != tt.want {
				t.Errorf("BadgeOf(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, b := range Badges {
		got, err := ParseBadge(b.String())
		if err != nil || got != b {
			t.Errorf("ParseBadge(%q) = %v, %v; want %v", b.String(), got, err, b)
		}
	}
	for _, k := range []KeyStatus{KeyUnknown, KeyPaired, KeyMissing} {
		got, err := ParseKeyStatus(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKeyStatus(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, bad := range []string{"", "Installed", "paired", "yes"} {
		if _, err := ParseKeyStatus(bad); err == nil {
			t.Errorf("ParseKeyStatus(%q) = nil error, want an error", bad)
		}
	}
	if _, err := ParseBadge("legacy "); err == nil {
		t.Error(`ParseBadge("legacy ") = nil error, want an error`)
	}
}
