package ui

import (
	"time"

	"fleetkey/fleet"
	"fleetkey/ui/safe"
)

// applyChange shows news of a background read: the vehicle's row now, and the read's outcome in the status line.
func (m *Model) applyChange(c fleet.Change) {
	switch {
	case c.Entries != nil:
		m.setEntries(c.Entries)
	case c.Entry.ID != "":
		m.patchEntry(c.Entry, c.Unsaved)
	}
	m.hearChange(c)
}

// hearChange takes what a change says beside the rows: the fleet's health, the listing's progress, the detail pane's
// vehicle, and the status line.
func (m *Model) hearChange(c fleet.Change) {
	was := troubled(m.health)
	m.bucketLimited, m.pausedUntil, m.health = c.BucketLimited, c.PausedUntil, c.Health
	if troubled(m.health) != was { // the header grows or shrinks by the trouble's line
		m.list.setHeight(m.tableRows())
	}
	if c.Entries != nil { // a new listing: every row
		m.opts.Listing = c.Listing
		if c.Err != nil {
			m.status = m.news("listing: "+safe.Clean(c.Err.Error()), true)
		}
		return
	}
	if c.Entry.ID == "" { // news of the scheduler as a whole, e.g. the credential was refused
		if c.Err != nil {
			m.status = m.news("reads: "+safe.Clean(c.Err.Error()), true)
		}
		return
	}
	m.whole.heard(c.Entry)
	name := safe.Clean(c.Entry.Name)
	if c.Err != nil {
		m.status = m.news("read "+name+": "+safe.Clean(c.Err.Error()), true)
		return
	}
	if m.status.hold && m.status.text != "" {
		return // the row shows the read; the news on screen matters more
	}
	m.status = m.news("read "+name+" at "+c.Entry.LastRead.UTC().Format(time.TimeOnly), false)
}

// setEntries shows a new fleet as a whole, keeping the selected vehicle selected.
func (m *Model) setEntries(entries []fleet.Entry) {
	m.whole.hold(entries)
	if m.opts.Feed.box == nil { // shared rows change only through the feed
		m.list.setRows(m.list.rows.listed(entries, m.now))
	}
}

// patchRead shows the result of the console's own read of e: it does not say whether the answer was saved, so a
// vehicle the scheduler's news held stays held.
func (m *Model) patchRead(e fleet.Entry) {
	r, _ := m.list.byID(e.ID)
	m.patchEntry(e, r != nil && r.unsaved())
	m.whole.heard(e)
}

// patchEntry shows one vehicle's new data: its row is made again and moves to its new place. A vehicle the table
// does not know yet arrives with the next listing.
func (m *Model) patchEntry(e fleet.Entry, unsaved bool) {
	if m.opts.Feed.box != nil { // shared rows change only through the feed
		return
	}
	rows, changed := m.list.rows.with([]rowChange{{e: e, unsaved: unsaved}}, m.now)
	m.list.apply(rows, changed)
}
