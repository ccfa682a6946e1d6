// Package schedule decides which vehicle is read when: one scheduler per process reads each target as soon as the
// ledger's gate allows (plus jitter), records every read in the ledger before it is sent, stays inside the API's
// app-wide request bucket, backs off on failures and Retry-After holds, holds answers it could not save, and tells
// subscribers what changed. It defines the API it calls (Prepare and Read) and the errors an adapter wraps. It does not
// know the config, the Smartcar client or the views: package fleet joins them.
package schedule

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// The defaults of a Config; the bucket's are DefaultBucketSize and DefaultRefillPerMinute.
const (
	DefaultConcurrency = 4                // reads in flight at most
	DefaultJitter      = 20 * time.Second // the most an automatic read waits after its gate opens
)

// Config configures a Scheduler. A zero field takes its default.
type Config struct {
	// Intervals are the rules' intervals; zero means policy.DefaultIntervals().
	Intervals policy.Intervals
	// Auto holds the badges read automatically as soon as allowed ([read] auto). Others are read by ReadNow only.
	Auto map[policy.Badge]bool
	// BucketSize and RefillPerMinute describe the API's application-wide token bucket (default 120 and 2).
	BucketSize      int
	RefillPerMinute float64
	// Concurrency bounds the reads in flight (default 4).
	Concurrency int
	// Jitter is the most an automatic read waits, at random, after its gate opens (default 20s; negative for none),
	// so vehicles that become ready together do not burst.
	Jitter time.Duration
	// Rand draws the jitter; seed it in tests. Nil means a randomly seeded one.
	Rand *rand.Rand
	// Inline runs the reads that Step starts synchronously, inside Step, and dates their outcomes at Step's now:
	// time moves only when the caller says, for simulations. Otherwise each read runs in its own goroutine and its
	// outcome is dated now plus the read's real duration.
	Inline bool
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Intervals == (policy.Intervals{}) {
		c.Intervals = policy.DefaultIntervals()
	}
	if c.BucketSize <= 0 {
		c.BucketSize = DefaultBucketSize
	}
	if !(c.RefillPerMinute > 0) {
		c.RefillPerMinute = DefaultRefillPerMinute
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}

// Target is one vehicle the scheduler may read: its id in the ledger, its configured facts (the key status learned
// into the ledger fills a key the config leaves unknown), a last read known from elsewhere (the config's
// last_read_at; zero when none), and how to reach it through the API.
type Target struct {
	ID         string
	Facts      policy.Facts
	LastReadAt time.Time
	Remote     RemoteVehicle
}

// Update is what the scheduler tells its subscribers: a vehicle's record changed (a read started, ended, or was
// refused because another console read first), or, with ID "", the scheduler's own state changed.
type Update struct {
	// ID is the vehicle's id; "" for an update of the scheduler as a whole.
	ID string
	// Record is the vehicle's record as stored (zero for ID "").
	Record ledger.Record
	// Err is the read's error, or for ID "" the scheduler-wide one (errors.Is ErrCredentials: the credential is
	// refused and nothing is read until SetTargets or Kick); nil when none.
	Err error
	// BucketLimited is true when vehicles that the rules allow wait for a token of the app-wide bucket.
	BucketLimited bool
	// PausedUntil is when requests resume after an app-wide 429 or a failing state store; zero or past when they
	// are not paused.
	PausedUntil time.Time
	// Unsaved says the vehicle's answer is kept in memory only, because the store failed to save it: the vehicle is
	// held from reads until it is saved.
	Unsaved bool
	// Health is the scheduler's trouble as a whole at the time of the update.
	Health Health
}

// Status is a snapshot of the scheduler, for the UI's status line.
type Status struct {
	Vehicles           int       // targets
	Tokens             float64   // tokens left in the scheduler's copy of the app-wide bucket
	BucketSize         int       // its size
	NextToken          time.Time // when a token is there: now when one is
	BucketLimited      bool      // allowed vehicles wait for a token
	PausedUntil        time.Time // zero when not paused
	CredentialsRefused bool      // nothing is read until the credential is accepted again (see Health)
	Health             Health    // what stops or holds reads as a whole
	Err                error     // the last scheduler-wide error; nil when none
	InFlight           int       // reads sent and not answered
	Ready              int       // vehicles allowed now, waiting for a token or a free slot
}

// Scheduler is the one read scheduler of a process. It reads the targets whose badge is in Auto as soon as the
// rules allow, never sends a read the state does not record first, stays inside the app-wide bucket, and tells
// subscribers what changed. ReadNow reads one vehicle on demand through the same gate and bucket.
//
// Vehicles wait in a heap by the time their gate opens (plus jitter); those whose gate is open wait in a second heap,
// oldest last read first, for a token and a free slot. So a Step costs O((k + m) log n) for k reads started and m
// gates opened, never a scan of the fleet; the only O(n) call is SetTargets.
// All methods are safe for concurrent use.
type Scheduler struct {
	cfg   Config
	store ledger.Ledger
	api   API
	wakeC chan struct{} // Run's wake-up: a target set, a kick, a read done
	wg    sync.WaitGroup

	subMu sync.Mutex
	subs  map[*subscriber]struct{}
	nsubs atomic.Int32 // len(subs), read without subMu so that publishing to nobody costs nothing

	mu          sync.Mutex
	entries     map[string]*entry
	fresh       []*entry  // entries to schedule at the next Step, which knows the time
	waiting     entryHeap // gate not open yet, by due time
	ready       entryHeap // gate open, by last read: the oldest data goes first
	bucket      bucket
	inflight    int
	limited     bool              // ready vehicles wait for a token
	pausedUntil time.Time         // no request before this
	appFailures int               // consecutive app-wide 429s, for the pause's backoff
	credRefused bool              // the credential is refused: nothing is sent until a Prepare succeeds
	unreachable bool              // the API could not be reached: nothing is sent until retryAt
	troubles    int               // consecutive refusals or unreachable tries, for the retry's backoff
	retryAt     time.Time         // when Step tries Prepare again while credRefused or unreachable
	unsaved     map[string]*entry // entries whose answers the store failed to save, held until saved
	saveAt      time.Time         // when Step tries to save them again
	lastErr     error             // the last scheduler-wide error
	steps       uint64            // Steps so far; entry.step is the one that last started the entry
	seq         uint64            // counts changes of pausedUntil, credRefused and lastErr
	toldSeq     uint64            // seq and limited as last published
	following   bool              // another process holds the ledger's lease: no automatic reads here
	leader      string            // who holds it ("" when nobody does)
	leaseValid  time.Time         // the real time until which this process's lease is surely held; zero: no limit
	toldLimited bool
}

// New returns a scheduler that records reads in store and sends them to api. It has no targets until
// SetTargets and reads nothing until Step, Run or ReadNow.
func New(cfg Config, store ledger.Ledger, api API) *Scheduler {
	cfg = cfg.withDefaults()
	return &Scheduler{
		cfg: cfg, store: store, api: api,
		wakeC:   make(chan struct{}, 1),
		subs:    map[*subscriber]struct{}{},
		entries: map[string]*entry{},
		unsaved: map[string]*entry{},
		waiting: entryHeap{less: dueFirst},
		ready:   entryHeap{less: oldestFirst},
		bucket:  newBucket(cfg.BucketSize, cfg.RefillPerMinute),
	}
}

// SetTargets replaces the vehicles the scheduler may read, loading their records from the store; a vehicle that
// is no longer a target is no longer read (a read in flight still ends and is recorded). A refused credential is
// tried again at the next Step. Vehicles are scheduled at the next Step. A store that cannot be loaded is reported
// as the scheduler's error; every read still re-checks the gate against the store before it is sent.
func (s *Scheduler) SetTargets(ts []Target) {
	st, err := s.store.Lean()
	s.setTargets(ts, st, err)
}

// SetTargetsFrom is SetTargets for a caller that has just loaded the ledger's records (st): they are not loaded again.
func (s *Scheduler) SetTargetsFrom(ts []Target, st ledger.State) { s.setTargets(ts, st, nil) }

// setTargets is SetTargets with the records st, or the error loading them.
func (s *Scheduler) setTargets(ts []Target, st ledger.State, err error) {
	s.mu.Lock()
	s.retryAt = time.Time{}
	if err != nil {
		s.lastErr = err
	}
	s.seq++
	next := make(map[string]*entry, len(ts))
	for _, t := range ts {
		id := t.ID
		if id == "" {
			continue
		}
		e := s.entries[id]
		if e == nil {
			e = &entry{index: -1}
		}
		s.unplace(e) // its keys change: it is placed again at the next Step
		e.t = &t     // a copy of its own, never changed: jobs hold it while SetTargets replaces e.t
		e.rec = lean(e.rec.Merge(st.Vehicles[id]))
		next[id] = e
		s.fresh = append(s.fresh, e)
	}
	for id, e := range s.entries {
		if next[id] == nil {
			s.unplace(e)
			e.removed = true
		}
	}
	s.entries = next
	s.mu.Unlock()
	s.publishState()
	s.wake()
}

// Kick wakes Run and makes the next Step try at once what waits on a backoff: a refused credential, an unreachable
// API, answers not saved (the user says it is fixed).
func (s *Scheduler) Kick() {
	s.mu.Lock()
	s.retryAt, s.saveAt = time.Time{}, time.Time{}
	s.mu.Unlock()
	s.wake()
}

// Wait waits until every read started by Step has ended and been recorded.
func (s *Scheduler) Wait() { s.wg.Wait() }

// Status returns a snapshot of the scheduler at now.
func (s *Scheduler) Status(now time.Time) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Vehicles: len(s.entries), Tokens: s.bucket.tokens(now), BucketSize: s.bucket.size,
		NextToken: s.bucket.nextToken(now), BucketLimited: s.limited, CredentialsRefused: s.credRefused,
		Health: s.health(), Err: s.lastErr, InFlight: s.inflight, Ready: s.ready.Len(),
	}
	if s.pausedUntil.After(now) {
		st.PausedUntil = s.pausedUntil
	}
	return st
}

