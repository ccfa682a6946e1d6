package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/fleet"
)

// Update dispatches each message to its handler, then brings the keys that depend on the data and the clock up to
// date. Every handler that changes what is drawn bumps the revision.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	nm := next.(Model)
	nm.syncKeys()
	return nm, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.now = time.Time(msg)
		m.list.setNow(m.now, m.iv)
		m.list.settle(m.iv)
		if m.status.text != "" && m.now.Sub(m.status.at) >= statusTTL {
			m.status = status{}
		}
		m.touch()
		return m, tick()
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.applyTheme()
	case tea.ColorProfileMsg:
		m.colour = !m.opts.NoColour && msg.Profile > colorprofile.ASCII
		if r, ok := m.list.selected(); ok && m.focus == focusDetail {
			m.keys.forDetail(m.colour, r.e.KeyURL != "")
		}
	case readDoneMsg:
		m.readDone(msg)
	case changeMsg:
		if !msg.ok {
			return m, nil
		}
		m.applyChange(msg.change)
		m.touch()
		return m, waitChange(m.opts.Changes)
	case tea.PasteMsg:
		switch m.focus {
		case focusFilter:
			return m.updateFilter(msg)
		case focusConnect:
			return m.pasteConnect(msg)
		}
		return m, nil
	case flowStartedMsg:
		cmd := m.flowStarted(msg)
		m.touch()
		return m, cmd
	case redirectMsg:
		cmd := m.redirected(msg.flow, msg.redirect, msg.err)
		m.touch()
		return m, cmd
	case usersAddedMsg:
		m.usersAdded(msg)
	case confirmedMsg:
		m.confirmed(msg)
	case tea.MouseWheelMsg:
		m.wheel(msg)
	case tea.MouseClickMsg:
		m.click(msg)
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	default:
		if m.focus == focusFilter { // the prompt's cursor blinks
			return m.updateFilter(msg)
		}
		if m.focus == focusConnect && m.conn.flow != nil {
			var cmd tea.Cmd
			m.conn.paste, cmd = m.conn.paste.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	m.touch()
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
	case key.Matches(msg, m.keys.Unfilter):
		m.clearFilter()
	case key.Matches(msg, m.keys.Open):
		if r, ok := m.list.selected(); ok {
			m.focus = focusDetail
			m.keys.forDetail(m.colour, r.e.KeyURL != "")
		}
	case key.Matches(msg, m.keys.Read):
		return m, m.startRead()
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
	if !ok || r.e.KeyURL == "" {
		m.status = m.news("no key URL: this vehicle needs no virtual key", false)
		return nil
	}
	m.status = m.news("copied "+r.e.KeyURL+" to the clipboard (OSC 52)", false)
	return tea.SetClipboard(r.e.KeyURL)
}

// startRead checks the budget at the model's clock and, if allowed, spends the read in a command. The fleet checks
// again under the state lock with the real clock, so a stale frame can never spend a read early.
func (m *Model) startRead() tea.Cmd {
	r, ok := m.list.selected()
	if !ok || m.opts.ReadOnly {
		return nil
	}
	if why := m.refusal(r); why != "" {
		m.status = m.news(why, true)
		return nil
	}
	m.status = m.news("reading "+r.name+"…", false)
	rd, clock, id := m.opts.Reader, m.opts.Clock, r.e.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		entries, err := rd.Read(ctx, id, clock())
		return readDoneMsg{id: id, entries: entries, err: err}
	}
}

// refusal says why r may not be read at the model's clock; "" when it may.
func (m *Model) refusal(r *row) string {
	switch r.hold() {
	case "stopped":
		return fmt.Sprintf("%s: reads stopped: %s", Clean(r.e.ID), Clean(r.e.Record.Stopped))
	case "held":
		return Clean(r.e.ID) + ": held until its last answer is saved"
	}
	at, ok := r.e.NextRead(m.iv, m.now)
	if ok && !at.After(m.now) {
		return ""
	}
	return refusal(r.e.ID, at, ok, m.now)
}

func refusal(id string, at time.Time, ok bool, now time.Time) string {
	if !ok {
		return fmt.Sprintf("%s is asleep: no read until it wakes", Clean(id))
	}
	return fmt.Sprintf("%s: next read allowed in %s (at %s)", Clean(id), countdown(at.Sub(now)), at.UTC().Format(time.RFC3339))
}

func (m *Model) readDone(msg readDoneMsg) {
	if msg.entries != nil {
		m.list.setEntries(msg.entries, m.iv)
	}
	var na *fleet.NotAllowedError
	switch {
	case errors.As(msg.err, &na):
		m.status = m.news(refusalOf(na, m.now), true)
	case msg.err != nil:
		m.status = m.news("read "+Clean(msg.id)+": "+Clean(msg.err.Error()), true)
	default:
		m.status = m.news("read "+Clean(msg.id)+": recorded", false)
	}
}

// refusalOf is the status of a read the fleet's gate refused.
func refusalOf(na *fleet.NotAllowedError, now time.Time) string {
	if na.Stopped != "" {
		return fmt.Sprintf("%s: reads stopped: %s", Clean(na.ID), Clean(na.Stopped))
	}
	return refusal(na.ID, na.Next, !na.Next.IsZero(), now)
}

// news is a status line set now.
func (m *Model) news(text string, isErr bool) status {
	return status{text: text, err: isErr, at: m.now}
}
