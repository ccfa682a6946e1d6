package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidVIN is what every error of ValidateVIN wraps.
var ErrInvalidVIN = errors.New("invalid VIN")

// vinLength is the length of every VIN since model year 1981 (ISO 3779, 49 CFR 565).
const vinLength = 17

// vinCheckPos is the 0-based position of the check digit, the ninth character.
const vinCheckPos = 8

// vinWeights are the position weights of the 49 CFR 565 check-digit sum.
var vinWeights = [vinLength]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// ValidateVIN reports whether vin is a well-formed vehicle identification number: 17 letters and digits, none of them
// I, O or Q, compared case-insensitively. For North American VINs (first character 1–5 or 7), whose ninth character is
// a check digit by 49 CFR 565, the check digit must match; other regions do not require one, so it is not checked.
// Every error wraps ErrInvalidVIN and says what is wrong.
func ValidateVIN(vin string) error {
	if n := utf8.RuneCountInString(vin); n != vinLength {
		return fmt.Errorf("%w %q: %d characters, want %d", ErrInvalidVIN, vin, n, vinLength)
	}
	up := asciiUpper(vin)
	for i, r := range []rune(up) {
		if why := vinRuneProblem(r); why != "" {
			return fmt.Errorf("%w %q: position %d is %q; %s", ErrInvalidVIN, vin, i+1, r, why)
		}
	}
	if !hasCheckDigit(up) {
		return nil
	}
	if want := vinCheckDigit(up); up[vinCheckPos] != want {
		return fmt.Errorf("%w %q: check digit (position 9) is %q, want %q", ErrInvalidVIN, vin, up[vinCheckPos], want)
	}
	return nil
}

// asciiUpper upper-cases the ASCII letters of s only, so that no other rune can turn into a valid VIN character (as
// strings.ToUpper turns 'ſ' into 'S').
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// vinRuneProblem says why an (upper-case) character cannot be part of a VIN; "" when it can.
func vinRuneProblem(r rune) string {
	switch {
	case r == 'I' || r == 'O' || r == 'Q':
		return "I, O and Q are never used"
	case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return ""
	default:
		return "a VIN has only letters and digits"
	}
}

// hasCheckDigit reports whether the standard of the VIN's region requires a check digit: North America (first
// character 1–5, or 7 since the US range was extended), under 49 CFR 565.
func hasCheckDigit(vin string) bool {
	c := vin[0]
	return c >= '1' && c <= '5' || c == '7'
}

// vinCheckDigit computes the 49 CFR 565 check digit of an upper-case, well-formed VIN: '0'–'9' or 'X' for 10.
func vinCheckDigit(vin string) byte {
	sum := 0
	for i := 0; i < vinLength; i++ {
		sum += vinValue(vin[i]) * vinWeights[i]
	}
	if r := sum % 11; r < 10 {
		return byte('0' + r)
	}
	return 'X'
}

// vinValue transliterates one VIN character to its number: digits are themselves, letters follow the 49 CFR 565 table
// (A–H 1–8, J–N 1–5, P 7, R 9, S–Z 2–9).
func vinValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'H':
		return int(c-'A') + 1
	case c >= 'J' && c <= 'N':
		return int(c-'J') + 1
	case c == 'P':
		return 7
	case c == 'R':
		return 9
	case c >= 'S' && c <= 'Z':
		return int(c-'S') + 2
	}
	return 0
}
