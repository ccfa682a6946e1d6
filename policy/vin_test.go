package policy

import (
	"errors"
	"testing"
)

func TestValidateVINAccepts(t *testing.T) {
	tests := []struct {
		name, vin string
	}{
		{"Tesla Model S Fremont", "5YJSA1E21FF108417"},
		{"Tesla Model X, check digit X", "5YJXCBE2XGF012874"},
		{"Tesla Model Y Austin 7SA", "7SAYGDEE5PA095337"},
		{"lower case", "5yjsa1e21ff108417"},
		// Reference VINs whose check digits are published, independent of this implementation.
		{"49 CFR 565 worked example, check digit X", "1M8GDM9AXKP042788"},
		{"Honda, check digit 3", "1HGCM82633A004352"},
		{"all ones", "11111111111111111"},
		{"European VIN, letter in check position", "WVWZZZ3CZWE689725"},
		{"Tesla Berlin XP7, letter in check position", "XP7YGCEKZPB123456"},
		{"Tesla Shanghai LRW, wrong-looking check digit not checked", "LRWYGCEK0PC123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateVIN(tt.vin); err != nil {
				t.Errorf("ValidateVIN(%q) = %v, want nil", tt.vin, err)
			}
		})
	}
}

func TestValidateVINRejects(t *testing.T) {
	tests := []struct {
		name, vin, want string
	}{
		{"empty", "", `invalid VIN "": 0 characters, want 17`},
		{"too short", "5YJ3E1EA", `invalid VIN "5YJ3E1EA": 8 characters, want 17`},
		{"too long", "5YJSA1E21FF1084170", `invalid VIN "5YJSA1E21FF1084170": 18 characters, want 17`},
		{"letter I", "5YJSA1EI1FF108417", `invalid VIN "5YJSA1EI1FF108417": position 8 is 'I'; I, O and Q are never used`},
		{"letter O", "5YJSO1E21FF108417", `invalid VIN "5YJSO1E21FF108417": position 5 is 'O'; I, O and Q are never used`},
		{"letter q, lower case", "5YJSA1E21FF10841q",
			`invalid VIN "5YJSA1E21FF10841q": position 17 is 'Q'; I, O and Q are never used`},
		{"dash", "5YJ-A1E21FF108417", `invalid VIN "5YJ-A1E21FF108417": position 4 is '-'; a VIN has only letters and digits`},
		{"space", "5YJSA1E21FF 08417", `invalid VIN "5YJSA1E21FF 08417": position 12 is ' '; a VIN has only letters and digits`},
		{"non-ASCII counted as one character", "5YJSA1E21FF10841é",
			`invalid VIN "5YJSA1E21FF10841é": position 17 is 'é'; a VIN has only letters and digits`},
		{"long s that upper-cases to S", "5YJſA1E21FF108417",
			`invalid VIN "5YJſA1E21FF108417": position 4 is 'ſ'; a VIN has only letters and digits`},
		{"check digit mismatch", "5YJSA1E27FF108417", `invalid VIN "5YJSA1E27FF108417": check digit (position 9) is '7', want '1'`},
		{"check digit X expected", "5YJXCBE20GF012874", `invalid VIN "5YJXCBE20GF012874": check digit (position 9) is '0', want 'X'`},
		{"check digit on 7SA", "7SAYGDEE4PA095337", `invalid VIN "7SAYGDEE4PA095337": check digit (position 9) is '4', want '5'`},
		{"letter in check position, North America", "5YJSA1E2ZFF108417",
			`invalid VIN "5YJSA1E2ZFF108417": check digit (position 9) is 'Z', want '1'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateVIN(tt.vin)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ValidateVIN(%q) = %v, want %s", tt.vin, err, tt.want)
			}
			if !errors.Is(err, ErrInvalidVIN) {
				t.Errorf("ValidateVIN(%q) = %v, want it to wrap ErrInvalidVIN", tt.vin, err)
			}
		})
	}
}
