package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
)

// conditionEntries is the test fleet with a vehicle in each condition the API can put it in, and one as it was.
func conditionEntries() []fleet.Entry {
	entries := testEntries()
	at := func(d time.Duration) time.Time { return testNow.Add(d) }
	set := func(i int, rec ledger.Record) {
		rec.LastReadAt = entries[i].LastRead
		entries[i].Record = rec
	}
	// Depot 3 (keyless): a 430 stopped its reads two hours ago.
	set(0, ledger.Record{Stopped: "smartcar 430 BILLING:VEHICLE_LIMIT", LastError: "smartcar 430 BILLING:VEHICLE_LIMIT",
		ErrorKind: "billing", LastErrorAt: at(-2 * time.Hour)})
	// Exec shuttle (key-installed, read 12m ago, due in 18m): a 429 for this vehicle holds it 25 minutes more.
	set(1, ledger.Record{NotBefore: at(25 * time.Minute), LastError: "smartcar 429 RATE_LIMIT:VEHICLE",
		ErrorKind: "rate-limited", LastErrorAt: at(-3 * time.Minute)})
	// Airport runner (legacy): three 502s in a row; it backs off.
	set(2, ledger.Record{NotBefore: at(4 * time.Minute), Failures: 3, LastError: "smartcar 502 UPSTREAM:NO_RESPONSE",
		ErrorKind: "failing", LastErrorAt: at(-time.Minute)})
	// Night courier (legacy, asleep in the config) stays as it is.
	// Spare Y (unknown): answered 409 ASLEEP five minutes ago.
	entries[4].LastRead = at(-5 * time.Minute)
	set(4, ledger.Record{Asleep: true, AsleepAt: at(-5 * time.Minute), LastError: "smartcar 409 VEHICLE_STATE:ASLEEP",
		ErrorKind: "asleep", LastErrorAt: at(-5 * time.Minute)})
	// Yard 2 pickup (key-installed): the API rejected the request; reads stopped for a bug report.
	set(5, ledger.Record{Stopped: "bug report: smartcar 400 VALIDATION:PARAMETER",
		LastError: "smartcar 400 VALIDATION:PARAMETER", ErrorKind: "rejected", LastErrorAt: at(-30 * time.Minute)})
	return entries
}

// TestConditionInRow: each condition has its own word on the row, and the NEXT READ cell says "stopped" for a
// stopped vehicle and "asleep" only for the asleep legacy one; a vehicle that answered 409 keeps its countdown.
func TestConditionInRow(t *testing.T) {
	m := newTestModel(t, 120, 30, Options{Entries: conditionEntries()})
	s := screen(m)
	tests := []struct {
		name, state, next string
	}{
		{"Depot 3", "■ billing", "stopped"},
		{"Exec shuttle", "⏸ limited", "25m00s"},
		{"Airport runner", "⚠ failing", "4m00s"},
		{"Night courier", "☾ asleep", "asleep"},
		{"Spare Y", "☾ asleep", "7h55m00s"},
		{"Yard 2 pickup", "✕ rejected", "stopped"},
	}
	for _, tt := range tests {
		row := lineWith(s, tt.name)
		if !strings.Contains(row, tt.state) || !strings.Contains(row, " "+tt.next+" ") {
			t.Errorf("row of %s = %q, want the state %q and NEXT READ %q", tt.name, row, tt.state, tt.next)
		}
	}
	for _, stopped := range []string{"Depot 3", "Yard 2 pickup"} {
		if row := lineWith(s, stopped); strings.Contains(row, "asleep") {
			t.Errorf("stopped %s reads %q, want no \"asleep\" on it", stopped, row)
		}
	}
	if head := strings.Split(s, "\n")[0]; !strings.Contains(head, "ready 0") {
		t.Errorf("header %q: want ready 0 (stopped, held and backing-off vehicles are not ready)", head)
	}
}

// TestConditionInDetail: the detail pane has a State line with the condition, since when and the last error.
func TestConditionInDetail(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
	}{
		{"depot", []string{"State     ■ billing: reads stopped since 2h00m ago",
			"          smartcar 430 BILLING:VEHICLE_LIMIT", "Next read stopped"}},
		{"exec", []string{"State     ⏸ rate-limited since 3m ago, until 12:25:00 UTC (in 25m00s)",
			"          smartcar 429 RATE_LIMIT:VEHICLE", "Next read 25m00s"}},
		{"airport", []string{"State     ⚠ failing: 3 failures in a row, the last 1m ago",
			"          smartcar 502 UPSTREAM:NO_RESPONSE", "Next read 4m00s"}},
		{"spare", []string{"State     ☾ asleep since 5m ago", "          smartcar 409 VEHICLE_STATE:ASLEEP",
			"Next read 7h55m00s"}},
		{"yard", []string{"State     ✕ rejected: reads stopped since 30m ago",
			"          bug report: smartcar 400 VALIDATION:PARAMETER", "Next read stopped"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			m := newTestModel(t, 120, 40, Options{Entries: conditionEntries()})
			m = update(t, m, press("/"))
			m = typeText(t, m, tt.filter)
			m = update(t, m, press("enter"), press("enter"))
			mustFollow(t, screen(m), tt.want...)
		})
	}
}

