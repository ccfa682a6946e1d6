package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"fleetkey/policy"
	"fleetkey/ui/state"
)

// column is one column of the vehicle table.
type column struct {
	title string
	width int // 0: takes the width that is left (the name)
	cell  func(r *row, c cellCtx) string
}

// cellCtx is what the clock-dependent cells need.
type cellCtx struct {
	now      time.Time
	iv       policy.Intervals
	markName bool        // no state column: the name cell starts with the state's mark
	state    state.State // the row's state at now, set per row
}

var (
	colName  = column{"NAME", 0, nameCell}
	colVIN   = column{"VIN", 17, func(r *row, _ cellCtx) string { return r.vin() }}
	colModel = column{"MODEL", 14, func(r *row, _ cellCtx) string { return r.model() }}
	colBadge = column{"BADGE", 15, func(r *row, _ cellCtx) string { return badgeLabel(r.badge()) }}
	colState = column{"STATE", 10, func(_ *row, c cellCtx) string { return c.state.Cell() }}
	colNext  = column{"NEXT READ", 10, nextCell}
	colLast  = column{"LAST READ", 11, func(r *row, c cellCtx) string { return age(when(r.lastRead), c.now) }}
)

// minNameWidth is the least room the name keeps before a lower-priority column is dropped.
const minNameWidth = 20

// nextCell is the live countdown: "7h59m12s" or "ready"; "stopped" when reads are stopped (billing, a rejected
// request), "held" while the last answer is unsaved, and "asleep" for an asleep legacy vehicle, the only other one
// with no next read. A vehicle that answered 409 ASLEEP keeps its countdown: the rules still say when it may be read.
func nextCell(r *row, c cellCtx) string {
	if h := r.hold(); h != "" {
		return h
	}
	at, ok := r.next(c.iv, c.now)
	if !ok {
		return "asleep"
	}
	return countdown(at.Sub(c.now))
}

// columnsFor returns the columns that fit in width, in display order. Columns are dropped by priority: VIN first,
// then last read, then model, then the state; name, badge and countdown always stay. Without the state column the
// state's mark goes before the name (see nameCell).
func columnsFor(width int) []column {
	optional := []column{colState, colModel, colLast, colVIN} // kept in this order of priority
	keep := map[string]bool{}
	used := minNameWidth + colBadge.width + colNext.width + 2
	for _, c := range optional {
		if used+c.width+1 <= width {
			keep[c.title] = true
			used += c.width + 1
		}
	}
	cols := []column{colName}
	for _, c := range []column{colVIN, colModel, colBadge, colState, colNext, colLast} {
		if c.title == colBadge.title || c.title == colNext.title || keep[c.title] {
			cols = append(cols, c)
		}
	}
	return cols
}

// hasState says cols hold the state column.
func hasState(cols []column) bool {
	return slices.ContainsFunc(cols, func(c column) bool { return c.title == colState.title })
}

// nameWidth is the width left to the flexible name column.
func nameWidth(cols []column, width int) int {
	w := width - (len(cols) - 1)
	for _, c := range cols[1:] {
		w -= c.width
	}
	return max(w, 1)
}

// nameCell is the name, after the state's mark when the table has no room for the state column: "⚠ Airport runner".
func nameCell(r *row, c cellCtx) string {
	if c.markName && c.state != state.OK {
		return c.state.Mark() + " " + r.name()
	}
	return r.name()
}

// markedName colours the mark at the start of a name cell that nameCell gave one.
func (m *Model) markedName(cell string, s state.State) string {
	if s == state.OK {
		return cell
	}
	mark := s.Mark()
	return m.stateStyle(s).Render(mark) + strings.TrimPrefix(cell, mark)
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
	ctx := cellCtx{now: m.now, iv: m.iv, markName: !hasState(cols)}
	for vi, i := range m.list.visible() {
		b.WriteByte('\n')
		b.WriteString(m.rowLine(m.list.rows.row(i), cols, nw, ctx, m.list.offset+vi == m.list.cursor))
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
	ctx.state = r.stateAt(ctx.now)
	for i, c := range cols {
		cell := pad(c.cell(r, ctx), widthOf(c, nw))
		switch {
		case selected:
		case c.title == colBadge.title:
			cell = m.styles.badge[r.badge()].Render(cell)
		case c.title == colState.title:
			cell = m.stateStyle(ctx.state).Render(cell)
		case c.title == colName.title && ctx.markName:
			cell = m.markedName(cell, ctx.state)
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
