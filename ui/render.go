package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"fleetkey/policy"
	"fleetkey/ui/safe"
	"fleetkey/ui/state"
)

// The console needs at least this much room; below it, it says so instead of drawing a broken layout.
const (
	minWidth  = 40
	minHeight = 10
)

// headerLines is how many lines the header takes: the title, and under it the fleet's trouble while there is some.
func (m *Model) headerLines() int {
	if troubled(m.health) {
		return 2
	}
	return 1
}

// bodyHeight is the room of the pane between the header and the status and footer lines.
func (m *Model) bodyHeight() int { return m.height - m.headerLines() - 2 }

// tableRows is how many vehicle rows fit: the body less the table's column header.
func (m *Model) tableRows() int { return max(m.bodyHeight()-1, 1) }

// render draws the whole frame. It is called only when a message changed something.
func (m *Model) render() string {
	if m.width == 0 {
		return ""
	}
	if m.width < minWidth || m.height < minHeight {
		return ansi.Truncate(fmt.Sprintf("too small: %d×%d (need %d×%d)",
			m.width, m.height, minWidth, minHeight), m.width, "…")
	}
	var body string
	switch m.focus {
	case focusDetail:
		body = m.detailView()
	case focusHelp:
		body = m.helpView()
	case focusConnect:
		body = m.connectView()
	default:
		body = m.tableView(m.width)
	}
	bodyHeight := m.bodyHeight()
	lines := strings.Split(body, "\n")
	if len(lines) > bodyHeight {
		lines = lines[:bodyHeight]
	}
	for i := range lines {
		lines[i] = ansi.Truncate(lines[i], m.width, "")
	}
	for len(lines) < bodyHeight {
		lines = append(lines, "")
	}
	head := []string{m.titleLine()}
	if h := m.healthText(); h != "" {
		head = append(head, ansi.Truncate(m.styles.errText.Render(h), m.width, "…"))
	}
	return strings.Join(append(head, append(lines, m.statusLine(), m.footer())...), "\n")
}

// titleLine is the header's first line: the fleet's label, then paused requests or a limiting bucket, the vehicle
// count, how many may be read now and the count per badge. When the line is too long the label gives way first: the
// counts are what the header is for. The fleet's trouble (see healthText) has the line under it.
func (m *Model) titleLine() string {
	left := m.styles.title.Render("fleetkey")
	if m.opts.ReadOnly {
		left += "  " + m.styles.dim.Render("read-only")
	}
	if s := m.sharing(); s != "" { // before the label: a long path is what gives way
		left += "  " + m.styles.dim.Render(s)
	}
	if m.opts.Label != "" {
		left += "  " + m.styles.warn.Render(safe.Clean(m.opts.Label))
	}

	parts := []string{fmt.Sprintf("%d vehicles", m.list.rows.Len()),
		m.styles.key.Render(fmt.Sprintf("ready %d", m.list.rows.ready.upTo(m.now)))}
	for _, b := range policy.Badges {
		parts = append(parts, m.styles.badge[b].Render(fmt.Sprintf("%s %d", badgeLabel(b), m.list.rows.counts[b])))
	}
	var news []string // the trouble first: it is what the operator must know now (the fleet's, on the next line)
	switch {
	case m.pausedUntil.After(m.now) && !m.health.CredentialsRefused && !m.health.Unreachable:
		news = append(news, m.styles.errText.Render("requests paused "+countdown(m.pausedUntil.Sub(m.now))))
	case m.bucketLimited:
		news = append(news, m.styles.warn.Render("bucket-limited"))
	}
	parts = append(news, parts...)
	right := strings.Join(parts, "  ")
	if room := m.width - lipgloss.Width(right) - 3; lipgloss.Width(left) > room {
		left = ansi.Truncate(left, max(room, len("fleetkey")+1), "…")
	}
	return ansi.Truncate(left+"   "+right, m.width, "…")
}

// statusLine is the latest news, or the summary. News often quotes text from outside (a key URL, an API's error), so
// it is cleaned here, where it is drawn, whatever its sender did.
func (m *Model) statusLine() string {
	s := safe.Clean(m.status.text)
	switch {
	case m.ask.open():
		s = m.styles.ask.Render(m.question())
	case m.batch.active():
		s = m.styles.status.Render(m.progress())
	case s != "" && m.status.err:
		s = m.styles.errText.Render(s)
	case s != "":
		s = m.styles.status.Render(s)
	default:
		s = m.styles.dim.Render(m.summary())
	}
	return ansi.Truncate(s, m.width, "…")
}

// summary is the status line when there is no news: position, filter and order.
func (m *Model) summary() string {
	s := fmt.Sprintf("%d/%d", min(m.list.cursor+1, len(m.list.view)), len(m.list.view))
	if m.list.filter != "" {
		s += fmt.Sprintf(" matching %q", safe.Clean(m.list.filter))
	}
	return s + " · sorted by " + m.list.sort.String()
}

func (m *Model) footer() string {
	switch m.focus {
	case focusFilter:
		return m.filter.View()
	case focusConnect:
		return m.styles.dim.Render("esc leaves the onboarding · ctrl+c too")
	}
	if m.ask.open() {
		return m.help.ShortHelpView(m.keys.askHelp())
	}
	return m.help.ShortHelpView(m.keys.ShortHelp())
}

// helpView is the `?` screen: every key that applies, generated from the key map, and what the badges and the states
// mean.
func (m *Model) helpView() string {
	var b strings.Builder
	b.WriteString(m.styles.header.Render("Keys") + "\n\n")
	b.WriteString(m.help.FullHelpView(m.keys.FullHelp()) + "\n\n")
	b.WriteString(m.styles.header.Render("Badges") + "\n\n")
	for _, bd := range policy.Badges {
		b.WriteString(m.styles.badge[bd].Render(pad(badgeLabel(bd), 16)) + explain(bd, m.iv) + "\n")
	}
	b.WriteString("\n" + m.styles.header.Render("States") + "\n\n")
	for st := state.Asleep; st <= state.Unsaved; st++ {
		b.WriteString(m.stateStyle(st).Render(pad(st.Cell(), 16)) + st.Help() + "\n")
	}
	b.WriteString("\n" + m.styles.dim.Render("esc or ? to close"))
	return b.String()
}
