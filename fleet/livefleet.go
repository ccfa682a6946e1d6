package fleet

import (
	"context"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// NewLive returns a fleet whose vehicles a data API lists, overlaid with cfg's [[vehicle]] entries, read by sched.
// It has no vehicles until Refresh.
func NewLive(cfg config.Config, store ledger.Ledger, api API, sched *schedule.Scheduler) *Fleet {
	return &Fleet{cfg: cfg, store: store, api: api, sched: sched, remote: map[string]schedule.RemoteVehicle{},
		pending: map[string]bool{}, index: map[string]int{}}
}

// listCoster is an API whose listing of n vehicles costs more than one request of the app-wide bucket.
type listCoster interface{ ListRequests(n int) int }

// Refresh lists the connected vehicles at now (no vehicle's read budget is spent, but the listing's requests count
// against the app-wide bucket), overlays the config's entries, and hands them to the scheduler.
func (f *Fleet) Refresh(ctx context.Context, now time.Time) error {
	if f.api == nil {
		return nil
	}
	if pa, ok := f.api.(pagedAPI); ok {
		return f.refreshPaged(ctx, newResumable(pa.Pages(), now), false)
	}
	remote, err := f.api.Vehicles(ctx)
	if err != nil {
		return fmt.Errorf("list vehicles: %w", err)
	}
	requests := 1
	if lc, ok := f.api.(listCoster); ok {
		requests = lc.ListRequests(len(remote))
	}
	f.sched.Spend(now, requests)
	if err := f.keepListing(remote, now); err != nil {
		return err
	}
	return f.show(remote, now, false, nil)
}

// show makes the listed vehicles the fleet's, overlaid with the config's entries and the records' VINs, hands them
// to the scheduler and tells the views. stale says the listing is (partly) the ledger's kept one; why, when not
// nil, is what stopped the refresh or left it unsure.
func (f *Fleet) show(remote []schedule.RemoteVehicle, at time.Time, stale bool, why error) error {
	recs := f.loadLean()
	if recs.err != nil {
		return recs.err
	}
	f.showWith(remote, recs, at, stale, why)
	return nil
}

// leanRecords are every record of the ledger, lean, as of cursor.
type leanRecords struct {
	st     ledger.State
	cursor uint64
	err    error
}

// loadLean loads every record, lean.
func (f *Fleet) loadLean() leanRecords {
	cursor, err := f.store.Cursor() // before the load: the state holds at least every change up to it
	if err != nil {
		return leanRecords{err: err}
	}
	st, err := f.store.Lean()
	return leanRecords{st: st, cursor: cursor, err: err}
}

// showWith is show with the records already loaded.
func (f *Fleet) showWith(remote []schedule.RemoteVehicle, recs leanRecords, at time.Time, stale bool, why error) {
	st := recs.st
	vs := make([]Vehicle, len(remote))
	byID := make(map[string]schedule.RemoteVehicle, len(remote))
	for i, r := range remote {
		vs[i] = f.overlay(r, st.Vehicles[r.ID])
		byID[r.ID] = r
	}
	f.setVehicles(vs)
	f.mu.Lock()
	f.remote, f.listing.At, f.listing.Stale, f.listing.Err = byID, at, stale, why
	if !stale {
		f.listing.Got, f.listing.Total = 0, 0
	}
	f.mu.Unlock()
	// The scheduler takes the records just loaded (a second load of the whole ledger costs a second at 100 000),
	// on another core while the rows of the next Entries are made of them.
	var wg sync.WaitGroup
	wg.Go(func() { f.retargetFrom(&st) })
	entries := f.entries(st)
	wg.Wait()
	f.mu.Lock()
	f.shown = &shownState{entries: entries, cursor: recs.cursor}
	f.mu.Unlock()
	f.listed()
}

// overlay makes the vehicle of a listed one: the API's facts, the VIN learned by reads, and what the config's entry
// for it (matched by id, else by VIN) pins: a name, the key status, asleep, a key URL, a last read known elsewhere.
func (f *Fleet) overlay(r schedule.RemoteVehicle, rec ledger.Record) Vehicle {
	v := Vehicle{ID: r.ID, Make: r.Make, Model: r.Model, Year: r.Year, VIN: rec.VIN,
		Name: r.Make + " " + r.Model + " " + strconv.Itoa(r.Year) + " · " + shortID(r.ID)}
	if len(f.cfg.Vehicles) == 0 {
		return v // nothing to overlay: the common case of a large live fleet, 100 000 times at start-up
	}
	o, pinned, ok := f.cfg.Overlay(r.ID, rec.VIN)
	if !ok {
		return v
	}
	if pinned.Name {
		v.Name = o.Name
	}
	if o.VIN != "" {
		v.VIN = o.VIN
	}
	if pinned.Key {
		v.Key = o.Key
	}
	if pinned.Asleep {
		v.Asleep = o.Asleep
	}
	v.VirtualKeyURL, v.LastReadAt = o.VirtualKeyURL, o.LastReadAt
	return v
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Changes feeds the views with the fleet's news until ctx ends: each vehicle's entry after a read, and, with a
// scheduler, its scheduler-wide state (bucket-limited, paused, credential refused) with an empty Entry. With the
// config source the news is the reads made through Read, so every console of one process sees them.
func (f *Fleet) Changes(ctx context.Context) <-chan Change {
	if f.sched == nil {
		return f.subscribeLocal(ctx)
	}
	updates, cancel := f.sched.Subscribe()
	lists, unlist := f.listNews()
	out := make(chan Change)
	go func() {
		defer close(out)
		defer cancel()
		defer unlist()
		for {
			var c Change
			select {
			case <-ctx.Done():
				return
			case <-lists:
				c = f.listChange()
			case u, ok := <-updates:
				if !ok {
					return
				}
				c = f.changeOf(u)
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// listChange is the news of a new listing: every entry, or the error loading them.
func (f *Fleet) listChange() Change {
	entries, err := f.Entries()
	if err != nil {
		return Change{Err: fmt.Errorf("load the ledger: %w", err)}
	}
	if entries == nil {
		entries = []Entry{}
	}
	l := f.Listed()
	return Change{Entries: entries, Listing: l, Err: l.Err}
}

func (f *Fleet) changeOf(u schedule.Update) Change {
	c := Change{Err: u.Err, BucketLimited: u.BucketLimited, PausedUntil: u.PausedUntil, Unsaved: u.Unsaved,
		Health: u.Health}
	if v, ok := f.byID(u.ID); ok {
		if v.VIN == "" && u.Record.VIN != "" {
			v = f.relearn(u.ID, u.Record)
		}
		c.Entry = f.entry(v, u.Record)
	}
	return c
}

// relearn overlays a vehicle again once a read has told its VIN, so a config entry matched by VIN (its name) applies
// at once rather than at the next listing.
func (f *Fleet) relearn(id string, rec ledger.Record) Vehicle {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.index[id]
	f.vehicles[i] = f.overlay(f.remote[id], rec)
	return f.vehicles[i]
}

func (f *Fleet) byID(id string) (Vehicle, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i, ok := f.index[id]
	if !ok {
		return Vehicle{}, false
	}
	return f.vehicles[i], true
}

func (f *Fleet) setVehicles(vs []Vehicle) {
	index := make(map[string]int, len(vs))
	for i, v := range vs {
		index[v.ID] = i
	}
	f.mu.Lock()
	f.vehicles, f.index = vs, index
	f.mu.Unlock()
}

// localFeedSize bounds the news queued for one subscriber of the config source; a subscriber that falls this far
// behind misses news rather than holding up a read.
const localFeedSize = 256

// subscribeLocal is Changes for the config source: Read publishes each read to every subscriber.
func (f *Fleet) subscribeLocal(ctx context.Context) <-chan Change {
	ch := make(chan Change, localFeedSize)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan Change]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
		close(ch)
	}()
	return ch
}

// publish tells every local subscriber of a change, never waiting for one.
func (f *Fleet) publish(c Change) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for ch := range f.subs {
		select {
		case ch <- c:
		default:
		}
	}
}
