package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/connect"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
	"fleetkey/ui/safe"
)

// openConnect starts the onboarding: a fresh Connect flow, then its listener.
func (m *Model) openConnect() tea.Cmd {
	m.focus = focusConnect
	m.conn = connectPane{}
	return startFlow(m.opts.Connector, m.now)
}

// closeConnect ends the onboarding; vehicles still waiting for the operator are left to the scheduler's rules.
func (m *Model) closeConnect() {
	if m.conn.stop != nil {
		m.conn.stop()
	}
	for i := m.conn.at; i < len(m.conn.added); i++ {
		m.opts.Connector.Release(m.conn.added[i].ID)
	}
	m.conn = connectPane{}
	m.focus = focusList
	m.keys.forList(m.list.filter != "")
}

func (m *Model) flowStarted(msg flowStartedMsg) tea.Cmd {
	if msg.err != nil {
		m.conn.err = msg.err
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	m.conn = newConnect(msg.flow, stop, m.isDark)
	m.conn.paste.SetWidth(max(m.width/2, 30)) // room for the placeholder; a long paste scrolls sideways
	return listen(ctx, msg.flow, m.opts.Clock)
}

// listened takes the listener's end. Its redirect is the flow's answer, accepted already: it is never Accepted again.
func (m *Model) listened(msg listenedMsg) tea.Cmd {
	if msg.flow != m.conn.flow || m.conn.step != stepRedirect {
		return nil // a stale listener, or the paste already won
	}
	m.conn.listening = false
	return m.answered(msg.redirect, msg.err)
}

// refused shows a request the listener turned away while it goes on waiting, and waits for the next one.
func (m *Model) refused(msg refusedMsg) tea.Cmd {
	if msg.flow != m.conn.flow || m.conn.step != stepRedirect || !m.conn.listening {
		return nil // the listener has ended
	}
	m.conn.err = fmt.Errorf("the callback listener turned a request away and is still waiting: %w", msg.err)
	return msg.next
}

// pasted accepts the redirect in the paste field.
func (m *Model) pasted() tea.Cmd {
	r, err := connect.ParseRedirect(m.conn.paste.Value())
	if err == nil {
		r, err = m.conn.flow.Accept(r, m.now)
	}
	if errors.Is(err, connect.ErrReused) {
		return nil // the browser's redirect came first: the listener's end brings the flow's answer
	}
	return m.answered(r, err)
}

// answered takes the flow's answer, from the listener or the paste: a redirect lists the user's vehicles; Connect's
// denial or the deadline ends the flow with its reason; any other error is shown and the flow stays open.
func (m *Model) answered(r connect.Redirect, err error) tea.Cmd {
	if err != nil {
		m.conn.err = err
		if connect.Ends(err) {
			m.conn.stop()
			m.conn.step = stepDone
		}
		return nil
	}
	m.conn.stop()
	m.conn.err = nil
	m.conn.step = stepListing
	return addUser(m.opts.Connector, r.UserID, r.VirtualKeyURL, m.opts.Clock)
}

func (m *Model) usersAdded(msg usersAddedMsg) {
	if msg.err != nil {
		m.conn.err = msg.err
		m.conn.step = stepDone
		return
	}
	if entries, err := m.opts.Connector.Entries(); err == nil {
		m.setEntries(entries)
	}
	m.conn.added = msg.added
	m.conn.outcome = make([]string, len(msg.added))
	m.conn.at = 0
	m.conn.step = stepVehicle
	m.skipLegacy()
}

// skipLegacy moves past new vehicles that need no key: there is nothing to install and nothing to wait for.
func (m *Model) skipLegacy() {
	for m.conn.at < len(m.conn.added) && m.conn.added[m.conn.at].KeyURL == "" {
		m.conn.outcome[m.conn.at] = "legacy: no virtual key needed"
		m.opts.Connector.Release(m.conn.added[m.conn.at].ID)
		m.conn.at++
	}
	if m.conn.at >= len(m.conn.added) {
		m.conn.step = stepDone
	}
}

func (m *Model) confirmed(msg confirmedMsg) {
	i := m.conn.at
	m.conn.step = stepVehicle
	if msg.entry.ID != "" {
		m.patchRead(msg.entry)
		m.conn.added[i] = msg.entry
	}
	m.conn.outcome[i] = m.outcomeOf(msg.entry, msg.err)
}

// outcomeOf says what the confirmed read taught, and when the next check is allowed if the key is still missing.
func (m *Model) outcomeOf(e fleet.Entry, err error) string {
	var na *ledger.NotAllowedError
	switch {
	case errors.As(err, &na):
		return "not read: " + safe.Clean(na.Error())
	case err != nil:
		return "the read failed: " + safe.Clean(err.Error())
	case e.Badge == policy.KeyInstalled:
		return "key installed: the read confirmed it"
	}
	next, ok := e.NextRead(m.iv, m.now)
	when := "no next check"
	if ok {
		when = fmt.Sprintf("next check allowed at %s (in %s)", next.UTC().Format(time.RFC3339), countdown(next.Sub(m.now)))
	}
	if e.Badge == policy.Keyless {
		return "the key is still missing; " + when
	}
	return "the key status is still unknown; " + when
}
