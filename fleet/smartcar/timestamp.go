package smartcar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Epoch values below msFrom are seconds, from msFrom up to beyond are milliseconds: 1e11 s is the year 5138, 1e11 ms
// is 1973, so no plausible date is ambiguous.
const (
	msFrom = 1e11
	beyond = 1e14 // 1e14 ms is the year 5138 again; larger values are rejected
)

// isoLayouts are the string forms accepted: RFC 3339 (with or without fractions) and the same without a zone (UTC).
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"}

// parseTimestamp reads a JSON timestamp: epoch seconds or milliseconds (integer or fractional), an ISO-8601 string,
// or a string of digits. Absent, null, "" and 0 are the zero time without an error; anything else unreadable, negative
// or beyond the year 5138 is an error.
func parseTimestamp(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, fmt.Errorf("timestamp %.40s: %w", raw, err)
		}
		return parseTimeString(strings.TrimSpace(s))
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, fmt.Errorf("timestamp %.40s is neither a number nor a string", raw)
	}
	return parseEpoch(string(raw))
}

// parseTimeString reads an ISO-8601 string or a string of epoch digits.
func parseTimeString(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T ") {
		return parseEpoch(s)
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not ISO-8601 or epoch", clip(s, 40))
}

// parseEpoch reads epoch seconds or milliseconds (see msFrom).
func parseEpoch(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n == 0:
			return time.Time{}, nil
		case n < 0 || n >= beyond:
			return time.Time{}, fmt.Errorf("epoch timestamp %d is out of range", n)
		case n < msFrom:
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(f):
		return time.Time{}, fmt.Errorf("timestamp %q is not a number", clip(s, 40))
	case f == 0:
		return time.Time{}, nil
	case f < 0 || f >= beyond:
		return time.Time{}, fmt.Errorf("epoch timestamp %q is out of range", clip(s, 40))
	}
	whole, frac := math.Modf(f)
	if f >= msFrom {
		return time.UnixMilli(int64(whole)).Add(time.Duration(math.Round(frac * 1e6))).UTC(), nil
	}
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC(), nil
}

// clip cuts s to at most n bytes, for quoting in errors.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
