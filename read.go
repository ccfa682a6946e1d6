package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/ui/safe"
)

// exitNotAllowed is the exit code of a read the budget rules refuse.
const exitNotAllowed = 3

// readResult is what `fleetkey read` prints: the vehicle as `list --json` shows it, and the data read.
type readResult struct {
	fleet.Listing
	Reading *ledger.Reading `json:"reading"`
	Error   string          `json:"error,omitempty"`
}

// runRead reads one vehicle now, if its budget allows. When it does not, nothing is sent: it prints when the next
// read is allowed and exits 3.
func runRead(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("read", "VEHICLE", &g, stderr)
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() != 1 || g.readOnly {
		fs.Usage()
		return exitUsage
	}
	a, err := loadApp(g, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	a.tell(stderr)
	v, ok := findVehicle(a, fs.Arg(0), stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	now := time.Now()
	entries, err := a.fleet.Read(ctx, v.ID, now)
	var na *ledger.NotAllowedError
	if errors.As(err, &na) {
		return refused(stdout, na)
	}
	return printRead(stdout, stderr, a, entries, v.ID, now, err)
}

func refused(stdout io.Writer, na *ledger.NotAllowedError) int {
	switch {
	case na.Stopped != "":
		fmt.Fprintf(stdout, "reads stopped: %s\n", safe.Clean(na.Stopped))
	case na.Next.IsZero():
		fmt.Fprintln(stdout, "no next read: the vehicle is asleep")
	default:
		fmt.Fprintf(stdout, "next read allowed at %s\n", na.Next.UTC().Format(time.RFC3339))
	}
	return exitNotAllowed
}

func printRead(stdout, stderr io.Writer, a *app, entries []fleet.Entry, id string, now time.Time, readErr error) int {
	for _, e := range entries {
		if e.ID != id {
			continue
		}
		out := readResult{Listing: fleet.ListingOf(e, a.cfg.Intervals, now), Reading: e.Record.Reading}
		if readErr != nil {
			out.Error = readErr.Error()
		}
		if err := writeJSON(stdout, out, true); err != nil {
			return fail(stderr, err)
		}
		if readErr != nil {
			return fail(stderr, readErr)
		}
		return 0
	}
	return fail(stderr, errors.Join(readErr, fmt.Errorf("vehicle %s is gone from the fleet", id)))
}