// mustFollow checks that each of want is on the line after the one before, from the first line holding want[0].
func mustFollow(t *testing.T, s string, want ...string) {
	t.Helper()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if !strings.Contains(l, want[0]) {
			continue
		}
		for j, w := range want[1:] {
			if i+1+j >= len(lines) || !strings.Contains(lines[i+1+j], w) {
				t.Errorf("line %d lacks %q, which should follow %q:\n%s", i+1+j, w, want[j], s)
				return
			}
		}
		return
	}
	t.Errorf("screen lacks %q:\n%s", want[0], s)
}

// TestFilterFindsCondition: the condition's word is in the filter's haystack.
func TestFilterFindsCondition(t *testing.T) {
	for _, tt := range []struct {
		q    string
		want int
	}{{"failing", 1}, {"billing", 1}, {"stopped", 2}, {"asleep", 2}, {"rate-limited", 1}, {"rejected", 1}} {
		m := newTestModel(t, 100, 30, Options{Entries: conditionEntries()})
		m = update(t, m, press("/"))
		m = typeText(t, m, tt.q)
		if n := len(m.list.view); n != tt.want {
			t.Errorf("/%s shows %d rows, want %d:\n%s", tt.q, n, tt.want, screen(m))
		}
	}
}

// TestConditionGolden: the table with every condition at the sizes the console is reviewed at, and a detail pane.
func TestConditionGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"wide", 100, 30, nil},
		{"narrow", 60, 20, nil},
		{"narrowest", 40, 10, nil},
		{"detail_failing", 100, 30, []string{"/", "a", "i", "r", "p", "enter", "enter"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, tt.w, tt.h, Options{Entries: conditionEntries(), Label: "test"})
			for _, k := range tt.keys {
				m = update(t, m, press(k))
			}
			golden.RequireEqual(t, screen(m))
		})
	}
}

// TestRateLimitEnds: when the Retry-After passes, the row's mark and its place in the filter go with it.
func TestRateLimitEnds(t *testing.T) {
	m := newTestModel(t, 120, 30, Options{Entries: conditionEntries()})
	m = update(t, m, press("/"))
	m = typeText(t, m, "rate-limited")
	m = update(t, m, press("enter"))
	if n := len(m.list.view); n != 1 {
		t.Fatalf("/rate-limited shows %d rows, want 1", n)
	}
	m = update(t, m, tickAt(25*time.Minute))
	if n := len(m.list.view); n != 0 {
		t.Errorf("25m later /rate-limited still shows %d rows, want 0:\n%s", n, screen(m))
	}
	m = update(t, m, press("esc"))
	if row := lineWith(screen(m), "Exec shuttle"); strings.Contains(row, "rate-limited") || !strings.Contains(row, "ready") {
		t.Errorf("after the Retry-After the row = %q, want ready and no rate-limited mark", row)
	}
}

// TestReadRefusedWhenStopped: r on a vehicle whose reads are stopped says so, and why; never "asleep".
func TestReadRefusedWhenStopped(t *testing.T) {
	spy := &spyReader{}
	m := newTestModel(t, 120, 30, Options{Entries: conditionEntries(), Reader: spy})
	m = filterTo(t, m, "depot")
	m, cmd := updateCmd(m, press("r"))
	if cmd != nil {
		cmd()
	}
	if reads, _ := spy.seen(); len(reads) != 0 {
		t.Errorf("r on a stopped vehicle read %v", reads)
	}
	if got := statusOf(m); got != "v1: reads stopped: smartcar 430 BILLING:VEHICLE_LIMIT" {
		t.Errorf("status after r on a billing-stopped vehicle = %q, want the stop and its reason", got)
	}
}

// TestErrorLineKeptWhenStateIsOther: an error the State line does not tell (here a key-required answer after the
// asleep signal) keeps its Error line; one it tells is not said twice.
func TestErrorLineKeptWhenStateIsOther(t *testing.T) {
	entries := conditionEntries()
	read := testNow.Add(-time.Hour)
	entries[4].Record = ledger.Record{LastReadAt: read, Asleep: true, AsleepAt: read,
		Reading:   &ledger.Reading{At: read},
		LastError: "smartcar 400 CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED", LastErrorAt: testNow.Add(-time.Minute)}
	m := newTestModel(t, 120, 40, Options{Entries: entries})
	m = filterTo(t, m, "spare")
	m = update(t, m, press("enter"))
	s := screen(m)
	mustFollow(t, s, "State     ☾ asleep since 1h00m ago", "          the last read said it sleeps")
	mustContain(t, s, "Error     smartcar 400 CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED 1m ago")
	m = newTestModel(t, 120, 40, Options{Entries: conditionEntries()})
	m = filterTo(t, m, "exec")
	if s := screen(update(t, m, press("enter"))); strings.Contains(s, "Error ") {
		t.Errorf("the rate-limited vehicle's error is said twice:\n%s", s)
	}
}
