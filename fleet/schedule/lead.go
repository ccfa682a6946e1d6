package schedule

import (
	"time"

	"fleetkey/fleet/ledger"
)

// SetLeader says who holds the ledger's scheduler lease: this process (leading), or holder, another one, whose
// scheduler reads automatically while this one reads only on demand (ReadNow), through the same gate. holder is ""
// when nobody is known to hold it. Subscribers hear of a change. A leader reads automatically only until valid, a
// real (monotonic) time; zero means no limit.
func (s *Scheduler) SetLeader(leading bool, holder string, valid time.Time) {
	s.mu.Lock()
	changed := s.following == leading || s.leader != holder
	s.following, s.leader, s.leaseValid = !leading, holder, valid
	if changed {
		s.seq++
	}
	s.mu.Unlock()
	if changed {
		s.publishState()
		s.wake()
	}
}

// leading reports whether this process may read automatically: it holds the lease, and by the real clock the lease
// is still valid (a process frozen past it, or whose renewal hangs, must not go on as if it led). The caller holds
// s.mu.
func (s *Scheduler) leading() bool {
	return !s.following && (s.leaseValid.IsZero() || time.Now().Before(s.leaseValid))
}

// Refresh takes in records that another process wrote to the shared ledger (see ledger.Ledger.Since): each
// target's copy is merged with its record and placed again, and subscribers hear of it. Records of vehicles that are
// not targets are ignored.
func (s *Scheduler) Refresh(st ledger.State, now time.Time) {
	var updates []Update
	s.mu.Lock()
	for id, rec := range st.Vehicles {
		e := s.entries[id]
		if e == nil {
			continue
		}
		full := e.rec.Merge(rec)
		if full.Reading == nil {
			full.Reading = rec.Reading // the copy here is lean: the ledger's values are the kept ones
		}
		e.rec = lean(full)
		s.schedule(e, now)
		if s.nsubs.Load() > 0 {
			updates = append(updates, Update{ID: id, Record: full, BucketLimited: s.limited,
				PausedUntil: s.pausedUntil, Unsaved: len(e.pending) > 0})
		}
	}
	h := s.health()
	s.mu.Unlock()
	for _, u := range updates {
		u.Health = h
		s.publish(u)
	}
	if len(st.Vehicles) > 0 {
		s.wake()
	}
}

// Take takes a token of the app-wide bucket at now for a request sent outside the scheduler (a page of the
// listing); when there is none it returns false and when the next one comes.
func (s *Scheduler) Take(now time.Time) (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bucket.take(now) {
		return true, now
	}
	return false, s.bucket.nextToken(now)
}
