package ui

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"fleetkey/fleet"
	"fleetkey/policy"
	"fleetkey/ui/safe"
	"fleetkey/ui/state"
)

// stateStyle colours a state: stops and unsaved answers as errors, the rest as warnings, sleep dimmed.
func (m *Model) stateStyle(s state.State) lipgloss.Style {
	switch s {
	case state.Billing, state.Rejected, state.Unsaved, state.Failing:
		return m.styles.errText
	case state.Limited:
		return m.styles.warn
	}
	return m.styles.dim
}

// stateLines are the detail pane's lines for the state: the word, since when and until when, then on a line of its
// own the error behind it (from outside, so cleaned), wrapped to w. None when there is nothing to say.
func (m *Model) stateLines(r *row, w int) []string {
	s := state.Of(r.e.Condition(m.now), r.unsaved)
	rec := r.e.Record
	head, cause := s.Label(), safe.Clean(rec.LastError)
	switch s {
	case state.OK:
		return nil
	case state.Billing, state.Rejected:
		head += ": reads stopped" + m.since(rec.LastErrorAt)
		cause = safe.Clean(rec.Stopped)
	case state.Unsaved:
		head += m.since(m.list.unsaved[r.e.ID])
		cause = "its last answer is not on disk; no read until it is saved"
	case state.Limited:
		head += m.since(rec.LastErrorAt) + fmt.Sprintf(", until %s (in %s)", clockTime(rec.NotBefore),
			countdown(rec.NotBefore.Sub(m.now)))
	case state.Failing:
		head += ": " + plural(max(rec.Failures, 1), "failure") + " in a row, the last " + age(rec.LastErrorAt, m.now)
	case state.Asleep:
		head, cause = m.asleepLines(r)
	}
	st := m.stateStyle(s)
	return []string{m.hang("State", head, st, w), m.hang("", cause, st, w)}
}

// stateTellsError says the State line shows the vehicle's last error, so the Error line would say it twice.
func (m *Model) stateTellsError(r *row) bool {
	switch state.Of(r.e.Condition(m.now), r.unsaved) {
	case state.Billing, state.Rejected, state.Limited, state.Failing:
		return true
	case state.Asleep:
		return state.AsleepByError(r.e.Record)
	}
	return false
}

// asleepLines say where the sleep was learned: a 409 or the asleep signal of a read, or the config.
func (m *Model) asleepLines(r *row) (head, cause string) {
	rec := r.e.Record
	head = state.Asleep.Label()
	switch {
	case state.AsleepByError(rec):
		return head + m.since(rec.LastErrorAt), safe.Clean(rec.LastError)
	case rec.Asleep:
		return head + m.since(rec.AsleepAt), "the last read said it sleeps"
	}
	return head, "the config says it sleeps"
}

// since is " since 5m ago", or "" for an unknown time.
func (m *Model) since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " since " + age(t, m.now)
}

// clockTime is a time of day as the console writes one: "20:14:00 UTC".
func clockTime(t time.Time) string { return t.UTC().Format(time.TimeOnly) + " UTC" }

// plural is "1 failure", "3 failures".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// newRow prepares e at the list's clock, with what the list knows of its unsaved answer.
func (l *list) newRow(e fleet.Entry, iv policy.Intervals) row {
	_, unsaved := l.unsaved[e.ID]
	return newRow(e, iv, l.now, unsaved)
}

// clocks rebuilds what the rows' times give: the ready clocks, and the rows whose state ends by the clock alone.
func (l *list) clocks() {
	l.ready = newReadyClock(l.rows)
	l.unknown = newReadyClockOf(l.rows, func(r *row) bool { return r.e.Badge == policy.Unknown })
	l.limited = l.limited[:0]
	for i := range l.rows {
		if l.rows[i].state == state.Limited {
			l.limited = append(l.limited, i)
		}
	}
	l.stateUntil = l.limitedUntil()
}

// limitedUntil is the earliest Retry-After of the rate-limited rows; zero when there is none.
func (l *list) limitedUntil() time.Time {
	var until time.Time
	for _, i := range l.limited {
		if nb := l.rows[i].e.Record.NotBefore; until.IsZero() || nb.Before(until) {
			until = nb
		}
	}
	return until
}

// setNow moves the list's clock. When a Retry-After passes, the rows it held are made again, so that their state's
// word leaves the filter's haystack too: work for those rows only, once per such moment, not per tick. Their place
// in the order does not change (their readyAt was the Retry-After already).
func (l *list) setNow(now time.Time, iv policy.Intervals) {
	l.now = now
	if l.stateUntil.IsZero() || now.Before(l.stateUntil) {
		return
	}
	still := l.limited[:0]
	for _, i := range l.limited {
		if l.rows[i].e.Record.NotBefore.After(now) {
			still = append(still, i)
			continue
		}
		l.rows[i] = l.newRow(l.rows[i].e, iv)
	}
	l.limited = still
	l.stateUntil = l.limitedUntil()
	if l.filter != "" {
		id, _ := l.selectedID()
		l.refilter()
		l.selectID(id)
	}
}

// markUnsaved records whether vehicle id's last answer is unsaved, and since when; its row follows with the patch.
func (l *list) markUnsaved(id string, unsaved bool, now time.Time) {
	_, was := l.unsaved[id]
	switch {
	case unsaved && !was:
		l.unsaved[id] = now
	case !unsaved && was:
		delete(l.unsaved, id)
	}
}
