package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"fleetkey/fleet"
	"fleetkey/policy"
)

// testNow is the fixed clock of every UI test.
var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// The virtual-key URLs of the free plan, an Enterprise plan and a single vehicle; the per-vehicle one needs a larger code.
const (
	freeURL       = "https://www.tesla.com/_ak/smartcar.com"
	urlEnterprise = "https://www.tesla.com/_ak/fleetco.app.car"
	urlVehicle    = "https://www.tesla.com/_ak/acme-logistics-eu.app.car?vin=5YJ3E1EA7KF317000"
)

// testEntries is a small fleet with one vehicle of every case.
func testEntries() []fleet.Entry {
	iv := policy.DefaultIntervals()
	mk := func(id, name, vin, model string, year int, key policy.KeyStatus, asleep bool, ago time.Duration) fleet.Entry {
		v := fleet.Vehicle{ID: id, VIN: vin, Name: name, Make: "Tesla", Model: model, Year: year, Key: key, Asleep: asleep}
		e := fleet.Entry{Vehicle: v, Badge: policy.BadgeOf(v.Facts())}
		if ago >= 0 {
			e.LastRead = testNow.Add(-ago)
		}
		if e.Badge != policy.Legacy {
			e.KeyURL = freeURL
		}
		_ = iv
		return e
	}
	return []fleet.Entry{
		mk("v1", "Depot 3 – Van pool", "5YJ3E1EA7KF317000", "Model 3", 2019, policy.KeyMissing, false, 8*time.Minute+48*time.Second),
		mk("v2", "Exec shuttle", "5YJSA1E26MF400000", "Model S", 2021, policy.KeyPaired, false, 12*time.Minute),
		mk("v3", "Airport runner", "5YJXCBE2XGF000001", "Model X", 2016, policy.KeyUnknown, false, 2*time.Minute),
		mk("v4", "Night courier", "5YJSA1E14HF000002", "Model S", 2017, policy.KeyUnknown, true, 3*time.Hour),
		mk("v5", "Spare Y", "7SAYGDEE0PF000003", "Model Y", 2023, policy.KeyUnknown, false, -1),
		mk("v6", "Yard 2 pickup", "5YJ3E1EB0NF000004", "Model 3", 2022, policy.KeyPaired, false, 45*time.Minute),
	}
}

// newTestModel returns a console on the test fleet at a fixed size and clock.
func newTestModel(t testing.TB, w, h int, opts Options) Model {
	t.Helper()
	if opts.Entries == nil {
		opts.Entries = testEntries()
	}
	opts.Intervals = policy.DefaultIntervals()
	opts.Now = testNow
	opts.Clock = func() time.Time { return testNow }
	m := New(opts)
	return update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
}

func update(t testing.TB, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

// press returns the key press of a key name as Bubble Tea reports it ("enter", "esc", "j", "?", "pgdown").
func press(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = update(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// screen is the frame as plain text.
func screen(m Model) string { return ansi.Strip(m.View().Content) }

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

func tickAt(d time.Duration) tickMsg { return tickMsg(testNow.Add(d)) }

// spyReader records every read and every Retry; err, when set, answers the read of that id.
type spyReader struct {
	mu      sync.Mutex
	reads   []string
	retries int
	err     map[string]error
}

func (s *spyReader) Read(_ context.Context, id string, _ time.Time) ([]fleet.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, id)
	return nil, s.err[id]
}

func (s *spyReader) Retry() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries++
}

func (s *spyReader) seen() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reads...), s.retries
}

// statusOf is the status line: the second to last line of the frame.
func statusOf(m Model) string {
	lines := strings.Split(screen(m), "\n")
	return strings.TrimSpace(lines[len(lines)-2])
}

// runAll runs a command and what it leads to, feeding each message back as the program would, until no command is
// left; batches run in order. It stops at the clock (a tick) and the change feed.
func runAll(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		if _, ok := msg.(tickMsg); ok {
			continue
		}
		var next tea.Cmd
		m, next = updateCmd(m, msg)
		queue = append(queue, next)
	}
	return m
}

// filterTo narrows the table to q and keeps the filter.
func filterTo(t *testing.T, m Model, q string) Model {
	t.Helper()
	m = update(t, m, press("/"))
	m = typeText(t, m, q)
	return update(t, m, press("enter"))
}

var _ = fmt.Sprint
