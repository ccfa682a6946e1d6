package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/ui/safe"
)

// Records loads a vehicle's whole entry, its record's kept values with it. The rows keep only what the table needs
// (see row), which is what keeps a fleet of 100 000 small and its rows shareable; the detail pane asks for the one
// vehicle it shows.
type Records interface {
	Entry(id string) (fleet.Entry, error)
}

// recordMsg is a vehicle's whole entry, or why it could not be loaded.
type recordMsg struct {
	id  string
	e   fleet.Entry
	err error
}

// wholeRecord is the detail pane's whole entry: the one loaded, the vehicle it is being loaded for, or the one whose
// load failed and why (not tried again until the pane is opened again). A console without Records holds the
// entries it was given, whole (held).
type wholeRecord struct {
	held     map[string]fleet.Entry
	entry    fleet.Entry // ID "" when none is loaded
	loading  string
	newer    time.Time // the newest news of the vehicle being loaded: a load older than it is loaded again
	failedID string
	failed   string
}

// hold keeps entries whole when the console has no Records to load them from; with Records it keeps the loaded
// entry's whole record while it is as new as the listing's.
func (w *wholeRecord) hold(entries []fleet.Entry) {
	if w.held == nil {
		for _, e := range entries {
			if e.ID == w.entry.ID {
				w.heard(e)
			}
		}
		return
	}
	clear(w.held)
	for _, e := range entries {
		w.held[e.ID] = e
	}
}

// heard takes a vehicle's news: a held entry is replaced; the loaded one keeps its whole record unless the news is
// newer, when it is loaded again.
func (w *wholeRecord) heard(e fleet.Entry) {
	if w.held != nil {
		w.held[e.ID] = e
		return
	}
	if e.ID == w.loading && e.Record.UpdatedAt.After(w.newer) {
		w.newer = e.Record.UpdatedAt
	}
	if e.ID != w.entry.ID {
		return
	}
	rec := w.entry.Record
	w.entry = e
	if e.Record.IsLean() {
		if e.Record.UpdatedAt.After(rec.UpdatedAt) {
			w.entry = fleet.Entry{} // newer than what was loaded: load it again
			return
		}
		w.entry.Record = rec
	}
}

// of is vehicle id's whole entry, when the console has it.
func (w *wholeRecord) of(id string) (fleet.Entry, bool) {
	if w.held != nil {
		e, ok := w.held[id]
		return e, ok
	}
	return w.entry, w.entry.ID == id && id != ""
}

// wantRecord loads the whole entry of the vehicle the detail pane shows, when the console does not have it.
func (m *Model) wantRecord() tea.Cmd {
	if m.focus != focusDetail || m.opts.Records == nil {
		return nil
	}
	r, ok := m.list.selected()
	if !ok {
		return nil
	}
	if _, have := m.whole.of(r.id); have || m.whole.loading == r.id || m.whole.failedID == r.id {
		return nil
	}
	id, src := r.id, m.opts.Records
	m.whole.loading = id
	return func() tea.Msg {
		e, err := src.Entry(id)
		return recordMsg{id: id, e: e, err: err}
	}
}

// gotRecord keeps a loaded whole entry for the detail pane.
// A load older than news heard while it ran is loaded again, once: news of an answer that could not be saved is
// newer than any load.
func (m *Model) gotRecord(msg recordMsg) {
	w := &m.whole
	if w.loading != msg.id {
		return // the pane moved on, or the news made it load again
	}
	stale := msg.err == nil && msg.e.Record.UpdatedAt.Before(w.newer)
	w.loading, w.newer = "", time.Time{}
	switch {
	case msg.err != nil:
		w.failedID, w.failed = msg.id, safe.Clean(msg.err.Error())
	case !stale:
		w.entry = msg.e
	}
}

// lost is word that the console missed news (a mailbox keeps maxNews): the loaded whole entry may be older than
// the vehicle's last news, so it is loaded again.
func (w *wholeRecord) lost() {
	if w.held == nil {
		w.entry = fleet.Entry{}
	}
}

// leanLine is the detail pane's word on a vehicle whose whole entry it does not have yet.
func (m *Model) leanLine(id string) string {
	if m.whole.failedID == id {
		return m.styles.errText.Render("cannot load the kept values: " + m.whole.failed)
	}
	if m.opts.Records == nil { // a feed's console given nothing to load from: say so, never "loading" for ever
		return m.styles.dim.Render("the kept values are not available here")
	}
	return m.styles.dim.Render("loading the kept values…")
}
