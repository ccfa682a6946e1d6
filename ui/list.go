package ui

import (
	"slices"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// list is the vehicle table: every row, the filtered and sorted view of them, and the cursor. Sorting and filtering
// happen when the data, the filter or the order changes; drawing touches only the visible rows.
type list struct {
	rows   []row
	sorted []int // indices into rows, in sort order
	view   []int // sorted, filtered
	cursor int   // index into view
	offset int   // first visible index into view
	height int   // visible rows
	sort   sortKey
	filter string
	ready  readyClock
	counts map[policy.Badge]int
	index  map[string]int // vehicle id → index into rows
	stale  bool           // rows were patched since the last sort

	now        time.Time            // the clock the rows' states were taken at (see setNow)
	stateUntil time.Time            // the earliest a row's state ends by the clock alone (a Retry-After); zero: none
	limited    []int                // the rows rate-limited when they were made, whose state the clock ends
	unknown    readyClock           // the ready clock of the unknown vehicles, for R
	unsaved    map[string]time.Time // vehicles whose last answer could not be saved → since when
}

func newList(entries []fleet.Entry, iv policy.Intervals, now time.Time) list {
	l := list{now: now, unsaved: map[string]time.Time{}}
	l.setEntries(entries, iv)
	return l
}

// setEntries replaces the data, keeping the selected vehicle selected.
func (l *list) setEntries(entries []fleet.Entry, iv policy.Intervals) {
	id, _ := l.selectedID()
	l.rows = make([]row, len(entries))
	l.counts = map[policy.Badge]int{}
	l.index = make(map[string]int, len(entries))
	for i, e := range entries {
		l.rows[i] = l.newRow(e, iv)
		l.counts[e.Badge]++
		l.index[e.ID] = i
	}
	l.stale = false
	l.clocks()
	l.resort()
	l.selectID(id)
}

func (l *list) resort() {
	l.sorted = make([]int, len(l.rows))
	for i := range l.sorted {
		l.sorted[i] = i
	}
	slices.SortStableFunc(l.sorted, func(a, b int) int { return compareRows(&l.rows[a], &l.rows[b], l.sort) })
	l.refilter()
}

// refilter recomputes the view from the sorted rows: a case-insensitive substring match on name, VIN, model, badge
// and state.
func (l *list) refilter() {
	q := strings.ToLower(strings.TrimSpace(l.filter))
	if q == "" {
		l.view = l.sorted
	} else {
		l.view = make([]int, 0, len(l.sorted)/4)
		for _, i := range l.sorted {
			if strings.Contains(l.rows[i].haystack, q) {
				l.view = append(l.view, i)
			}
		}
	}
	l.clamp()
}

func (l *list) setFilter(q string) {
	id, _ := l.selectedID()
	l.filter = q
	l.refilter()
	l.selectID(id)
}

func (l *list) cycleSort() {
	id, _ := l.selectedID()
	l.sort = (l.sort + 1) % sortKeys
	l.resort()
	l.selectID(id)
}

func (l *list) selected() (*row, bool) {
	if l.cursor < 0 || l.cursor >= len(l.view) {
		return nil, false
	}
	return &l.rows[l.view[l.cursor]], true
}

func (l *list) selectedID() (string, bool) {
	r, ok := l.selected()
	if !ok {
		return "", false
	}
	return r.e.ID, true
}

// selectID moves the cursor to the vehicle with id, if it is in view.
func (l *list) selectID(id string) {
	if id == "" {
		return
	}
	for vi, i := range l.view {
		if l.rows[i].e.ID == id {
			l.cursor = vi
			l.clamp()
			return
		}
	}
}

func (l *list) setHeight(h int) {
	l.height = max(h, 1)
	l.clamp()
}

func (l *list) move(n int) {
	l.cursor += n
	l.clamp()
}

// clamp keeps the cursor inside the view and the window around the cursor.
func (l *list) clamp() {
	l.cursor = min(max(l.cursor, 0), max(len(l.view)-1, 0))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+l.height {
		l.offset = l.cursor - l.height + 1
	}
	l.offset = min(max(l.offset, 0), max(len(l.view)-l.height, 0))
}

// visible returns the rows in the window.
func (l *list) visible() []int {
	end := min(l.offset+l.height, len(l.view))
	return l.view[l.offset:end]
}

// selectedRecord is the state's record of the selected vehicle; zero when none is selected.
func (l *list) selectedRecord() ledger.Record {
	r, ok := l.selected()
	if !ok {
		return ledger.Record{}
	}
	return r.e.Record
}
