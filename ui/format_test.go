package ui

import (
	"testing"
	"time"
)

func TestCountdown(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "ready"},
		{-time.Second, "ready"},
		{time.Nanosecond, "1s"},
		{time.Second, "1s"},
		{time.Second + time.Nanosecond, "2s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m00s"},
		{4*time.Minute + 5*time.Second, "4m05s"},
		{8 * time.Hour, "8h00m00s"},
		{7*time.Hour + 59*time.Minute + 12*time.Second, "7h59m12s"},
	}
	for _, tt := range tests {
		if got := countdown(tt.d); got != tt.want {
			t.Errorf("countdown(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Hour, "just now"},
		{0, "just now"},
		{42 * time.Second, "42s ago"},
		{5 * time.Minute, "5m ago"},
		{3*time.Hour + 12*time.Minute, "3h12m ago"},
		{96 * time.Hour, "4d ago"},
	}
	for _, tt := range tests {
		if got := age(testNow.Add(-tt.ago), testNow); got != tt.want {
			t.Errorf("age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := age(time.Time{}, testNow); got != "never" {
		t.Errorf("age(zero) = %q, want never", got)
	}
}

func TestEvery(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{8 * time.Hour, "8h"},
		{30 * time.Minute, "30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Second, "45s"},
		{10 * time.Second, "10s"},
		{20 * time.Second, "20s"},
		{time.Minute + 30*time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{10*time.Minute + 10*time.Second, "10m10s"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{time.Hour + 10*time.Second, "1h0m10s"},
		{10*time.Hour + 20*time.Minute, "10h20m"},
		{100 * time.Hour, "100h"},
		{time.Minute, "1m"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{time.Hour + 500*time.Millisecond, "1h0m0.5s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := every(tt.d); got != tt.want {
			t.Errorf("every(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
