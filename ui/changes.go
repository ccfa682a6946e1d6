package ui

import (
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
	"fleetkey/ui/safe"
)

// applyChange shows news of a background read: the vehicle's row now, and the read's outcome in the status line.
func (m *Model) applyChange(c fleet.Change) {
	was := troubled(m.health)
	m.bucketLimited, m.pausedUntil, m.health = c.BucketLimited, c.PausedUntil, c.Health
	if troubled(m.health) != was { // the header grows or shrinks by the trouble's line
		m.list.setHeight(m.tableRows())
	}
	if c.Entries != nil { // a new listing: every row
		m.list.setEntries(c.Entries, m.iv)
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
	m.list.markUnsaved(c.Entry.ID, c.Unsaved, m.now)
	m.list.patch(c.Entry, m.iv)
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

// patch replaces one vehicle's row in place. The order and the ready clock are brought up to date by settle, at most
// once per tick, so a burst of reads costs one re-sort, not one per read.
func (l *list) patch(e fleet.Entry, iv policy.Intervals) {
	i, ok := l.index[e.ID]
	if !ok {
		return // a vehicle the table does not know yet arrives with the next full refresh
	}
	l.counts[l.rows[i].e.Badge]--
	l.rows[i] = l.newRow(e, iv)
	l.counts[e.Badge]++
	l.stale = true
}

// settle re-sorts, re-filters and rebuilds the ready clock after patches, keeping the selection.
func (l *list) settle(iv policy.Intervals) {
	if !l.stale {
		return
	}
	l.stale = false
	id, _ := l.selectedID()
	l.clocks()
	l.resort()
	l.selectID(id)
}
