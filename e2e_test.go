package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestE2E runs the real binary in a real terminal (tmux) on a test config: one build, then each scenario in its own
// tmux server, in parallel.
func TestE2E(t *testing.T) {
	requireTmux(t)
	bin := buildFleetkey(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, bin string)
	}{
		{"console", e2eConsole},
		{"no-color", e2eNoColour},
		{"readonly", e2eReadOnly},
		{"too-small", e2eTooSmall},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, bin)
		})
	}
}

// e2eConsole walks the console: badges, a live countdown, the QR, a read that is recorded on disk, a refused second
// read, and quit.
func e2eConsole(t *testing.T, bin string) {
	f := writeTestFleet(t, time.Now())
	c := startConsole(t, bin, f, 100, 30, nil, "--config", f.config)

	screen := c.waitScreen("the table", func(s string) bool { return strings.Contains(s, keylessName) })
	header, _, _ := strings.Cut(screen, "\n")
	for _, v := range []struct{ name, badge string }{
		{legacyName, "legacy"}, {pairedName, "key-installed"}, {keylessName, "keyless"}, {unknownName, "unknown"},
	} {
		if row, _ := rowOf(screen, v.name); !strings.Contains(row, " "+v.badge+" ") || !strings.Contains(header, v.badge+" 1") {
			t.Errorf("badge %q: want it on the row of %s and counted in the header; screen:\n%s", v.badge, v.name, screen)
		}
	}
	assertCountdownDecreases(t, c, screen)
	assertQR(t, c)
	assertRead(t, c, f)

	c.keys("q")
	if status := c.waitExit(); status != 0 {
		t.Errorf("fleetkey exit status after q = %d, want 0", status)
	}
}

// assertCountdownDecreases reads the keyless vehicle's countdown (read 2h ago: about 6h left), waits for the next
// tick to change it, and checks it went down by about a second.
func assertCountdownDecreases(t *testing.T, c *console, screen string) {
	t.Helper()
	cell1, d1, ok := countdownOf(screen, keylessName)
	if !ok || d1 <= 5*time.Hour+58*time.Minute || d1 > 6*time.Hour {
		t.Fatalf("countdown of %s = %q, want about 5h59m (read 2h ago, 8h budget); screen:\n%s", keylessName, cell1, screen)
	}
	screen = c.waitScreen("the countdown change", func(s string) bool {
		cell, _, _ := countdownOf(s, keylessName)
		return cell != cell1
	})
	cell2, d2, ok := countdownOf(screen, keylessName)
	if !ok || d2 >= d1 || d1-d2 > 5*time.Second {
		t.Fatalf("countdown of %s went %q -> %q, want it to decrease by a few seconds at most", keylessName, cell1, cell2)
	}
}

// assertQR opens the paired vehicle and checks the install QR, its URL and the check-on-the-car hint, then goes back.
func assertQR(t *testing.T, c *console) {
	t.Helper()
	selectVehicle(c, "Paired")
	c.keys("Enter")
	screen := c.waitScreen("the detail pane with the QR", func(s string) bool {
		return strings.Contains(s, "https://www.tesla.com/_ak/smartcar.com") && strings.Contains(s, "Settings > Locks")
	})
	if w := widestFullBlockRun(screen); w < 29 {
		t.Errorf("widest run of full-block lines = %d cells, want >= 29 (a QR with its quiet zone); screen:\n%s", w, screen)
	}
	c.keys("Escape")
	c.waitScreen("the table again", func(s string) bool {
		return strings.Contains(s, "NEXT READ") && !strings.Contains(s, "Settings > Locks")
	})
	clearFilter(c)
}

// clearFilter clears the filter with esc in its prompt, which clears it whatever pane was open before.
func clearFilter(c *console) {
	c.t.Helper()
	c.keys("/")
	c.waitScreen("the filter prompt", func(s string) bool { return strings.Contains(s, "\n/ ") })
	c.keys("Escape")
	c.waitScreen("every vehicle again", func(s string) bool {
		return strings.Contains(s, legacyName) && strings.Contains(s, unknownName)
	})
}

// widestFullBlockRun is the width of the widest line made only of █, as the QR's quiet zone draws it.
func widestFullBlockRun(screen string) int {
	widest := 0
	for _, l := range strings.Split(screen, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && strings.Trim(l, "█") == "" {
			widest = max(widest, utf8.RuneCountInString(l))
		}
	}
	return widest
}

