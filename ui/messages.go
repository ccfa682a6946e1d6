package ui

import (
	"time"

	"fleetkey/fleet"
)

// Notice is news from outside the console for its status line, such as the SSH server's word that the
// terminal's size was clamped. It shows as a warning and fades like any other news.
type Notice string

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
