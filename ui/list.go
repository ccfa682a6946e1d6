package ui

import (
	"slices"
	"time"
)

// list is one console's view of the shared rows: their order, the filtered view of it, and the cursor. The rows are a
// Rows snapshot shared with every other console; the order and the view are this console's own, as indices. After a
// change only the changed rows move (see apply); sorting everything happens when the order, the filter or the
// vehicles as a whole change. Drawing touches only the visible rows.
type list struct {
	rows   *Rows
	sorted []int32 // indices into rows, in sort order
	view   []int32 // sorted, filtered; sorted itself when there is no filter
	cursor int     // index into view
	offset int     // first visible index into view
	height int     // visible rows
	sort   sortKey
	filter string
	q      query
	now    time.Time // the clock the view's states are judged at
}

func newList(rows *Rows, now time.Time) list {
	l := list{now: now}
	l.setRows(rows)
	return l
}

// setRows shows a new table as a whole (a listing), keeping the selected vehicle selected.
func (l *list) setRows(rows *Rows) {
	id, _ := l.selectedID()
	l.rows = rows
	l.resort()
	l.selectID(id)
}

func (l *list) resort() {
	l.sorted = make([]int32, l.rows.Len())
	for i := range l.sorted {
		l.sorted[i] = int32(i)
	}
	slices.SortFunc(l.sorted, func(a, b int32) int { return compareRows(l.rows.row(a), l.rows.row(b), l.sort) })
	l.refilter()
}

// apply moves to rows, which differ from the list's own in the changed rows only: each leaves its place in the order
// (found by binary search with its old keys) and takes its new one, O(log n) comparisons a row. Many changes at once
// sort everything instead.
func (l *list) apply(rows *Rows, changed []int32) {
	if len(changed) == 0 {
		l.rows = rows
		return
	}
	if tooMany(len(changed), len(l.sorted)) {
		l.setRows(rows)
		return
	}
	id, _ := l.selectedID()
	filtered := l.q.text != ""
	for _, i := range changed {
		var ok bool
		if l.sorted, ok = l.without(l.sorted, l.rows, i); !ok {
			l.setRows(rows) // never expected: the order was not of the list's rows; sort everything
			return
		}
		if filtered {
			l.view, _ = l.without(l.view, l.rows, i)
		}
	}
	l.rows = rows
	for _, i := range changed {
		l.sorted = l.with(l.sorted, i)
		if filtered && l.q.match(rows.row(i), l.now) {
			l.view = l.with(l.view, i)
		}
	}
	if !filtered {
		l.view = l.sorted
	}
	l.clamp()
	l.selectID(id)
}

// tooMany says changing this many of n rows one by one costs more than sorting them all again.
func tooMany(changed, n int) bool { return changed > max(n/16, 64) }

// place finds row i of rows in order, an order of rows' rows.
func (l *list) place(order []int32, rows *Rows, i int32) (int, bool) {
	r := rows.row(i)
	return slices.BinarySearchFunc(order, r, func(j int32, r *row) int { return compareRows(rows.row(j), r, l.sort) })
}

// without takes row i, as rows has it, out of order; ok is false, and order unchanged, when it is not there.
func (l *list) without(order []int32, rows *Rows, i int32) ([]int32, bool) {
	at, ok := l.place(order, rows, i)
	if !ok || order[at] != i {
		return order, false
	}
	return slices.Delete(order, at, at+1), true
}

// with puts row i of the list's rows into order at its place.
func (l *list) with(order []int32, i int32) []int32 {
	at, ok := l.place(order, l.rows, i)
	if ok {
		return order
	}
	return slices.Insert(order, at, i)
}

// refilter recomputes the view from the sorted rows (see query).
func (l *list) refilter() {
	if l.q.text == "" {
		l.view = l.sorted
	} else {
		l.view = make([]int32, 0, len(l.sorted)/4)
		for _, i := range l.sorted {
			if l.q.match(l.rows.row(i), l.now) {
				l.view = append(l.view, i)
			}
		}
	}
	l.clamp()
}

func (l *list) setFilter(q string) {
	id, _ := l.selectedID()
	l.filter = q
	l.q = compile(q)
	l.refilter()
	l.selectID(id)
}

// setNow moves the list's clock. When a rate limit ends its row's state word changes, so a filtered view is judged
// again: once per such moment, not per tick.
func (l *list) setNow(now time.Time) {
	was := l.now
	l.now = now
	if l.q.text != "" && l.rows.limits.between(was, now) {
		id, _ := l.selectedID()
		l.refilter()
		l.selectID(id)
	}
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
	return l.rows.row(l.view[l.cursor]), true
}

func (l *list) selectedID() (string, bool) {
	r, ok := l.selected()
	if !ok {
		return "", false
	}
	return r.id, true
}

// selectID moves the cursor to the vehicle with id, if it is in view: a binary search, as the view is in order.
func (l *list) selectID(id string) {
	i, ok := l.rows.indexOf(id)
	if id == "" || !ok {
		return
	}
	if at, ok := l.place(l.view, l.rows, i); ok {
		l.cursor = at
		l.clamp()
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
func (l *list) visible() []int32 {
	end := min(l.offset+l.height, len(l.view))
	return l.view[l.offset:end]
}

// byID is the row of vehicle id.
func (l *list) byID(id string) (*row, bool) { return l.rows.byID(id) }
