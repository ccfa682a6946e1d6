package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// TestReadAsksBeforeSpendingOnlyRead: r on a keyless or unknown vehicle asks first and says what it costs; any key
// but y cancels without a read; y reads once. A key-installed or legacy vehicle is read at once, as before.
func TestReadAsksBeforeSpendingOnlyRead(t *testing.T) {
	tests := []struct {
		name, filter, id string
		asks             bool
	}{
		{"keyless", "depot", "v1", true},
		{"unknown", "spare", "v5", true},
		{"key-installed", "yard", "v6", false},
		{"legacy", "airport", "v3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := &spyReader{}
			entries := testEntries()
			entries[0].LastRead = testNow.Add(-9 * time.Hour)    // the keyless Depot 3 may be read now
			entries[2].LastRead = testNow.Add(-10 * time.Minute) // and so may the legacy Airport runner
			m := newTestModel(t, 120, 30, Options{Entries: entries, Reader: spy})
			m = filterTo(t, m, tt.filter)
			m, cmd := updateCmd(m, press("r"))
			if !tt.asks {
				runAll(t, m, cmd)
				if reads, _ := spy.seen(); len(reads) != 1 || reads[0] != tt.id {
					t.Errorf("r on a %s vehicle read %v, want [%s] at once", tt.name, reads, tt.id)
				}
				return
			}
			m = runAll(t, m, cmd)
			if reads, _ := spy.seen(); len(reads) != 0 {
				t.Fatalf("r on a %s vehicle read %v before y", tt.name, reads)
			}
			name := selectedName(m)
			mustContain(t, screen(m), "this spends "+name+"'s only read for 8h; next allowed at 20:00 UTC",
				"y to read, any other key cancels")
			m, cmd = updateCmd(m, press("n"))
			m = runAll(t, m, cmd)
			if reads, _ := spy.seen(); len(reads) != 0 {
				t.Fatalf("n after r read %v", reads)
			}
			mustContain(t, statusOf(m), "not read")
			m, cmd = updateCmd(m, press("r"))
			m = runAll(t, m, cmd)
			m, cmd = updateCmd(m, press("y"))
			m = runAll(t, m, cmd)
			if reads, _ := spy.seen(); len(reads) != 1 || reads[0] != tt.id {
				t.Errorf("r then y read %v, want [%s]", reads, tt.id)
			}
			_ = m
		})
	}
}

