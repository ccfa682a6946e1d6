package ui

import (
	"strings"
	"time"

	"fleetkey/policy"
	"fleetkey/ui/state"
)

// query is a filter made ready to match: a case-insensitive substring of a row's name, VIN, model or id (its hay),
// or of its badge's word, its state's word or cell, or its hold ("stopped", "held"). Which badges, states and holds
// it matches is worked out once per query, so a row costs one substring search and three lookups.
type query struct {
	text    string // lower-cased and trimmed; "" matches every row
	badges  [4]bool
	states  [state.Unsaved + 1]bool
	stopped bool
	held    bool
}

func compile(q string) query {
	c := query{text: strings.ToLower(strings.TrimSpace(q))}
	if c.text == "" {
		return c
	}
	for _, b := range policy.Badges {
		c.badges[b] = strings.Contains(b.String(), c.text)
	}
	for s := range c.states {
		st := state.State(s)
		c.states[s] = strings.Contains(st.String(), c.text) || strings.Contains(strings.ToLower(st.Cell()), c.text)
	}
	c.stopped, c.held = strings.Contains("stopped", c.text), strings.Contains("held", c.text)
	return c
}

// match says row r is in the view at now.
func (q *query) match(r *row, now time.Time) bool {
	switch {
	case q.text == "", q.badges[r.badge()], q.states[r.stateAt(now)]:
		return true
	case r.stopped:
		if q.stopped {
			return true
		}
	case r.unsaved() && q.held:
		return true
	}
	return strings.Contains(r.hay(), q.text)
}
