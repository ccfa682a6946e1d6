package ui

import (
	"strings"
	"testing"

	"fleetkey/ui/safe"
)

// TestViewDrawsNoUnsafeRune: a vehicle whose name and key URL hold a right-to-left override and C1 controls draws
// none of them, in the list, the detail, and the status line after copying its URL. The styles' own escape
// sequences and hyperlinks are the only ESCs and BELs, so those are not looked for.
func TestViewDrawsNoUnsafeRune(t *testing.T) {
	entries := testEntries()
	for i := range entries {
		entries[i].Name = "Car\u202eevil\x1b[2J\u0085 " + entries[i].ID
		if entries[i].KeyURL != "" {
			entries[i].KeyURL = "https://www.tesla.com/_ak/fleet\u202eco.app.car\u009b2J"
		}
	}
	m := newTestModel(t, 100, 30, Options{Entries: entries})
	check := func(where string, m Model) {
		t.Helper()
		view := m.View().Content
		drawn := func(r rune) bool { return r != '\x1b' && r != '\a' && r != '\n' && safe.IsUnsafe(r) }
		if i := strings.IndexFunc(view, drawn); i >= 0 {
			t.Errorf("%s draws %q at byte %d", where, []rune(view[i:])[0], i)
		}
	}
	check("the list", m)
	m = update(t, m, press("enter"))
	check("the detail", m)
	m, _ = updateCmd(m, press("c"))
	check("the status line after copying", m)
	mustContain(t, screen(m), "copied https://www.tesla.com/_ak/fleetco.app.car\uFFFD2J")
}