// TestReadAskQuitStillQuits: ctrl+c quits even while a question is open.
func TestReadAskQuitStillQuits(t *testing.T) {
	m := newTestModel(t, 120, 30, Options{Reader: &spyReader{}})
	m = filterTo(t, m, "spare")
	m = update(t, m, press("r"))
	_, cmd := updateCmd(m, tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if cmd == nil {
		t.Fatal("ctrl+c during the question returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Errorf("ctrl+c during the question did not quit")
	}
}

// unknownFleet is the test fleet with three more unknown vehicles: two never read and one read an hour ago.
func unknownFleet() []fleet.Entry {
	entries := testEntries()
	for i, ago := range []time.Duration{-1, -1, time.Hour} {
		v := fleet.Vehicle{ID: "u" + string(rune('1'+i)), Name: "Loaner " + string(rune('A'+i)), Make: "Tesla",
			Model: "Model Y", Year: 2024, Key: policy.KeyUnknown}
		e := fleet.Entry{Vehicle: v, Badge: policy.Unknown, KeyURL: freeURL}
		if ago > 0 {
			e.LastRead = testNow.Add(-ago)
		}
		entries = append(entries, e)
	}
	return entries
}

// TestReadUnknownBatch: R asks once for every unknown vehicle whose read is allowed now, then reads them one after
// another through the Reader; a refusal of one is reported and the rest go on; the status line shows the progress.
func TestReadUnknownBatch(t *testing.T) {
	spy := &spyReader{err: map[string]error{"u1": &ledger.NotAllowedError{ID: "u1", Next: testNow.Add(7 * time.Hour)}}}
	ch := make(chan fleet.Change, 1)
	m := newTestModel(t, 140, 30, Options{Entries: unknownFleet(), Reader: spy, Changes: ch})
	mustContain(t, screen(m), "R read unknowns")
	m, cmd := updateCmd(m, press("R"))
	m = runAll(t, m, cmd)
	if reads, _ := spy.seen(); len(reads) != 0 {
		t.Fatalf("R read %v before y", reads)
	}
	mustContain(t, screen(m), "read 3 unknown vehicles now? each spends its 8h read", "y to read, any other key cancels")
	m, cmd = updateCmd(m, press("y"))
	if cmd == nil {
		t.Fatal("y returned no command")
	}
	// the first read is in flight: the status line says so.
	mustContain(t, statusOf(m), "reading unknown vehicles: 1 of 3")
	m = runAll(t, m, cmd)
	reads, _ := spy.seen()
	if got := strings.Join(slices.Sorted(slices.Values(reads)), ","); got != "u1,u2,v5" {
		t.Errorf("R then y read %v, want u1, u2 and v5 (allowed now) once each, and not u3 (read an hour ago)", reads)
	}
	mustContain(t, statusOf(m), "read 3 unknown vehicles: 2 recorded, 1 refused", "u1")
	// the scheduler's news of those reads comes after: it does not hide the summary.
	spare := testEntries()[4]
	spare.LastRead = testNow
	ch <- fleet.Change{Entry: spare}
	m = run(t, m, waitChange(ch))
	mustContain(t, statusOf(m), "read 3 unknown vehicles: 2 recorded, 1 refused")
}

// TestReadUnknownOffered: R is in the help only when some unknown vehicle may be read now, and never read-only.
func TestReadUnknownOffered(t *testing.T) {
	entries := testEntries()
	entries[4].LastRead = testNow // the only unknown vehicle was just read
	m := newTestModel(t, 140, 30, Options{Entries: entries, Reader: &spyReader{}})
	if strings.Contains(screen(m), "read unknowns") {
		t.Errorf("with no unknown vehicle readable the help offers R:\n%s", screen(m))
	}
	m = update(t, m, press("?"))
	if strings.Contains(screen(m), "read unknowns") {
		t.Errorf("with no unknown vehicle readable the ? screen offers R:\n%s", screen(m))
	}
	spy := &spyReader{}
	m = newTestModel(t, 140, 30, Options{Entries: unknownFleet(), Reader: spy, ReadOnly: true})
	if strings.Contains(screen(m), "read unknowns") {
		t.Errorf("read-only help offers R:\n%s", screen(m))
	}
	m, cmd := updateCmd(m, press("R"))
	m = runAll(t, m, cmd)
	m, cmd = updateCmd(m, press("y"))
	_ = runAll(t, m, cmd)
	if reads, _ := spy.seen(); len(reads) != 0 {
		t.Errorf("read-only R, y read %v", reads)
	}
}

// TestReadUnknownStop: esc stops R's reads after the one in flight, and the summary says how many were not read.
func TestReadUnknownStop(t *testing.T) {
	spy := &spyReader{}
	m := newTestModel(t, 140, 30, Options{Entries: unknownFleet(), Reader: spy})
	m = update(t, m, press("R"))
	m, cmd := updateCmd(m, press("y"))
	mustContain(t, screen(m), "esc stop the reads")
	m = update(t, m, press("esc"))
	mustContain(t, statusOf(m), "stopping after this one")
	m = runAll(t, m, cmd)
	if reads, _ := spy.seen(); len(reads) != 1 {
		t.Errorf("esc during R's reads let %d reads through, want only the one in flight", len(reads))
	}
	mustContain(t, statusOf(m), "read 3 unknown vehicles: 1 recorded, 2 not read (stopped)")
	if strings.Contains(screen(m), "stop the reads") {
		t.Errorf("the help still offers to stop reads that ended:\n%s", screen(m))
	}
}

// TestAskNarrow: at 60×20 the question's answer keys are still on screen, in the footer.
func TestAskNarrow(t *testing.T) {
	m := newTestModel(t, 60, 20, Options{Reader: &spyReader{}})
	m = filterTo(t, m, "spare")
	m = update(t, m, press("r"))
	lines := strings.Split(screen(m), "\n")
	if footer := lines[len(lines)-1]; !strings.Contains(footer, "y read it") || !strings.Contains(footer, "other keys cancel") {
		t.Errorf("footer during the question = %q, want its answers", footer)
	}
	mustContain(t, lines[len(lines)-2], "this spends Spare Y's only read for 8h")
}
