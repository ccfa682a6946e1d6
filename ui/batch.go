package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
	"fleetkey/ui/safe"
)

// askReadUnknown asks before reading every unknown vehicle whose read is allowed now, in the table's order.
func (m *Model) askReadUnknown() {
	if m.opts.ReadOnly || m.batch.active() {
		return
	}
	var ids []string
	for _, i := range m.list.sorted {
		if r := m.list.rows.row(i); r.badge() == policy.Unknown && m.refusal(r) == "" {
			ids = append(ids, r.id)
		}
	}
	if len(ids) == 0 {
		m.status = m.news("no unknown vehicle may be read now", false)
		return
	}
	m.ask = ask{ids: ids, many: true}
}

// batch is R's reads in progress: sent one after another through the same Reader, each through the gate. The zero
// batch is none.
type batch struct {
	ids                       []string
	next                      int // the index of the next to send; the one before it is in flight
	recorded, refused, failed int
	last                      string // the last refusal or failure
	stopping                  bool   // esc: no more after the one in flight
}

func (b batch) active() bool { return len(b.ids) > 0 }

// count takes in the outcome of the read in flight.
func (b *batch) count(msg readDoneMsg, now time.Time) {
	var na *ledger.NotAllowedError
	switch {
	case errors.As(msg.err, &na):
		b.refused++
		b.last = refusalOf(na, now)
	case msg.err != nil:
		b.failed++
		b.last = safe.Clean(msg.id) + ": " + safe.Clean(msg.err.Error())
	default:
		b.recorded++
	}
}

// nextInBatch sends the next read of R's that the model's clock allows, counting as refused those it does not;
// with none left it ends the batch and says how it went.
func (m *Model) nextInBatch() tea.Cmd {
	b := &m.batch
	for b.next < len(b.ids) && !b.stopping {
		id := b.ids[b.next]
		b.next++
		r, ok := m.list.byID(id)
		if !ok {
			b.failed++
			b.last = safe.Clean(id) + ": no longer in the fleet"
			continue
		}
		if why := m.refusal(r); why != "" {
			b.refused++
			b.last = why
			continue
		}
		return readVehicle(m.opts.Reader, m.opts.Clock, id, true)
	}
	m.status = m.news(b.summary(), b.refused+b.failed > 0)
	m.status.hold = true // the news of each read's change comes after: it must not hide how the batch went
	m.batch = batch{}
	return nil
}

// progress is the status line while R's reads run.
func (m *Model) progress() string {
	b := m.batch
	s := fmt.Sprintf("reading unknown vehicles: %d of %d", b.next, len(b.ids))
	if r, ok := m.list.byID(b.ids[b.next-1]); ok {
		s += " (" + r.name() + ")"
	}
	if done := b.recorded + b.refused + b.failed; done > 0 {
		s += " · " + b.tally()
	}
	if b.stopping {
		s += " · stopping after this one"
	}
	if b.last != "" {
		s += " · last: " + b.last
	}
	return s
}

// tally is "2 recorded, 1 refused, 1 failed", leaving out the zeros but the first.
func (b batch) tally() string {
	parts := []string{fmt.Sprintf("%d recorded", b.recorded)}
	if b.refused > 0 {
		parts = append(parts, fmt.Sprintf("%d refused", b.refused))
	}
	if b.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", b.failed))
	}
	return strings.Join(parts, ", ")
}

// summary is the status line once R's reads are over.
func (b batch) summary() string {
	s := fmt.Sprintf("read %s: %s", plural(len(b.ids), "unknown vehicle"), b.tally())
	if left := len(b.ids) - b.next; left > 0 {
		s += fmt.Sprintf(", %d not read (stopped)", left)
	}
	if b.last != "" {
		s += " · last: " + b.last
	}
	return s
}
