package ledger

import (
	"errors"
	"time"
)

// Ledger keeps the fleet's records where every process that opens it sees the same ones: a SQLite file on one box,
// a PostgreSQL database for a team on many, or memory for the demo. It is the one read budget of the fleet.
//
// Update is the gate's one way in: it runs fn on the current records of ids inside one transaction that no other
// writer on any machine can interleave with, and stores what fn returns merged over them (see Record.Merge), so a
// check of the rules and the record of a read are one atomic step. The now fn gets is the ledger's clock: the
// database's own with PostgreSQL (so skewed machines agree), else the now the caller passed.
//
// A Ledger is safe for concurrent use. A failed write returns an error and changes nothing.
type Ledger interface {
	// Load returns every record.
	Load() (State, error)
	// Lean returns every record as a lean copy (see Record.Lean), much faster than Load: all that the rows and the
	// scheduler need; Get has the rest.
	Lean() (State, error)
	// Get returns the records of ids that exist.
	Get(ids []string) (State, error)
	// Update runs fn on the records of ids (absent ones are missing from st) at the ledger's now, stores fn's
	// records merged over the current ones, and returns the stored records of ids. fn may only return records of
	// ids; it must be quick and must not use the ledger. It may run more than once when a transaction is retried.
	Update(ids []string, now time.Time, fn func(st State, now time.Time) State) (State, error)
	// Cursor returns the position of the latest change; Since(Cursor()) returns nothing until a new one.
	Cursor() (uint64, error)
	// Since returns the records changed after cursor, by any process, and the cursor to pass next. It is cheap
	// when nothing changed (no query with SQLite, unless another connection committed; none with PostgreSQL
	// while LISTEN says nothing changed).
	Since(cursor uint64) (State, uint64, error)
	// Lease asks for the scheduler's lease for holder at now for ttl: granted when free, expired or already
	// holder's. A ttl of zero or less releases it when holder has it; holder "" only asks. It returns who holds it.
	Lease(holder string, ttl time.Duration, now time.Time) (Lease, error)
	// PutListing keeps a page of the vehicle listing seen at at (the refresh's start); final ends that refresh,
	// dropping every vehicle it did not see.
	PutListing(items []Listed, at time.Time, final bool) error
	// Listing returns the kept listing, in the order the API gave it.
	Listing() (Listing, error)
	// Close releases the ledger's connections.
	Close() error
}

// Lease says which process schedules the fleet's automatic reads.
type Lease struct {
	Holder string    // "host pid N", or "" when nobody holds it
	Until  time.Time // when it expires unless renewed, in the ledger's clock
	Mine   bool      // the asking holder has it
}

// Listed is one vehicle of the kept listing: its id and the listing's own encoding of it.
type Listed struct {
	ID   string
	Data []byte
}

// Listing is the kept vehicle listing.
type Listing struct {
	Items    []Listed
	At       time.Time // when the last refresh that saved a page began; zero when none did
	Complete bool      // that refresh ended
}

// ErrNewerSchema is what opening a ledger written by a newer fleetkey wraps.
var ErrNewerSchema = errors.New("ledger schema is newer than this fleetkey")

// ErrForeignIDs is what Update returns when fn returns a record of an id it was not asked for.
var ErrForeignIDs = errors.New("update returned a record it was not given")

// onlyIDs returns ErrForeignIDs when st holds a record whose id is not in ids.
func onlyIDs(st State, ids []string) error {
	if len(st.Vehicles) > len(ids) {
		return ErrForeignIDs
	}
	want := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		want[id] = struct{}{}
	}
	for id := range st.Vehicles {
		if _, ok := want[id]; !ok {
			return ErrForeignIDs
		}
	}
	return nil
}
