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
}
