package fleet

import (
	"context"
	"errors"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fmt"
	"time"
)

// userLister is an API that can list the vehicles of one user without spending any read (Smartcar's
// GET /connections?filter[userId]=…).
type userLister interface {
	VehiclesOf(ctx context.Context, userID string) ([]schedule.RemoteVehicle, error)
}

// ErrNoLiveSource is returned by onboarding on a fleet that does not come from a data API.
var ErrNoLiveSource = errors.New(`adding vehicles needs the live source: set [fleet] source = "smartcar"`)

// AddUser lists the vehicles a user has just connected and adds those the fleet does not have yet, returning them.
// keyURL, when not empty, is the virtual_key_url Connect returned; it becomes the new vehicles' install URL unless
// the config gives one. New vehicles wait out of the scheduler's reach until Confirm or Release: a keyless vehicle
// gets one read in 8 hours, so its first read is spent only when it can tell something.
func (f *Fleet) AddUser(ctx context.Context, userID, keyURL string, now time.Time) ([]Entry, error) {
	lister, ok := f.api.(userLister)
	if !ok || f.sched == nil {
		return nil, ErrNoLiveSource
	}
	remote, err := lister.VehiclesOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list the vehicles of the new user: %w", err)
	}
	f.sched.Spend(now, 1)
	ids := make([]string, len(remote))
	for i, r := range remote {
		ids[i] = r.ID
	}
	st, err := f.store.Get(ids)
	if err != nil {
		return nil, err
	}
	added := f.addRemote(remote, keyURL, st)
	f.retarget()
	if len(added) > 0 {
		f.listed() // every other console (serve's sessions) shows the new vehicles at once
	}
	out := make([]Entry, len(added))
	for i, v := range added {
		out[i] = f.entry(v, st.Vehicles[v.ID])
	}
	return out, nil
}

// addRemote adds the listed vehicles the fleet lacks, held pending; it returns them.
func (f *Fleet) addRemote(remote []schedule.RemoteVehicle, keyURL string, st ledger.State) []Vehicle {
	f.mu.Lock()
	defer f.mu.Unlock()
	var added []Vehicle
	for _, r := range remote {
		if _, known := f.index[r.ID]; known {
			continue
		}
		v := f.overlay(r, st.Vehicles[r.ID])
		if v.VirtualKeyURL == "" {
			v.VirtualKeyURL = keyURL
		}
		f.index[r.ID] = len(f.vehicles)
		f.vehicles = append(f.vehicles, v)
		f.remote[r.ID] = r
		f.pending[r.ID] = true
		added = append(added, v)
	}
	if len(added) > 0 {
		f.shown = nil // the entries the last listing made lack the new vehicles
	}
	return added
}

// Confirm is the operator's word that the owner has installed the key: the vehicle joins the scheduler and is read
// once, now, through the gate. It returns the entry after the read, with the badge the read taught.
func (f *Fleet) Confirm(ctx context.Context, id string, now time.Time) (Entry, error) {
	f.Release(id)
	entries, err := f.Read(ctx, id, now)
	for _, e := range entries {
		if e.ID == id {
			return e, err
		}
	}
	return Entry{}, errors.Join(err, fmt.Errorf("vehicle %s is not in the fleet", id))
}

// Release lets the scheduler read a new vehicle by the rules, without a read now (the operator skipped it).
func (f *Fleet) Release(id string) {
	f.mu.Lock()
	delete(f.pending, id)
	f.mu.Unlock()
	f.retarget()
}

// retarget hands the scheduler every vehicle but those waiting for the operator.
func (f *Fleet) retarget() { f.retargetFrom(nil) }

// retargetFrom is retarget with the ledger's records st just loaded by the caller, when not nil.
func (f *Fleet) retargetFrom(st *ledger.State) {
	if f.sched == nil {
		return
	}
	f.mu.RLock()
	ts := make([]schedule.Target, 0, len(f.vehicles))
	for _, v := range f.vehicles {
		if !f.pending[v.ID] {
			ts = append(ts, schedule.Target{ID: v.ID, Facts: v.Facts(), LastReadAt: v.LastReadAt, Remote: f.remote[v.ID]})
		}
	}
	f.mu.RUnlock()
	if st != nil {
		f.sched.SetTargetsFrom(ts, *st)
		return
	}
	f.sched.SetTargets(ts)
}
