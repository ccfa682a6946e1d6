package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"

	fastjson "github.com/segmentio/encoding/json"
)

// The lease: a leader renews it every LeaseRenew for LeaseTTL, so when it dies another process takes over within
// LeaseTTL + LeaseRenew (20 s), under the 30 s the on-call is promised.
const (
	LeaseTTL   = 15 * time.Second
	LeaseRenew = 5 * time.Second
)

// FollowEvery is how often a process takes in what the others on its ledger wrote: a console sees another's read
// within this (plus a NOTIFY's or a data_version's delay, both far below it).
const FollowEvery = 500 * time.Millisecond

// Lead takes part in the election of the process that schedules: it asks for the ledger's lease for holder at once
// (so the scheduler never reads automatically before it knows), then every LeaseRenew until ctx ends, and tells the
// scheduler who holds it; at the end it releases the lease so a standby takes over at once. A lease that cannot be
// asked (the ledger is down) counts as held by nobody known: this process reads only on demand until it can.
// It returns once the first answer is in, with a function that waits, after ctx ended, for the release; the renewals
// run in a goroutine.
func (f *Fleet) Lead(ctx context.Context, holder string, clock func() time.Time) (released func()) {
	done := make(chan struct{})
	if f.sched == nil {
		close(done)
		return func() { <-done }
	}
	f.lease(holder, LeaseTTL, clock())
	go func() {
		defer close(done)
		every(ctx, LeaseRenew, func() { f.lease(holder, LeaseTTL, clock()) })
		f.lease(holder, 0, clock())
	}()
	return func() { <-done }
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (f *Fleet) lease(holder string, ttl time.Duration, now time.Time) {
	asked := time.Now() // the ledger dates the lease after this, so it is surely held until asked + ttl
	l, err := f.store.Lease(holder, ttl, now)
	if err != nil || ttl <= 0 {
		f.sched.SetLeader(false, "", time.Time{})
		return
	}
	f.sched.SetLeader(l.Mine, l.Holder, asked.Add(ttl))
}

// Watch tells the scheduler, at once and then every LeaseRenew until ctx ends, who holds the ledger's lease,
// without ever asking for it: for a read-only console, which schedules nothing but says who does.
func (f *Fleet) Watch(ctx context.Context, clock func() time.Time) {
	if f.sched == nil {
		return
	}
	look := func() {
		l, err := f.store.Lease("", 0, clock()) // releases nothing: "" holds no lease
		if err != nil {
			l = ledger.Lease{}
		}
		f.sched.SetLeader(false, l.Holder, time.Time{})
	}
	look()
	go every(ctx, LeaseRenew, look)
}

// Follow takes in, every FollowEvery until ctx ends, the records that any process changed in the ledger: the
// scheduler places those vehicles again and tells the views (the config source tells them itself). A ledger that
// cannot be read is tried again at the next turn.
func (f *Fleet) Follow(ctx context.Context) {
	cursor, err := f.store.Cursor()
	for err != nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(FollowEvery):
		}
		cursor, err = f.store.Cursor()
	}
	every(ctx, FollowEvery, func() {
		if st, next, err := f.store.Since(cursor); err == nil {
			cursor = next
			f.takeIn(st)
		}
	})
}

// takeIn hands records changed elsewhere to the scheduler, or for the config source to the views.
func (f *Fleet) takeIn(st ledger.State) {
	if len(st.Vehicles) == 0 {
		return
	}
	if f.sched != nil {
		f.sched.Refresh(st, time.Now())
		return
	}
	for id, rec := range st.Vehicles {
		if v, ok := f.byID(id); ok {
			f.publish(Change{Entry: f.entry(v, rec)})
		}
	}
}

// keepListing saves the listing in the ledger, so the next start draws it at once, even with Smartcar down.
func (f *Fleet) keepListing(remote []schedule.RemoteVehicle, at time.Time) error {
	return f.keepPage(remote, at, true)
}

// keepPage saves a page of the refresh that began at at; final ends it, dropping the vehicles it did not list.
func (f *Fleet) keepPage(remote []schedule.RemoteVehicle, at time.Time, final bool) error {
	items := make([]ledger.Listed, len(remote))
	for i, r := range remote {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("keep listing: %w", err)
		}
		items[i] = ledger.Listed{ID: r.ID, Data: b}
	}
	return f.store.PutListing(items, at, final)
}

// kept returns the listing the ledger kept, in its order, and when its refresh began.
func (f *Fleet) kept() ([]schedule.RemoteVehicle, time.Time, error) {
	l, err := f.store.Listing()
	if err != nil {
		return nil, time.Time{}, err
	}
	remote := make([]schedule.RemoteVehicle, 0, len(l.Items))
	for _, it := range l.Items {
		var r schedule.RemoteVehicle
		if err := fastjson.Unmarshal(it.Data, &r); err != nil || r.ID != it.ID {
			continue // a damaged entry: the refresh brings it back
		}
		remote = append(remote, r)
	}
	return remote, l.At, nil
}

// ShowKept shows the listing the ledger kept from the last refresh, marked stale until a refresh lands, and returns
// how many vehicles it holds and when it was listed (zero and zero time when none was kept).
func (f *Fleet) ShowKept() (int, time.Time, error) {
	loaded := make(chan leanRecords, 1)
	go func() { loaded <- f.loadLean() }() // on another core while the listing decodes: half the wait at 100 000
	remote, at, err := f.kept()
	recs := <-loaded
	switch {
	case err != nil || len(remote) == 0:
		return 0, time.Time{}, err
	case recs.err != nil:
		return 0, time.Time{}, recs.err
	}
	f.showWith(remote, recs, at, true, nil)
	return len(remote), at, nil
}

// Listed returns how far the shown listing is.
func (f *Fleet) Listed() ListStatus {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.listing
}

// listed tells every view that the vehicles changed as a whole.
func (f *Fleet) listed() {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for ch := range f.listSubs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// listNews registers a channel told of each new listing, until cancel.
func (f *Fleet) listNews() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	if f.listSubs == nil {
		f.listSubs = map[chan struct{}]struct{}{}
	}
	f.listSubs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.listSubs, ch)
		f.mu.Unlock()
	}
}
