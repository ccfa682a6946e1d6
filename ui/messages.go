package ui

import (
	"time"

	"fleetkey/fleet"
)

// tickMsg is the one-per-second clock that drives every countdown.
type tickMsg time.Time

// readDoneMsg reports a read: the fleet after it, or why it was refused or failed.
type readDoneMsg struct {
	id      string
	entries []fleet.Entry
	err     error
	batch   bool // one of R's reads (see batch)
}

// changeMsg is news from the fleet's scheduler about one vehicle.
type changeMsg struct {
	change fleet.Change
	ok     bool // false when the feed has closed
}
