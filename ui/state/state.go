// Package state is the console's vocabulary for what it says of a vehicle beyond its badge: the fleet's condition of
// it (asleep, rate-limited, failing, billing, rejected) or that its last answer could not be saved. It decides which
// state a vehicle is in, and each state's word, short word, mark and one-line help, so a state reads without colour.
// It does not decide colours, layout or the detail pane's sentences: those stay with the UI.
package state

import "fleetkey/fleet/ledger"

// State is what the console says of a vehicle beyond its badge.
type State uint8

// The states, OK (nothing to say) first. Asleep..Unsaved is every state with something to say, in the help's order.
const (
	OK State = iota
	Asleep
	Limited
	Failing
	Billing
	Rejected
	Unsaved
)

// words are the states' names: the fleet's own (as in list --json "state"), and unsaved.
var words = [...]string{OK: "", Asleep: "asleep", Limited: "rate-limited", Failing: "failing",
	Billing: "billing", Rejected: "rejected", Unsaved: "unsaved"}

// short are the words of the table's narrow STATE column; only rate-limited is cut short there.
var short = [...]string{OK: "", Asleep: "asleep", Limited: "limited", Failing: "failing",
	Billing: "billing", Rejected: "rejected", Unsaved: "unsaved"}

// marks differ in shape as well as colour, like the badges' marks.
var marks = [...]string{OK: "", Asleep: "☾", Limited: "⏸", Failing: "⚠", Billing: "■",
	Rejected: "✕", Unsaved: "✎"}

// help explains each state in one line, for the ? screen.
var help = [...]string{
	Asleep:   "asleep: it answered that it sleeps (a legacy one set asleep has no next read)",
	Limited:  "rate-limited: a 429 for this vehicle holds its reads until the Retry-After",
	Failing:  "failing: its last reads failed (5xx, timeouts, no answer); it backs off",
	Billing:  "billing: a 430 stopped its reads (the billing limit); NEXT READ says stopped",
	Rejected: "rejected: the API refused the request as invalid; reads stopped for a bug report",
	Unsaved:  "unsaved: its last answer could not be saved to disk; held from reads until it is",
}

// String is the state's word: "rate-limited"; "" for OK.
func (s State) String() string { return words[s] }

// Mark is the state's mark: "⏸"; "" for OK.
func (s State) Mark() string { return marks[s] }

// Help explains the state in one line, for the ? screen; "" for OK.
func (s State) Help() string { return help[s] }

// Cell is the state in the table: "⏸ limited", at most 10 cells.
func (s State) Cell() string {
	if s == OK {
		return ""
	}
	return marks[s] + " " + short[s]
}

// Label is the mark and the word: "⚠ failing"; "" when there is nothing to say.
func (s State) Label() string {
	if s == OK {
		return ""
	}
	return marks[s] + " " + words[s]
}

// Of is a vehicle's state from its condition now (fleet.Entry.Condition) and whether its last answer is unsaved. A
// stop comes first (it lasts until someone acts), then an unsaved answer (the vehicle is held until it is saved),
// then what the last answers say.
func Of(c ledger.Condition, unsaved bool) State {
	switch {
	case c == ledger.BillingStopped:
		return Billing
	case c == ledger.Rejected:
		return Rejected
	case unsaved:
		return Unsaved
	}
	switch c {
	case ledger.Asleep:
		return Asleep
	case ledger.RateLimited:
		return Limited
	case ledger.Failing:
		return Failing
	}
	return OK
}

// AsleepByError says the sleep was learned from a 409 that no good read has followed.
func AsleepByError(rec ledger.Record) bool {
	return rec.ErrorKind == "asleep" && rec.LastError != "" && (rec.DataAt().IsZero() || rec.DataAt().Before(rec.LastErrorAt))
}
