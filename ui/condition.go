package ui

import (
	"fmt"
	"time"

	"charm.land/lipgloss/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
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
func (m *Model) stateLines(r *row, e fleet.Entry, w int) []string {
	s := r.stateAt(m.now)
	rec := e.Record
	head, cause := s.Label(), safe.Clean(rec.LastError)
	switch s {
	case state.OK:
		return nil
	case state.Billing, state.Rejected:
		head += ": reads stopped" + m.since(rec.LastErrorAt)
		cause = safe.Clean(rec.Stopped)
	case state.Unsaved:
		head += m.since(when(r.unsavedAt))
		cause = "its last answer is not on disk; no read until it is saved"
	case state.Limited:
		head += m.since(rec.LastErrorAt) + fmt.Sprintf(", until %s (in %s)", clockTime(rec.NotBefore),
			countdown(rec.NotBefore.Sub(m.now)))
	case state.Failing:
		head += ": " + plural(max(rec.Failures, 1), "failure") + " in a row, the last " + age(rec.LastErrorAt, m.now)
	case state.Asleep:
		head, cause = m.asleepLines(rec)
	}
	st := m.stateStyle(s)
	return []string{m.hang("State", head, st, w), m.hang("", cause, st, w)}
}

// stateTellsError says the State line shows the vehicle's last error, so the Error line would say it twice.
func (m *Model) stateTellsError(r *row, rec ledger.Record) bool {
	switch r.stateAt(m.now) {
	case state.Billing, state.Rejected, state.Limited, state.Failing:
		return true
	case state.Asleep:
		return state.AsleepByError(rec)
	}
	return false
}

// asleepLines say where the sleep was learned: a 409 or the asleep signal of a read, or the config.
func (m *Model) asleepLines(rec ledger.Record) (head, cause string) {
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
