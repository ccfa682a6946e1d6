package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"fleetkey/fleet"
)

// The goldens are the frames at a fixed clock and size; regenerate with `go test ./ui -update` and review the diff.
func TestViewGolden(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		keys []string
	}{
		{"list", 100, 30, nil},
		{"detail_qr", 100, 30, []string{"enter"}},
		{"detail_legacy", 100, 30, []string{"j", "j", "enter"}},
		{"help", 100, 30, []string{"?"}},
		{"filter", 100, 30, []string{"/", "m", "o", "d", "e", "l", " ", "3"}},
		{"sort_name", 100, 30, []string{"s"}},
		{"narrow", 60, 20, nil},
		{"narrowest", 40, 10, nil},
		{"too_small", 39, 10, nil},
		{"detail_small_qr", 80, 20, []string{"enter"}},
		{"detail_too_small_for_qr", 60, 20, []string{"enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, tt.w, tt.h, Options{Label: "test"})
			for _, k := range tt.keys {
				m = update(t, m, press(k))
			}
			golden.RequireEqual(t, screen(m))
		})
	}
}

func TestCountdownTicks(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	// v1 is keyless, read 8m48s ago: 7h51m12s to go.
	mustContain(t, screen(m), "7h51m12s")
	m = update(t, m, tickAt(time.Second))
	s := screen(m)
	mustContain(t, s, "7h51m11s")
	if strings.Contains(s, "7h51m12s") {
		t.Errorf("after one tick the countdown still shows 7h51m12s:\n%s", s)
	}
	// the legacy Model X read 2m ago becomes ready at 5m, not a nanosecond before.
	m = update(t, m, tickAt(3*time.Minute-time.Nanosecond))
	if row := lineWith(screen(m), "Airport runner"); !strings.Contains(row, "1s") {
		t.Errorf("1ns before the boundary the row reads %q, want a 1s countdown", row)
	}
	m = update(t, m, tickAt(3*time.Minute))
	if row := lineWith(screen(m), "Airport runner"); !strings.Contains(row, "ready") {
		t.Errorf("at the boundary the row reads %q, want ready", row)
	}
}

func TestHeaderCountsAndReady(t *testing.T) {
	m := newTestModel(t, 120, 30, Options{})
	head := strings.Split(screen(m), "\n")[0]
	for _, want := range []string{"6 vehicles", "key-installed 2", "legacy 2", "keyless 1", "unknown 1", "ready 2"} {
		if !strings.Contains(head, want) {
			t.Errorf("header %q lacks %q", head, want)
		}
	}
	// 15 minutes on: the key-installed Model S (12m ago, 30m interval) is ready too, and so is the Model X.
	m = update(t, m, tickAt(18*time.Minute))
	if head := strings.Split(screen(m), "\n")[0]; !strings.Contains(head, "ready 4") {
		t.Errorf("header %q, want ready 4", head)
	}
}

func TestNavigationAndSort(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	first := selectedName(m)
	m = update(t, m, press("end"))
	if got := selectedName(m); got == first {
		t.Errorf("end kept the selection on %q", got)
	}
	m = update(t, m, press("g"))
	if got := selectedName(m); got != first {
		t.Errorf("g selected %q, want %q", got, first)
	}
	m = update(t, m, press("s"))
	mustContain(t, screen(m), "sorted by name")
	if got := selectedName(m); got != first {
		t.Errorf("sorting moved the selection from %q to %q", first, got)
	}
	m = update(t, m, press("g"))
	if got := selectedName(m); got != "Airport runner" {
		t.Errorf("first by name = %q, want Airport runner", got)
	}
	m = update(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if got := selectedName(m); got != "Night courier" {
		t.Errorf("wheel down selected %q, want the 4th by name, Night courier", got)
	}
}

func TestFilter(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, press("/"))
	m = typeText(t, m, "keyless")
	if n := len(m.list.view); n != 1 {
		t.Fatalf("filter keyless shows %d rows, want 1", n)
	}
	m = update(t, m, press("enter"))
	mustContain(t, screen(m), `matching "keyless"`, "Depot 3")
	m = update(t, m, press("esc"))
	if n := len(m.list.view); n != 6 {
		t.Errorf("esc left %d rows, want all 6", n)
	}
	m = update(t, m, press("/"), tea.PasteMsg{Content: "5YJX"})
	if n := len(m.list.view); n != 1 || selectedName(m) != "Airport runner" {
		t.Errorf("pasted VIN filter: %d rows, selected %q", n, selectedName(m))
	}
}