// assertRead reads the never-read unknown vehicle, confirming the question: its countdown goes from ready to the
// keyless budget, the state file records the read, and a second read is refused.
func assertRead(t *testing.T, c *console, f testFleet) {
	t.Helper()
	screen := selectVehicle(c, "Unknown")
	if cell, _, _ := countdownOf(screen, unknownName); cell != "ready" {
		t.Fatalf("countdown of never-read %s = %q, want \"ready\"; screen:\n%s", unknownName, cell, screen)
	}
	before := time.Now()
	c.keys("r") // an unknown vehicle's read is its only one in 8h: the console asks first
	c.waitScreen("the question", func(s string) bool { return strings.Contains(s, "only read for 8h") })
	c.keys("y")
	screen = c.waitScreen("the read's countdown", func(s string) bool {
		cell, _, _ := countdownOf(s, unknownName)
		return cell != "ready"
	})
	if cell, d, ok := countdownOf(screen, unknownName); !ok || d < 8*time.Hour-10*time.Second || d > 8*time.Hour {
		t.Errorf("countdown of %s after r = %q, want about 8h00m00s; screen:\n%s", unknownName, cell, screen)
	}
	st := readStateFile(t, f.stateFile)
	at := st.Vehicles["unknown-y"].LastReadAt
	if st.Version < 1 || at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("state file: version %d, unknown-y read at %v; want a version and a read at %v or later",
			st.Version, at, before)
	}
	for id, rec := range st.Vehicles {
		if id != "unknown-y" && !rec.LastReadAt.IsZero() {
			t.Errorf("state file: %s read at %v, want no read but unknown-y's", id, rec.LastReadAt)
		}
	}
	c.keys("r")
	c.waitScreen(`"next read allowed in"`, func(s string) bool { return strings.Contains(s, "next read allowed in") })
}

// selectVehicle filters the table down to the vehicles matching q and returns the screen once it shows one row.
func selectVehicle(c *console, q string) string {
	c.t.Helper()
	c.keys("/")
	c.text(q)
	c.keys("Enter")
	return c.waitScreen("the table filtered to "+q, func(s string) bool {
		rows := 0
		for _, name := range []string{legacyName, pairedName, keylessName, unknownName} {
			if _, ok := rowOf(s, name); ok {
				rows++
			}
		}
		return rows == 1 && strings.Contains(s, q) && strings.Contains(s, "enter details")
	})
}

// e2eNoColour checks that NO_COLOR with a value other than "1" takes every colour off the table; the control run
// without it proves the check sees colour when there is some.
func e2eNoColour(t *testing.T, bin string) {
	tests := []struct {
		name       string
		env        []string
		wantColour bool
	}{
		{name: "colour", env: nil, wantColour: true},
		{name: "NO_COLOR=yes", env: []string{"NO_COLOR=yes"}, wantColour: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeTestFleet(t, time.Now())
			c := startConsole(t, bin, f, 100, 30, tt.env, "--config", f.config)
			c.waitScreen("the table", func(s string) bool { return strings.Contains(s, keylessName) })
			lines := strings.Split(c.capture("-e"), "\n")
			var colours []string
			for _, l := range lines[1:6] { // the column header and the four vehicle rows
				colours = append(colours, colourSGR(l)...)
			}
			if got := len(colours) > 0; got != tt.wantColour {
				t.Errorf("table rows with %v have colour = %v (%q), want %v; screen:\n%s",
					tt.env, got, colours, tt.wantColour, strings.Join(lines, "\n"))
			}
		})
	}
}

// e2eReadOnly checks that --readonly says so, offers no read, and that r records nothing.
func e2eReadOnly(t *testing.T, bin string) {
	f := writeTestFleet(t, time.Now())
	c := startConsole(t, bin, f, 100, 30, nil, "--config", f.config, "--readonly")
	c.waitScreen("the table", func(s string) bool { return strings.Contains(s, keylessName) })
	screen := selectVehicle(c, "Unknown")
	if !strings.Contains(screen, "read-only") || strings.Contains(screen, "read now") {
		t.Errorf("--readonly screen: want \"read-only\" in the header and no \"read now\" key; screen:\n%s", screen)
	}
	c.keys("r", "?") // the help screen shows once r has been handled
	screen = c.waitScreen("the help", func(s string) bool { return strings.Contains(s, "Badges") })
	if strings.Contains(screen, "reading") || strings.Contains(screen, "recorded") {
		t.Errorf("--readonly: r started a read; screen:\n%s", screen)
	}
	c.keys("?") // closes the help
	c.waitScreen("the table again", func(s string) bool { return strings.Contains(s, "NEXT READ") })
	c.keys("q")
	if status := c.waitExit(); status != 0 {
		t.Errorf("fleetkey --readonly exit status after q = %d, want 0", status)
	}
	if _, err := os.Stat(f.stateFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--readonly: stat %s = %v, want it not created", filepath.Base(f.stateFile), err)
	}
}

// e2eTooSmall checks that a 30×8 terminal gets the "too small" line, and the table once the terminal grows.
func e2eTooSmall(t *testing.T, bin string) {
	f := writeTestFleet(t, time.Now())
	c := startConsole(t, bin, f, 30, 8, nil, "--config", f.config)
	screen := c.waitScreen(`"too small: "`, func(s string) bool { return strings.Contains(s, "too small: ") })
	if strings.Contains(screen, "NEXT READ") {
		t.Errorf("30×8 screen shows the table, want only the too-small line:\n%s", screen)
	}
	c.tmux("resize-window", "-t", "e2e", "-x", "100", "-y", "30")
	c.waitScreen("the table after a resize to 100×30", func(s string) bool {
		return strings.Contains(s, keylessName) && !strings.Contains(s, "too small: ")
	})
}
