package ui

import (
	"fmt"
	"strings"
	"time"
)

// countdown formats the time until a read is allowed: "7h59m12s", "4m05s", "12s", or "ready". It rounds up to the
// second so that "ready" is never shown before the read is really allowed.
func countdown(d time.Duration) string {
	if d <= 0 {
		return "ready"
	}
	s := int64((d + time.Second - 1) / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	default:
		return fmt.Sprintf("%ds", sec)
	}
}

// age formats how long ago something happened, coarsely: "never", "just now", "42s ago", "5m ago", "3h12m ago",
// "4d ago". A time in the future (clock skew) reads "just now", as the rules count it.
func age(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d/time.Minute)%60)
	default:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
}

// every formats an interval for prose: time.Duration's own form without its zero tail, so "8h", "30m", "1h30m",
// "1m30s", "10s", "1h0m5s", "1.5s", "250ms". Only a zero unit at the very end goes (the "0s" of "1m0s", then the "0m"
// of "8h0m"); a digit 0 inside a number ("10s", "20m") is part of the number.
func every(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
