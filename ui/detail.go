package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"fleetkey/policy"
)

// explain is the badge's rule in one line.
func explain(b policy.Badge, iv policy.Intervals) string {
	switch b {
	case policy.KeyInstalled:
		return fmt.Sprintf("key-installed: virtual key paired; 1 read per %s", every(iv.KeyInstalled))
	case policy.Legacy:
		return fmt.Sprintf("legacy: 2020-or-earlier Model S/X, no key needed; refreshes every %s while awake", every(iv.Legacy))
	case policy.Keyless:
		return fmt.Sprintf("keyless: 1 read per %s, reads never wake it", every(iv.Keyless))
	default:
		return fmt.Sprintf("unknown: key status not known yet; budgeted as keyless, 1 read per %s", every(iv.Keyless))
	}
}

// detailView shows the selected vehicle: its facts, its badge explained, and how to install the virtual key.
func (m *Model) detailView() string {
	r, ok := m.list.selected()
	if !ok {
		return "no vehicle selected"
	}
	facts := m.facts(r)
	if r.e.KeyURL == "" {
		return facts + "\n\n" + m.styles.key.Render("No virtual key is required") +
			"\nA 2020-or-earlier Model S/X is read without one."
	}
	guide := m.installGuide(r.e.KeyURL)
	room := m.height - 3 - lipgloss.Height(facts) - 1
	code, fits, err := m.qr.fit(r.e.KeyURL, m.paint(), m.width-lipgloss.Width(guide)-2, room)
	switch {
	case err != nil:
		return facts + "\n\n" + m.styles.errText.Render("cannot draw a QR code: "+Clean(err.Error())) + "\n" + guide
	case !fits:
		return facts + "\n\n" + m.styles.warn.Render("The terminal is too small for the QR code: enlarge it, or use the URL.") +
			"\n" + guide
	}
	return facts + "\n\n" + lipgloss.JoinHorizontal(lipgloss.Top, code.Text, "  ", guide)
}

// paint is how the QR's colours reach this terminal.
func (m *Model) paint() qrPaint { return paintFor(m.colour, m.isDark, m.invert) }

func (m *Model) facts(r *row) string {
	label := func(k string) string { return m.styles.dim.Render(pad(k, 10)) }
	lines := []string{
		m.styles.title.Render(r.name),
		label("ID") + Clean(r.e.ID),
		label("VIN") + r.vin,
		label("Vehicle") + Clean(r.e.Make) + " " + r.model,
		label("Badge") + m.styles.badge[r.e.Badge].Render(r.badge) + "  " + explain(r.e.Badge, m.iv),
		label("Next read") + m.nextLine(r),
		label("Last read") + m.lastLine(r),
	}
	return strings.Join(lines, "\n")
}

func (m *Model) nextLine(r *row) string {
	at, ok := r.e.NextRead(m.iv, m.now)
	switch {
	case !ok:
		return "asleep: no refresh until it wakes"
	case !at.After(m.now):
		return "ready now"
	}
	return fmt.Sprintf("%s (at %s)", countdown(at.Sub(m.now)), at.UTC().Format(time.RFC3339))
}

func (m *Model) lastLine(r *row) string {
	if r.e.LastRead.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s)", age(r.e.LastRead, m.now), r.e.LastRead.UTC().Format(time.RFC3339))
}

// installGuide is the text beside the QR: the URL and the two ways to use it, then where the owner checks the result.
func (m *Model) installGuide(url string) string {
	return strings.Join([]string{
		m.styles.key.Render("Install the virtual key"),
		"",
		m.styles.title.Render(url),
		"",
		"Phone: open the link; the Tesla app",
		"  asks to add the key.",
		"Desktop: scan the code with the",
		"  phone's camera.",
		"Then check on the car:",
		"  Settings > Locks.",
	}, "\n")
}
