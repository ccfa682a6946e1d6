package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"fleetkey/policy"
	"fleetkey/ui/qr"
	"fleetkey/ui/safe"
	"fleetkey/ui/state"
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

// minGuideWidth is the least width the text beside the QR may wrap to.
const minGuideWidth = 34

// detailView shows the selected vehicle: its facts, its badge explained, and how to install the virtual key, with the
// QR to the right of the text so that the code gets the full height. The QR is never wrapped, cut or scaled: if it
// does not fit, the pane says so and still shows the URL.
func (m *Model) detailView() string {
	r, ok := m.list.selected()
	if !ok {
		return "no vehicle selected"
	}
	facts := m.facts(r, m.textWidth(r.keyURL))
	if r.keyURL == "" {
		return facts + "\n\n" + m.styles.key.Render("No virtual key is required") +
			"\nA 2020-or-earlier Model S/X is read without one."
	}
	return m.withQR(facts+"\n\n"+m.installGuide(), r.keyURL)
}

// withQR lays text out with the QR code of link to its right, so the code gets the full height, and the link under
// both on a line of its own. The QR is never wrapped, cut or scaled: if it does not fit, it says so and shows the
// link, which stays copyable (never wrapped) and is an OSC 8 hyperlink.
func (m *Model) withQR(text, link string) string {
	url := m.linkLines(safe.Clean(link))
	code, fits, err := m.qr.Fit(link, m.paint(), m.width-minGuideWidth-2, m.bodyHeight()-lipgloss.Height(url))
	switch {
	case err != nil:
		return m.wrap(m.styles.errText.Render("cannot draw a QR code: "+safe.Clean(err.Error()))+"\n\n"+text) + "\n" + url
	case !fits:
		return m.wrap(m.styles.warn.Render("The terminal is too small for the QR code: enlarge it, or use the URL:")) +
			"\n" + url + "\n\n" + m.wrap(text)
	}
	left := lipgloss.NewStyle().Width(m.width - code.Width - 2).Render(text)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", code.Text) + "\n" + url
}

// textWidth is the width withQR gives the text beside the QR of link; the screen's width without a link or a QR.
func (m *Model) textWidth(link string) int {
	if link == "" {
		return m.width
	}
	url := m.linkLines(safe.Clean(link))
	code, fits, err := m.qr.Fit(link, m.paint(), m.width-minGuideWidth-2, m.bodyHeight()-lipgloss.Height(url))
	if err != nil || !fits {
		return m.width
	}
	return m.width - code.Width - 2
}

// hang is a fact whose text may be long: wrapped to width w, its following lines indented under its first.
func (m *Model) hang(label, text string, st lipgloss.Style, w int) string {
	const indent = 10
	lines := strings.Split(lipgloss.NewStyle().Width(max(w-indent, minGuideWidth-indent)).Render(text), "\n")
	for i, l := range lines {
		lines[i] = st.Render(strings.TrimRight(l, " "))
		if i > 0 {
			lines[i] = pad("", indent) + lines[i]
		}
	}
	return m.fact(label, strings.Join(lines, "\n"))
}

// paint is how the QR's colours reach this terminal.
func (m *Model) paint() qr.Paint { return qr.PaintFor(m.colour, m.isDark, m.invert) }

// facts are the vehicle's lines of the detail pane, long ones wrapped to w. What needs the vehicle's whole entry
// waits for it (see wantRecord), saying so.
func (m *Model) facts(r *row, w int) string {
	label := func(k string) string { return m.styles.dim.Render(pad(k, 10)) }
	lines := []string{
		m.styles.title.Render(r.name()),
		label("ID") + safe.Clean(r.id),
		label("VIN") + r.vin(),
		label("Vehicle") + r.brand() + " " + r.model(),
		label("Badge") + m.styles.badge[r.badge()].Render(badgeLabel(r.badge())),
		m.styles.dim.Render(explain(r.badge(), m.iv)),
	}
	e, whole := m.whole.of(r.id)
	if whole {
		lines = append(lines, m.stateLines(r, e, w)...)
	} else if s := r.stateAt(m.now); s != state.OK {
		lines = append(lines, m.hang("State", s.Label(), m.stateStyle(s), w))
	}
	lines = append(lines, label("Next read")+m.nextLine(r), label("Last read")+m.lastLine(r))
	data := []string{m.styles.key.Render("Data") + " " + m.leanLine(r.id)}
	if whole {
		data = m.dataLines(r, e, w)
	}
	if len(data) > 0 {
		lines = append(append(lines, ""), data...)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) nextLine(r *row) string {
	switch r.hold() {
	case "stopped":
		return "stopped: no read is sent until the stop is cleared"
	case "held":
		return "held: no read until its last answer is saved"
	}
	at, ok := r.next(m.iv, m.now)
	switch {
	case !ok:
		return "asleep: no refresh until it wakes"
	case !at.After(m.now):
		return "ready now"
	}
	return fmt.Sprintf("%s (at %s)", countdown(at.Sub(m.now)), at.UTC().Format(time.RFC3339))
}

func (m *Model) lastLine(r *row) string {
	last := when(r.lastRead)
	if last.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s)", age(last, m.now), last.Format(time.RFC3339))
}

// installGuide is the text beside the QR: the two ways to use it, then where the owner checks the result. The URL
// itself goes under the QR, on a line of its own.
func (m *Model) installGuide() string {
	return strings.Join([]string{
		m.styles.key.Render("Install the virtual key") + " with the QR code or the link below.",
		"",
		"Phone: open the link; the Tesla app asks to add the key.",
		"Desktop: scan the code with the phone's camera.",
		"Then check on the car: Settings > Locks.",
	}, "\n")
}

// linkLines shows a link whole: on one line when it fits, else cut into lines of the screen's width (never cut short),
// each an OSC 8 hyperlink to the whole link; c / ctrl+y copy it in one piece.
func (m *Model) linkLines(u string) string {
	style := m.styles.title.Hyperlink(u)
	var lines []string
	for rest := u; rest != ""; {
		n := min(len(rest), max(m.width, 1))
		lines = append(lines, style.Render(rest[:n]))
		rest = rest[n:]
	}
	return strings.Join(lines, "\n")
}

// wrap fits text to the screen's width.
func (m *Model) wrap(s string) string { return lipgloss.NewStyle().Width(m.width).Render(s) }
