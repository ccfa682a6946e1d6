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
		// A missing fact is not known, and a vehicle not known to be legacy is budgeted by its key status.
		{"Model S year 0 is unknown", Facts{Make: "Tesla", Model: "Model S", Year: 0}, Unknown},
		{"Model X year 0 is unknown", Facts{Make: "Tesla", Model: "Model X"}, Unknown},
		{"Model S negative year", Facts{Make: "Tesla", Model: "Model S", Year: -2019}, Unknown},
		{"Model S before the first model year", Facts{Make: "Tesla", Model: "Model S", Year: 2011}, Unknown},
		{"Model S year 0 with key paired", Facts{Make: "Tesla", Model: "S", Key: KeyPaired}, KeyInstalled},
		{"Model X year 0 with key missing", Facts{Make: "Tesla", Model: "X", Key: KeyMissing}, Keyless},
		{"missing make", Facts{Model: "Model S", Year: 2016}, Unknown},
		{"blank make", Facts{Make: "  ", Model: "Model S", Year: 2016}, Unknown},
		{"missing make, key missing", Facts{Model: "Model S", Year: 2016, Key: KeyMissing}, Keyless},
		{"missing model", Facts{Make: "Tesla", Year: 2016}, Unknown},
		{"blank model", Facts{Make: "Tesla", Model: " ", Year: 2016}, Unknown},
		{"model is only the word Model", Facts{Make: "Tesla", Model: "Model", Year: 2016}, Unknown},
		{"nothing known", Facts{}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BadgeOf(tt.f); got != tt.want {
				t.Errorf("BadgeOf(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestIsLegacy(t *testing.T) {
	tests := []struct {
		name        string
		make, model string
		year        int
		want        bool
	}{
		{"2020 Model S, the last legacy year", "Tesla", "Model S", 2020, true},
		{"2021 Model S, the first keyed year", "Tesla", "Model S", 2021, false},
		{"2020 Model X", "Tesla", "Model X", 2020, true},
		{"2021 Model X", "Tesla", "Model X", 2021, false},
		{"2012 Model S, the first model year", "Tesla", "Model S", 2012, true},
		{"2011 is before any Model S", "Tesla", "Model S", 2011, false},
		{"year 0 is not known", "Tesla", "Model S", 0, false},
		{"negative year is not known", "Tesla", "Model X", -1, false},
		{"empty make is not known", "", "Model S", 2016, false},
		{"empty model is not known", "Tesla", "", 2016, false},
		{"2018 Model 3", "Tesla", "Model 3", 2018, false},
		{"make in any case, padded", " tesla ", "modelx", 2019, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsLegacy(tt.make, tt.model, tt.year); got != tt.want {
				t.Errorf("IsLegacy(%q, %q, %d) = %v, want %v", tt.make, tt.model, tt.year, got, tt.want)
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
