package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/schedule"
)

// header is the lines above the table's column header.
func header(m Model) string {
	head, _, _ := strings.Cut(screen(m), "\nNAME ")
	return head
}

// TestHeaderHealth: the scheduler's trouble is in the header for as long as it lasts, with its retry countdown; K
// retries at once through the Reader, and is offered only while there is something to retry.
func TestHeaderHealth(t *testing.T) {
	tests := []struct {
		name   string
		health schedule.Health
		want   string
	}{
		{"credential", schedule.Health{CredentialsRefused: true, RetryAt: testNow.Add(time.Minute),
			Err: errors.New("smartcar 401 AUTHENTICATION")}, "credential refused — retry in 1m00s (K retries now)"},
		{"unreachable", schedule.Health{Unreachable: true, RetryAt: testNow.Add(30 * time.Second)},
			"smartcar unreachable — retry in 30s (K retries now)"},
		{"unsaved", schedule.Health{Unsaved: 3}, "3 answers not saved: vehicles held (K retries now)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := make(chan fleet.Change, 1)
			spy := &spyReader{}
			m := newTestModel(t, 140, 30, Options{Changes: ch, Reader: spy})
			if strings.Contains(screen(m), "retry") {
				t.Fatalf("a healthy fleet offers a retry:\n%s", screen(m))
			}
			ch <- fleet.Change{Health: tt.health}
			m = run(t, m, waitChange(ch))
			if h := header(m); !strings.Contains(h, tt.want) || !strings.Contains(h, "6 vehicles  ready 2") {
				t.Errorf("header = %q, want %q and the counts", h, tt.want)
			}
			if n := strings.Count(screen(m), "\n"); n != 29 {
				t.Errorf("the frame with the trouble's line has %d lines, want the screen's 30", n+1)
			}
			mustContain(t, screen(m), "K retry now")
			m = update(t, m, tickAt(10*time.Second))
			if tt.health.RetryAt.IsZero() {
				mustContain(t, header(m), tt.want)
			} else if h := header(m); !strings.Contains(h, countdown(tt.health.RetryAt.Sub(testNow.Add(10*time.Second)))) {
				t.Errorf("10s later the header = %q, want the retry countdown down by 10s", h)
			}
			m, cmd := updateCmd(m, press("K"))
			if cmd != nil {
				cmd()
			}
			if _, n := spy.seen(); n != 1 {
				t.Errorf("K called Retry %d times, want 1", n)
			}
			mustContain(t, screen(m), "retrying now")
			// the trouble is over: the header and the key go with it.
			ch <- fleet.Change{Entry: testEntries()[0]}
			m = run(t, m, waitChange(ch))
			if h := header(m); strings.Contains(h, "retry") || strings.Contains(h, "not saved") {
				t.Errorf("after a healthy change the header = %q, want the trouble gone", h)
			}
			m = update(t, m, tickAt(time.Minute)) // the status fades
			if strings.Contains(screen(m), "K retry") {
				t.Errorf("with nothing to retry the help offers K:\n%s", screen(m))
			}
			if _, cmd := updateCmd(m, press("K")); cmd != nil {
				cmd()
			}
			if _, n := spy.seen(); n != 1 {
				t.Errorf("K with nothing to retry called Retry: %d calls, want still 1", n)
			}
		})
	}
}

// TestHeaderHealthReadOnly: a read-only console says what is wrong but offers no retry.
func TestHeaderHealthReadOnly(t *testing.T) {
	ch := make(chan fleet.Change, 1)
	spy := &spyReader{}
	m := newTestModel(t, 140, 30, Options{Changes: ch, Reader: spy, ReadOnly: true})
	ch <- fleet.Change{Health: schedule.Health{Unreachable: true, RetryAt: testNow.Add(30 * time.Second)}}
	m = run(t, m, waitChange(ch))
	h := header(m)
	if !strings.Contains(h, "smartcar unreachable — retry in 30s") || strings.Contains(h, "K retries") {
		t.Errorf("read-only header = %q, want the trouble without the K hint", h)
	}
	if _, cmd := updateCmd(m, press("K")); cmd != nil {
		cmd()
	}
	if _, n := spy.seen(); n != 0 {
		t.Errorf("read-only K called Retry %d times", n)
	}
}

// TestUnsavedVehicle: a change whose answer could not be saved marks the row; the vehicle is held from reads.
func TestUnsavedVehicle(t *testing.T) {
	ch := make(chan fleet.Change, 1)
	spy := &spyReader{}
	m := newTestModel(t, 120, 30, Options{Changes: ch, Reader: spy})
	yard := testEntries()[5] // key-installed, read 45m ago: ready
	yard.LastRead = testNow
	ch <- fleet.Change{Entry: yard, Unsaved: true, Health: schedule.Health{Unsaved: 1}}
	m = run(t, m, waitChange(ch))
	m = update(t, m, tickAt(time.Hour)) // past its interval: only the unsaved answer holds it
	row := lineWith(screen(m), "Yard 2 pickup")
	if !strings.Contains(row, "unsaved") || !strings.Contains(row, " held ") {
		t.Errorf("row of the unsaved vehicle = %q, want the unsaved mark and NEXT READ held", row)
	}
	mustContain(t, header(m), "1 answer not saved: vehicle held")
	m = update(t, m, press("/"))
	m = typeText(t, m, "unsaved")
	m = update(t, m, press("enter"))
	if n := len(m.list.view); n != 1 {
		t.Fatalf("/unsaved shows %d rows, want 1", n)
	}
	if _, cmd := updateCmd(m, press("r")); cmd != nil {
		cmd()
	}
	if reads, _ := spy.seen(); len(reads) != 0 {
		t.Errorf("r on a held vehicle read %v", reads)
	}
	m = update(t, m, press("enter"))
	mustContain(t, screen(m), "State     ✎ unsaved")
	// saved at last: the mark goes.
	ch <- fleet.Change{Entry: yard}
	m = run(t, m, waitChange(ch))
	if row := lineWith(screen(m), "Yard 2 pickup"); strings.Contains(row, "unsaved") {
		t.Errorf("after the save the row = %q, want no unsaved mark", row)
	}
}

// TestClickUnderTroubleLine: with the trouble's line in the header, a click still selects the row under the pointer.
func TestClickUnderTroubleLine(t *testing.T) {
	ch := make(chan fleet.Change, 1)
	m := newTestModel(t, 120, 30, Options{Changes: ch})
	ch <- fleet.Change{Health: schedule.Health{Unreachable: true}}
	m = run(t, m, waitChange(ch))
	lines := strings.Split(screen(m), "\n")
	want := strings.Fields(lines[4])[0] // title, trouble, column header, then the rows: the second row
	m = update(t, m, tea.MouseClickMsg{X: 2, Y: 4, Button: tea.MouseLeft})
	if got := selectedName(m); !strings.HasPrefix(got, want) {
		t.Errorf("a click on screen line 4 selected %q, want the row drawn there (%q…)", got, want)
	}
}