func TestEscapesAreHarmless(t *testing.T) {
	entries := testEntries()
	entries[0].Name = "evil\x1b]52;c;ZXZpbA==\x07\x1b[2Jname\x9b31m"
	entries[0].VIN = "\x1b[31m5YJ3E1EA7KF317000"
	m := newTestModel(t, 120, 30, Options{Entries: entries}) // wide enough for the VIN column
	for _, view := range []string{m.View().Content, update(t, m, press("enter")).View().Content} {
		for _, bad := range []string{"\x1b]52", "\x1b[2J", "\x9b", "ZXZpbA==\x07"} {
			if strings.Contains(view, bad) {
				t.Errorf("frame carries %q from a vehicle name", bad)
			}
		}
	}
	mustContain(t, screen(m), "evilname ", "5YJ3E1EA7KF317000")
}

func TestReadOnlyHidesRead(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{ReadOnly: true, Reader: readerFunc(func(string, time.Time) {
		t.Fatal("a read-only console read a vehicle")
	})})
	if strings.Contains(screen(m), "read now") {
		t.Errorf("read-only help offers a read:\n%s", screen(m))
	}
	m = update(t, m, press("r"))
	if _, cmd := m.Update(press("r")); cmd != nil {
		t.Errorf("r in read-only returned a command")
	}
}

// readerFunc is a Reader that records nothing.
type readerFunc func(id string, now time.Time)

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func selectedName(m Model) string {
	r, ok := m.list.selected()
	if !ok {
		return ""
	}
	return r.name()
}

func (f readerFunc) Read(_ context.Context, id string, now time.Time) ([]fleet.Entry, error) {
	f(id, now)
	return nil, nil
}

func TestEscClosesHelpAndKeepsFilterKey(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, press("?"), press("esc"))
	if m.focus != focusList {
		t.Fatalf("esc in help opened from the table left focus %v", m.focus)
	}
	m = update(t, m, press("/"))
	m = typeText(t, m, "yard")
	m = update(t, m, press("enter"), press("enter"), press("esc"))
	mustContain(t, screen(m), "esc clear filter")
	m = update(t, m, press("esc"))
	if n := len(m.list.view); n != 6 {
		t.Errorf("esc after the detail pane left %d rows, want the filter cleared", n)
	}
}

func TestStatusFades(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, press("s"))
	statusLine := func(m Model) string {
		lines := strings.Split(screen(m), "\n")
		return strings.TrimSpace(lines[len(lines)-2])
	}
	if got := statusLine(m); got != "sorted by name" {
		t.Fatalf("status = %q, want the news", got)
	}
	if got := statusLine(update(t, m, tickAt(statusTTL-time.Second))); got != "sorted by name" {
		t.Errorf("status %v later = %q, want the news still", statusTTL-time.Second, got)
	}
	if got := statusLine(update(t, m, tickAt(statusTTL))); got != "5/6 · sorted by name" {
		t.Errorf("status %v later = %q, want the summary", statusTTL, got)
	}
}

func TestLegacyDetailOffersNoCopy(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	m = update(t, m, press("j"), press("j"), press("enter"))
	mustContain(t, screen(m), "No virtual key is required")
	if strings.Contains(screen(m), "copy key URL") {
		t.Errorf("a legacy vehicle's detail offers to copy a key URL:\n%s", screen(m))
	}
}
