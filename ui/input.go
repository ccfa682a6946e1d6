package ui

import (
	tea "charm.land/bubbletea/v2"
)

// filterKey edits the filter prompt: the table follows every keystroke; enter keeps the filter, esc clears it.
func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter", "ctrl+j": // ctrl+j: an Enter typed before the terminal left cooked mode
		m.focus = focusList
		m.filter.Blur()
		m.keys.Unfilter.SetEnabled(m.list.filter != "")
		m.touch()
		return m, nil
	case "esc":
		m.clearFilter()
		m.touch()
		return m, nil
	case "ctrl+c":
		return m, tea.Quit
	}
	return m.updateFilter(msg)
}

func (m Model) updateFilter(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if v := m.filter.Value(); v != m.list.filter {
		m.list.setFilter(v)
	}
	m.touch()
	return m, cmd
}

func (m *Model) clearFilter() {
	m.filter.SetValue("")
	m.filter.Blur()
	m.list.setFilter("")
	m.focus = focusList
	m.keys.Unfilter.SetEnabled(false)
}

// wheel scrolls the selection in the table.
func (m *Model) wheel(msg tea.MouseWheelMsg) {
	if m.focus != focusList {
		return
	}
	switch msg.Button {
	case tea.MouseWheelUp:
		m.list.move(-3)
	case tea.MouseWheelDown:
		m.list.move(3)
	}
}

// click selects the row under the pointer.
func (m *Model) click(msg tea.MouseClickMsg) {
	if m.focus != focusList || msg.Button != tea.MouseLeft {
		return
	}
	i := msg.Mouse().Y - m.headerLines() - 1 // the column header sits under the header
	if i >= 0 && i < len(m.list.visible()) {
		m.list.cursor = m.list.offset + i
	}
}