// wake wakes Run without blocking.
func (s *Scheduler) wake() {
	select {
	case s.wakeC <- struct{}{}:
	default:
	}
}

// jitter draws an automatic read's delay. The caller holds s.mu (a rand.Rand is not safe for concurrent use).
func (s *Scheduler) jitter() time.Duration {
	if s.cfg.Jitter <= 0 {
		return 0
	}
	return time.Duration(s.cfg.Rand.Int64N(int64(s.cfg.Jitter) + 1))
}

// Spend counts n requests that were sent to the API outside the scheduler (listing the vehicles) against its copy
// of the app-wide bucket, so the reads that follow stay inside the real one.
func (s *Scheduler) Spend(now time.Time, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.bucket.spend(now)
	}
}

// Health is what stops or holds a live fleet's reads as a whole, beyond one vehicle.
type Health struct {
	// CredentialsRefused: the API refused the application credential; no read is sent until it is accepted again.
	CredentialsRefused bool
	// Unreachable: the API could not be reached (nothing was sent); reads wait for RetryAt.
	Unreachable bool
	// RetryAt is when the credential or the connection is tried again by itself (Retry tries at once).
	RetryAt time.Time
	// Unsaved counts answers that the state store failed to save; those vehicles are held until they are saved.
	Unsaved int
	// Err is the error behind the trouble; nil when there is none.
	Err error
	// Leader is who holds the ledger's scheduler lease ("host pid N"), "" when nobody is known to; Following says
	// it is another process, so this one reads only on demand.
	Leader    string
	Following bool
}
