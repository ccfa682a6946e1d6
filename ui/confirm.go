package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
	"fleetkey/ui/safe"
)

// ask is a question waiting for the operator's y before reads that cannot be taken back: r on a vehicle whose read
// is its only one for hours, or R, the reads of every unknown vehicle allowed now. Any other key cancels it. The zero
// ask is none.
type ask struct {
	ids  []string // the vehicles to read
	many bool     // R: read them one after another (see batch)
}

func (a ask) open() bool { return len(a.ids) > 0 }

// spendsOnlyRead says a read of a vehicle of badge b spends its only read in a long interval, so r asks first:
// keyless, and unknown (budgeted as keyless). Key-installed and legacy vehicles are read at once.
func spendsOnlyRead(b policy.Badge) bool { return b == policy.Keyless || b == policy.Unknown }

// question is the open ask as the status line shows it, at the model's clock.
func (m *Model) question() string {
	const answer = " y to read, any other key cancels"
	if m.ask.many {
		return fmt.Sprintf("read %s now? each spends its %s read.", plural(len(m.ask.ids), "unknown vehicle"),
			every(m.iv.Of(policy.Unknown))) + answer
	}
	r, ok := m.list.byID(m.ask.ids[0])
	if !ok {
		return "read " + safe.Clean(m.ask.ids[0]) + "?" + answer
	}
	iv := m.iv.Of(r.badge())
	return fmt.Sprintf("this spends %s's only read for %s; next allowed at %s.", r.name(), every(iv),
		m.now.Add(iv).UTC().Format("15:04")+" UTC") + answer
}

// askKey answers the open question: y does what it asked, ctrl+c quits, any other key cancels it.
func (m Model) askKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	a := m.ask
	m.ask = ask{}
	m.touch()
	switch {
	case msg.String() == "ctrl+c":
		return m, tea.Quit
	case !key.Matches(msg, m.keys.Yes):
		m.status = m.news("cancelled: not read, nothing spent", false)
		return m, nil
	case a.many:
		m.batch = batch{ids: a.ids}
		return m, m.nextInBatch()
	}
	r, ok := m.list.byID(a.ids[0])
	if !ok {
		m.status = m.news(safe.Clean(a.ids[0])+": no longer in the fleet", true)
		return m, nil
	}
	return m, m.readRow(r)
}

// startRead reads the selected vehicle if its budget allows it at the model's clock, asking first when the read is
// its only one in hours. The fleet checks again under the state lock with the real clock, so a stale frame can never
// spend a read early.
func (m *Model) startRead() tea.Cmd {
	r, ok := m.list.selected()
	if !ok || m.opts.ReadOnly {
		return nil
	}
	if why := m.refusal(r); why != "" {
		m.status = m.news(why, true)
		return nil
	}
	if spendsOnlyRead(r.badge()) {
		m.ask = ask{ids: []string{r.id}}
		return nil
	}
	return m.readRow(r)
}

// readRow spends the read of r in a command, once the model's clock allows it.
func (m *Model) readRow(r *row) tea.Cmd {
	if why := m.refusal(r); why != "" {
		m.status = m.news(why, true)
		return nil
	}
	m.status = m.news("reading "+r.name()+"…", false)
	return readVehicle(m.opts.Reader, m.opts.Clock, r.id, false)
}

// readVehicle spends one read through the Reader's gate; inBatch marks a read of R's.
func readVehicle(rd Reader, clock func() time.Time, id string, inBatch bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		entries, err := rd.Read(ctx, id, clock())
		return readDoneMsg{id: id, entries: entries, err: err, batch: inBatch}
	}
}

// refusal says why r may not be read at the model's clock; "" when it may.
func (m *Model) refusal(r *row) string {
	switch r.hold() {
	case "stopped":
		return fmt.Sprintf("%s: reads stopped: %s", safe.Clean(r.id), safe.Clean(m.list.rows.stops[r.id]))
	case "held":
		return safe.Clean(r.id) + ": held until its last answer is saved"
	}
	at, ok := r.next(m.iv, m.now)
	if ok && !at.After(m.now) {
		return ""
	}
	return refusal(r.id, at, ok, m.now)
}

func refusal(id string, at time.Time, ok bool, now time.Time) string {
	if !ok {
		return fmt.Sprintf("%s is asleep: no read until it wakes", safe.Clean(id))
	}
	return fmt.Sprintf("%s: next read allowed in %s (at %s)", safe.Clean(id), countdown(at.Sub(now)), at.UTC().Format(time.RFC3339))
}

// refusalOf is the status of a read the fleet's gate refused.
func refusalOf(na *ledger.NotAllowedError, now time.Time) string {
	if na.Stopped != "" {
		return fmt.Sprintf("%s: reads stopped: %s", safe.Clean(na.ID), safe.Clean(na.Stopped))
	}
	return refusal(na.ID, na.Next, !na.Next.IsZero(), now)
}

// readDone shows a read's outcome; a read of R's goes on to the next vehicle.
func (m *Model) readDone(msg readDoneMsg) tea.Cmd {
	if msg.entries != nil {
		m.readEntries(msg.id, msg.entries)
	}
	if msg.batch && m.batch.active() {
		m.batch.count(msg, m.now)
		return m.nextInBatch()
	}
	var na *ledger.NotAllowedError
	switch {
	case errors.As(msg.err, &na):
		m.status = m.news(refusalOf(na, m.now), true)
	case msg.err != nil:
		m.status = m.news("read "+safe.Clean(msg.id)+": "+safe.Clean(msg.err.Error()), true)
	default:
		m.status = m.news("read "+safe.Clean(msg.id)+": recorded", false)
	}
	return nil
}

// readEntries shows the fleet after a read of vehicle id: only its row changes when the fleet is the same vehicles;
// else every row is made again.
func (m *Model) readEntries(id string, entries []fleet.Entry) {
	if len(entries) != m.list.rows.Len() {
		m.setEntries(entries)
		return
	}
	for _, e := range entries {
		if e.ID == id {
			m.patchRead(e)
			return
		}
	}
	m.setEntries(entries)
}
