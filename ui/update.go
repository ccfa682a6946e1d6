package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/ui/safe"
)

// Update dispatches each message to its handler, then brings the keys that depend on the data and the clock up to
// date. Every handler that changes what is drawn bumps the revision.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	nm := next.(Model)
	nm.syncKeys()
	if load := nm.wantRecord(); load != nil {
		cmd = tea.Batch(cmd, load)
	}
	return nm, cmd
}

// update is the dispatcher: terminal and clock messages, the fleet's news, then the user's input.
func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		return m.ticked(time.Time(msg))
	case tea.WindowSizeMsg, tea.BackgroundColorMsg, tea.ColorProfileMsg:
		m.terminal(msg)
	case readDoneMsg, Notice, changeMsg, feedMsg, flowStartedMsg, listenedMsg, refusedMsg, usersAddedMsg, confirmedMsg:
		return m.report(msg)
	case recordMsg:
		m.gotRecord(msg)
	case tea.PasteMsg:
		return m.paste(msg)
	case tea.MouseWheelMsg:
		m.wheel(msg)
	case tea.MouseClickMsg:
		m.click(msg)
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	default:
		return m.other(msg)
	}
	m.touch()
	return m, nil
}

// ticked moves the model's clock to now: the countdowns, the order, and the status line's expiry.
func (m Model) ticked(now time.Time) (tea.Model, tea.Cmd) {
	m.now = now
	m.list.setNow(m.now)
	if m.status.text != "" && m.now.Sub(m.status.at) >= statusTTL {
		m.status = status{}
	}
	m.touch()
	return m, tick()
}

// terminal takes what the terminal tells about itself: its size, its background, its colours.
func (m *Model) terminal(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.applyTheme()
	case tea.ColorProfileMsg:
		m.colour = !m.opts.NoColour && msg.Profile > colorprofile.ASCII
		if r, ok := m.list.selected(); ok && m.focus == focusDetail {
			m.keys.forDetail(m.colour, r.keyURL != "")
		}
	}
}

// report takes what the fleet and the commands report: reads done, changes, notices and the Connect flow's steps.
func (m Model) report(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case readDoneMsg:
		cmd = m.readDone(msg)
	case Notice:
		m.status = m.news(safe.Clean(string(msg)), true)
	case changeMsg:
		if !msg.ok {
			return m, nil
		}
		m.applyChange(msg.change)
		cmd = waitChange(m.opts.Changes)
	case feedMsg:
		if !msg.ok {
			return m, nil
		}
		m.fed(msg)
		cmd = waitFeed(m.opts.Feed.box)
	case flowStartedMsg:
		cmd = m.flowStarted(msg)
	case listenedMsg:
		cmd = m.listened(msg)
	case refusedMsg:
		cmd = m.refused(msg)
	case usersAddedMsg:
		m.usersAdded(msg)
	case confirmedMsg:
		m.confirmed(msg)
	}
	m.touch()
	return m, cmd
}

// paste sends pasted text to the prompt that has the focus; elsewhere it is dropped.
func (m Model) paste(msg tea.PasteMsg) (tea.Model, tea.Cmd) {
	switch m.focus {
	case focusFilter:
		return m.updateFilter(msg)
	case focusConnect:
		return m.pasteConnect(msg)
	}
	return m, nil
}

// other sends any other message to the prompt that has the focus, so its cursor blinks.
func (m Model) other(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.focus == focusFilter {
		return m.updateFilter(msg)
	}
	if m.focus == focusConnect && m.conn.flow != nil {
		var cmd tea.Cmd
		m.conn.paste, cmd = m.conn.paste.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	m.help.SetWidth(w)
	m.filter.SetWidth(max(w-4, 1))
	m.list.setHeight(m.tableRows())
}

// keyPress sends a key to the focused pane; quit and help work everywhere but in the filter prompt.
func (m Model) keyPress(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.focus {
	case focusFilter:
		return m.filterKey(msg)
	case focusConnect:
		return m.connectKey(msg)
	}
	if m.ask.open() {
		return m.askKey(msg)
	}
	m.touch()
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, m.keys.Help):
		m.toggleHelp()
		return m, nil
	case key.Matches(msg, m.keys.Retry):
		return m, m.retry()
	}
	switch m.focus {
	case focusHelp:
		if msg.Code == tea.KeyEscape {
			m.toggleHelp()
		}
		return m, nil
	case focusDetail:
		return m.detailKey(msg)
	}
	return m.listKey(msg)
}

func (m *Model) toggleHelp() {
	if m.focus == focusHelp {
		m.focus = m.back
		return
	}
	m.back, m.focus = m.focus, focusHelp
}

func (m Model) listKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	page := max(m.list.height-1, 1)
	switch {
	case key.Matches(msg, m.keys.Up):
		m.list.move(-1)
	case key.Matches(msg, m.keys.Down):
		m.list.move(1)
	case key.Matches(msg, m.keys.PageUp):
		m.list.move(-page)
	case key.Matches(msg, m.keys.PageDown):
		m.list.move(page)
	case key.Matches(msg, m.keys.Home):
		m.list.move(-len(m.list.view))
	case key.Matches(msg, m.keys.End):
		m.list.move(len(m.list.view))
	case key.Matches(msg, m.keys.Sort):
		m.list.cycleSort()
		m.status = m.news("sorted by "+m.list.sort.String(), false)
	case key.Matches(msg, m.keys.Filter):
		m.focus = focusFilter
		return m, m.filter.Focus()
	case key.Matches(msg, m.keys.StopReads):
		m.batch.stopping = true
	case key.Matches(msg, m.keys.Unfilter):
		m.clearFilter()
	case key.Matches(msg, m.keys.Open):
		if r, ok := m.list.selected(); ok {
			m.focus = focusDetail
			m.keys.forDetail(m.colour, r.keyURL != "")
			m.whole.failedID = "" // opened again: try again
		}
	case key.Matches(msg, m.keys.Read):
		return m, m.startRead()
	case key.Matches(msg, m.keys.ReadUnknown):
		m.askReadUnknown()
	case key.Matches(msg, m.keys.Add):
		return m, m.openConnect()
	}
	return m, nil
}

func (m Model) detailKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Back), msg.String() == "enter":
		m.focus = focusList
		m.keys.forList(m.list.filter != "")
	case key.Matches(msg, m.keys.Copy):
		return m, m.copyURL()
	case key.Matches(msg, m.keys.Invert):
		m.invert = !m.invert
	case key.Matches(msg, m.keys.Read):
		return m, m.startRead()
	}
	return m, nil
}

// copyURL puts the selected vehicle's key URL on the clipboard with OSC 52, which also works over SSH.
func (m *Model) copyURL() tea.Cmd {
	r, ok := m.list.selected()
	if !ok || r.keyURL == "" {
		m.status = m.news("no key URL: this vehicle needs no virtual key", false)
		return nil
	}
	m.status = m.news("copied "+r.keyURL+" to the clipboard (OSC 52)", false)
	return tea.SetClipboard(r.keyURL)
}

// news is a status line set now.
func (m *Model) news(text string, isErr bool) status {
	return status{text: text, err: isErr, hold: isErr, at: m.now}
}
