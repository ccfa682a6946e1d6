package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"fleetkey/policy"
)

// column is one column of the vehicle table.
type column struct {
	title string
	width int // 0: takes the width that is left (the name)
	cell  func(r *row, c cellCtx) string
}

// cellCtx is what the clock-dependent cells need.
type cellCtx struct {
	now time.Time
	iv  policy.Intervals
}

var (
	colName  = column{"NAME", 0, func(r *row, _ cellCtx) string { return r.name }}
	colVIN   = column{"VIN", 17, func(r *row, _ cellCtx) string { return r.vin }}
	colModel = column{"MODEL", 14, func(r *row, _ cellCtx) string { return r.model }}
	colBadge = column{"BADGE", 15, func(r *row, _ cellCtx) string { return r.badge }}
	colNext  = column{"NEXT READ", 10, nextCell}
	colLast  = column{"LAST READ", 11, func(r *row, c cellCtx) string { return age(r.e.LastRead, c.now) }}
)

// minNameWidth is the least room the name keeps before a lower-priority column is dropped.
const minNameWidth = 12

// nextCell is the live countdown: "7h59m12s", "ready", or "asleep" for a legacy vehicle with no next read.
func nextCell(r *row, c cellCtx) string {
	at, ok := r.e.NextRead(c.iv, c.now)
	if !ok {
		return "asleep"
	}
	return countdown(at.Sub(c.now))
}

// columnsFor returns the columns that fit in width, in display order. Columns are dropped by priority: VIN first,
// then last read, then model; name, badge and countdown always stay.
func columnsFor(width int) []column {
	optional := []column{colModel, colLast, colVIN} // kept in this order of priority
	keep := map[string]bool{}
	used := minNameWidth + colBadge.width + colNext.width + 2
	for _, c := range optional {
		if used+c.width+1 <= width {
			keep[c.title] = true
			used += c.width + 1
		}
	}
	cols := []column{colName}
	for _, c := range []column{colVIN, colModel, colBadge, colNext, colLast} {
		if c.title == colBadge.title || c.title == colNext.title || keep[c.title] {
			cols = append(cols, c)
		}
	}
	return cols
}

// nameWidth is the width left to the flexible name column.
func nameWidth(cols []column, width int) int {
	w := width - (len(cols) - 1)
	for _, c := range cols[1:] {
		w -= c.width
	}
	return max(w, 1)
}

// pad truncates or pads plain text to exactly w cells.
func pad(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// tableView draws the column header and the visible rows only.
func (m *Model) tableView(width int) string {
	cols := columnsFor(width)
	nw := nameWidth(cols, width)
	var b strings.Builder
	b.WriteString(m.styles.header.Render(m.headerLine(cols, nw)))
	ctx := cellCtx{now: m.now, iv: m.iv}
	for vi, i := range m.list.visible() {
		b.WriteByte('\n')
		b.WriteString(m.rowLine(&m.list.rows[i], cols, nw, ctx, m.list.offset+vi == m.list.cursor))
	}
	if len(m.list.view) == 0 {
		b.WriteString("\n" + m.styles.dim.Render(pad("  no vehicle matches the filter", width)))
	}
	return b.String()
}

func (m *Model) headerLine(cols []column, nw int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = pad(c.title, widthOf(c, nw))
	}
	return strings.Join(parts, " ")
}

func (m *Model) rowLine(r *row, cols []column, nw int, ctx cellCtx, selected bool) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		cell := pad(c.cell(r, ctx), widthOf(c, nw))
		if c.title == colBadge.title && !selected {
			cell = m.styles.badge[r.e.Badge].Render(cell)
		}
		parts[i] = cell
	}
	line := strings.Join(parts, " ")
	if selected {
		return m.styles.selected.Render(line)
	}
	return line
}

func widthOf(c column, nw int) int {
	if c.width == 0 {
		return nw
	}
	return c.width
}
