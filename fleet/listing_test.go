package fleet_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// listingOf returns the listing of vehicle id of testFleetConfig, last read at last (zero: never), at fleetNow.
func listingOf(t *testing.T, id string, last time.Time) fleet.Listing {
	t.Helper()
	cfg := testFleetConfig()
	st := ledger.State{}
	if !last.IsZero() {
		st = statesOf(map[string]time.Time{id: last})
	}
	entries, err := fleet.New(cfg, ledger.NewMemoryStore(st)).Entries()
	if err != nil {
		t.Fatal(err)
	}
	return fleet.ListingOf(entryOf(t, entries, id), cfg.Intervals, fleetNow)
}

// stamp formats a listing's time: "null" for nil, else RFC 3339 with nanoseconds and its zone.
func stamp(p *time.Time) string {
	if p == nil {
		return "null"
	}
	return p.Format(time.RFC3339Nano)
}

func TestListingOf(t *testing.T) {
	plus2 := time.FixedZone("+02", 2*3600)
	tests := []struct {
		name     string
		id       string
		last     time.Time
		badge    string
		url      string // "" for null
		wantLast string
		wantNext string
		allowed  bool
		asleep   bool
	}{
		{"legacy, read 2m ago in +02:00", idLegacy, fleetNow.Add(-2 * time.Minute).In(plus2), "legacy", "",
			"2026-03-14T09:24:53Z", "2026-03-14T09:29:53Z", false, false},
		{"legacy never read", idLegacy, time.Time{}, "legacy", "", "null", "2026-03-14T09:26:53Z", true, false},
		{"legacy asleep, last read with a fraction", idAsleep, time.Date(2026, 3, 14, 1, 2, 3, 999_999_999, time.UTC),
			"legacy", "", "2026-03-14T01:02:03Z", "null", false, true},
		{"legacy asleep never read", idAsleep, time.Time{}, "legacy", "", "null", "null", false, true},
		{"key-installed at the boundary", idInstalled, fleetNow.Add(-30 * time.Minute), "key-installed", smartcarKey,
			"2026-03-14T08:56:53Z", "2026-03-14T09:26:53Z", true, false},
		{"key-installed 10m ago", idInstalled, fleetNow.Add(-10 * time.Minute), "key-installed", smartcarKey,
			"2026-03-14T09:16:53Z", "2026-03-14T09:46:53Z", false, false},
		{"keyless 1h ago, own URL", idKeyless, fleetNow.Add(-time.Hour), "keyless", ownKeyURL,
			"2026-03-14T08:26:53Z", "2026-03-14T16:26:53Z", false, false},
		{"keyless 9h ago", idKeyless, fleetNow.Add(-9 * time.Hour), "keyless", ownKeyURL,
			"2026-03-14T00:26:53Z", "2026-03-14T08:26:53Z", true, false},
		{"unknown never read", idUnknown, time.Time{}, "unknown", smartcarKey, "null", "2026-03-14T09:26:53Z", true,
			false},
		{"unknown, read in the future (skew)", idUnknown, fleetNow.Add(time.Hour), "unknown", smartcarKey,
			"2026-03-14T10:26:53Z", "2026-03-14T17:26:53Z", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listingOf(t, tt.id, tt.last)
			url := ""
			if l.VirtualKeyURL != nil {
				url = *l.VirtualKeyURL
				if url == "" {
					t.Errorf("ListingOf(%s).VirtualKeyURL = pointer to \"\", want nil or a URL", tt.id)
				}
			}
			got := []any{l.ID, l.Badge, url, stamp(l.LastReadAt), stamp(l.NextReadAt), l.ReadAllowed, l.Asleep}
			want := []any{tt.id, tt.badge, tt.url, tt.wantLast, tt.wantNext, tt.allowed, tt.asleep}
			if !slices.Equal(got, want) {
				t.Errorf("ListingOf(%s) = %v, want %v\n(id, badge, url, last, next, allowed, asleep)", tt.id, got, want)
			}
		})
	}
}

func TestListingOfVehicleFields(t *testing.T) {
	l := listingOf(t, idKeyless, time.Time{})
	got := []any{l.ID, l.VIN, l.Name, l.Make, l.Model, l.Year}
	want := []any{idKeyless, "7SAYGDEE5PA095337", "Keyless", "Tesla", "Model Y", 2023}
	if !slices.Equal(got, want) {
		t.Errorf("ListingOf(%s) vehicle fields = %v, want %v", idKeyless, got, want)
	}
}

// TestListingJSON checks the contract with scripts: exactly these fields, nulls for nil pointers, times in UTC.
func TestListingJSON(t *testing.T) {
	b, err := json.Marshal(listingOf(t, idAsleep, time.Date(2026, 3, 14, 11, 2, 3, 500, time.FixedZone("", 7200))))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	fields := []string{"asleep", "badge", "id", "last_read_at", "make", "model", "name", "next_read_at", "read_allowed", "state",
		"vin", "virtual_key_url", "year"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, fields) {
		t.Errorf("JSON of a Listing has fields %q, want exactly %q", keys, fields)
	}
	want := map[string]any{"virtual_key_url": nil, "next_read_at": nil, "last_read_at": "2026-03-14T09:02:03Z"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("JSON of a Listing: %s = %#v, want %#v\n%s", k, got[k], v, b)
		}
	}
}

// TestListingNextReadNotEarly: a script that waits until next_read_at must then be allowed to read. Truncating a
// next read with a fraction of a second gives a time up to 1s before the read is allowed, and a listing that says
// read_allowed false with next_read_at equal to now.
func TestListingNextReadNotEarly(t *testing.T) {
	tests := []struct {
		name string
		id   string
		last time.Time
	}{
		{"key-installed, read at .7s", idInstalled, fleetNow.Add(-10*time.Minute + 700*time.Millisecond)},
		{"key-installed, 1ns before the boundary", idInstalled, fleetNow.Add(-30*time.Minute + 1)},
		{"keyless, read at .2s", idKeyless, fleetNow.Add(-time.Hour + 200*time.Millisecond)},
		{"legacy, read at .999999999s", idLegacy, fleetNow.Add(-time.Minute + 999_999_999)},
	}
	iv := policy.DefaultIntervals()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listingOf(t, tt.id, tt.last)
			if l.ReadAllowed || l.NextReadAt == nil {
				t.Fatalf("ListingOf(%s) = allowed %v, next %v; want a next read to wait for", tt.id, l.ReadAllowed,
					stamp(l.NextReadAt))
			}
			v, _ := fleet.New(testFleetConfig(), ledger.NewMemoryStore(ledger.State{})).Find(tt.id)
			if !policy.Allowed(v.Facts(), iv, tt.last, *l.NextReadAt) {
				exact, _ := policy.NextRead(v.Facts(), iv, tt.last, fleetNow)
				t.Errorf("ListingOf(%s).NextReadAt = %s, want a time the read is allowed at (it is allowed from %s)",
					tt.id, stamp(l.NextReadAt), exact.Format(time.RFC3339Nano))
			}
		})
	}
}
