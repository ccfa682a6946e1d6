package ui

import (
	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet/ledger"
	"fleetkey/ui/safe"
)

// Records loads a vehicle's whole record, its kept values with it. The rows hold lean copies (see
// ledger.Record.Lean), which is what keeps a fleet of 100 000 small and quick to start; the detail pane asks for the
// one vehicle it shows.
type Records interface {
	Record(id string) (ledger.Record, error)
}

// recordMsg is a vehicle's whole record, or why it could not be loaded.
type recordMsg struct {
	id  string
	rec ledger.Record
	err error
}

// wholeRecord is where the detail pane's whole record stands: the vehicle it is being loaded for, or the one whose
// load failed and why (not tried again until the pane is opened again).
type wholeRecord struct {
	loading  string
	failedID string
	failed   string
}

// wantRecord loads the whole record of the vehicle the detail pane shows, when its row holds a lean copy.
func (m *Model) wantRecord() tea.Cmd {
	if m.focus != focusDetail || m.opts.Records == nil {
		return nil
	}
	r, ok := m.list.selected()
	if !ok || !r.e.Record.IsLean() || m.whole.loading == r.e.ID || m.whole.failedID == r.e.ID {
		return nil
	}
	id, src := r.e.ID, m.opts.Records
	m.whole.loading = id
	return func() tea.Msg {
		rec, err := src.Record(id)
		return recordMsg{id: id, rec: rec, err: err}
	}
}

// gotRecord puts a loaded whole record into its row.
func (m *Model) gotRecord(msg recordMsg) {
	if m.whole.loading == msg.id {
		m.whole.loading = ""
	}
	if msg.err != nil {
		m.whole.failedID, m.whole.failed = msg.id, safe.Clean(msg.err.Error())
		return
	}
	m.list.whole(msg.id, msg.rec)
}

// whole replaces the lean record of vehicle id's row with its whole one, unless the row has had newer news since.
func (l *list) whole(id string, rec ledger.Record) {
	i, ok := l.index[id]
	if !ok {
		return
	}
	cur := &l.rows[i].e.Record
	if cur.IsLean() && !rec.UpdatedAt.Before(cur.UpdatedAt) {
		*cur = rec
	}
}

// leanLine is the detail pane's word on kept values it does not have yet.
func (m *Model) leanLine(r *row) string {
	if m.whole.failedID == r.e.ID {
		return m.styles.errText.Render("cannot load the kept values: " + m.whole.failed)
	}
	return m.styles.dim.Render("loading the kept values…")
}
