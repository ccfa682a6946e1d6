package ui

import tea "charm.land/bubbletea/v2"

// connectKey handles a key in the onboarding pane.
func (m Model) connectKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	m.touch()
	switch k := msg.String(); {
	case k == "esc" || k == "ctrl+c":
		m.closeConnect()
		return m, nil
	case m.conn.step == stepRedirect:
		return m.redirectKey(msg)
	case m.conn.step == stepVehicle:
		return m, m.vehicleKey(k)
	case m.conn.step == stepDone && k == "enter":
		m.closeConnect()
	}
	return m, nil
}

// redirectKey edits the paste field; enter submits it, ctrl+y copies the Connect link.
func (m Model) redirectKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "enter", "ctrl+j":
		return m, m.pasted()
	case "ctrl+y":
		m.status = m.news("copied the Connect link to the clipboard (OSC 52)", false)
		return m, tea.SetClipboard(m.conn.flow.URL())
	}
	var cmd tea.Cmd
	m.conn.paste, cmd = m.conn.paste.Update(msg)
	return m, cmd
}

// vehicleKey: y reads the vehicle once (the owner says the key is installed), n skips it without a read, enter
// goes on once the outcome is shown, c copies the install link, i inverts the QR.
func (m *Model) vehicleKey(k string) tea.Cmd {
	e := m.conn.added[m.conn.at]
	done := m.conn.outcome[m.conn.at] != ""
	switch {
	case k == "c":
		m.status = m.news("copied "+e.KeyURL+" to the clipboard (OSC 52)", false)
		return tea.SetClipboard(e.KeyURL)
	case k == "i":
		m.invert = !m.invert
	case k == "y" && !done:
		m.conn.step = stepReading
		return confirmRead(m.opts.Connector, e.ID, m.opts.Clock)
	case k == "n" && !done:
		m.opts.Connector.Release(e.ID)
		m.conn.outcome[m.conn.at] = "skipped: not read; the scheduler reads it by its badge's rules"
	case k == "enter" && done:
		m.conn.at++
		m.skipLegacy()
	}
	return nil
}

// pasteConnect puts a bracketed paste into the redirect field.
func (m Model) pasteConnect(msg tea.PasteMsg) (tea.Model, tea.Cmd) {
	if m.conn.step != stepRedirect || m.conn.flow == nil {
		return m, nil
	}
	var cmd tea.Cmd
	m.conn.paste, cmd = m.conn.paste.Update(msg)
	m.touch()
	return m, cmd
}
