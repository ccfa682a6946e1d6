package schedule

import (
	"context"
	"fleetkey/fleet/ledger"
	"fmt"
	"time"
)

// The backoff of the retries of a refused credential or an unreachable API: each try costs no read budget (it is
// a Prepare, or reads that never leave), so it may come back often.
const (
	troubleFirst = 15 * time.Second
	troubleMax   = 5 * time.Minute
)

// troubleBackoff is the wait after the n-th consecutive refused or unreachable try: 15s doubling, at most 5m.
func troubleBackoff(n int) time.Duration {
	return min(troubleFirst<<min(max(n-1, 0), 6), troubleMax)
}

// health returns the scheduler's trouble as a whole. The caller holds s.mu.
func (s *Scheduler) health() Health {
	h := Health{CredentialsRefused: s.credRefused, Unreachable: s.unreachable, Unsaved: len(s.unsaved)}
	if h.CredentialsRefused || h.Unreachable {
		h.RetryAt = s.retryAt
	}
	if h != (Health{}) {
		h.Err = s.lastErr
	}
	h.Leader, h.Following = s.leader, s.following
	return h
}

// troubled stops every request for err, a refused credential or an API that could not be reached, until the next
// try on the backoff (Kick tries at once). The caller holds s.mu.
func (s *Scheduler) troubled(err error, at time.Time) {
	s.troubles++
	s.retryAt = at.Add(troubleBackoff(s.troubles))
	s.credRefused = judge(err) == credentials
	s.unreachable = !s.credRefused
	s.lastErr = err
	s.seq++
}

// untroubled ends the trouble after a Prepare that worked. The backoff's count stays until an answer comes.
// The caller holds s.mu.
func (s *Scheduler) untroubled() {
	if s.credRefused || s.unreachable {
		s.credRefused, s.unreachable, s.lastErr = false, false, nil
		s.seq++
	}
}

// probe tries the credential and the connection again when their retry is due: one Prepare, which spends no read.
func (s *Scheduler) probe(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := (s.credRefused || s.unreachable) && !s.retryAt.After(now)
	s.mu.Unlock()
	if !due {
		return
	}
	err := s.api.Prepare(ctx)
	s.mu.Lock()
	if err != nil {
		s.troubled(err, now)
	} else {
		s.untroubled()
	}
	s.mu.Unlock()
}

// prepare runs the API's Prepare for jobs taken at now, before their time is recorded. When it fails nothing is
// recorded or sent: the jobs give their tokens back and every request waits for the next try.
func (s *Scheduler) prepare(ctx context.Context, jobs []*job, now time.Time) error {
	err := s.api.Prepare(ctx)
	if err == nil {
		return nil
	}
	s.mu.Lock()
	for _, j := range jobs {
		s.bucket.give()
		s.release(j.e, now)
	}
	s.troubled(err, now)
	news, _ := s.stateNews()
	s.mu.Unlock()
	s.publish(news)
	return fmt.Errorf("prepare reads: %w", err)
}

// keep holds an outcome the store failed to save: applied to the scheduler's copy of the record, queued to be
// saved, and the vehicle held from reads until it is. The caller holds s.mu.
func (s *Scheduler) keep(e *entry, o outcome, at time.Time) {
	e.rec = o.apply(e.rec)
	e.pending = append(e.pending, o)
	s.unsaved[e.t.ID] = e
	if s.saveAt.IsZero() || s.saveAt.Before(at) {
		s.saveAt = at.Add(storeRetry)
	}
	s.seq++
}

// flush saves the held outcomes when their retry is due, in one Update, and schedules their vehicles again.
func (s *Scheduler) flush(now time.Time) {
	s.mu.Lock()
	if len(s.unsaved) == 0 || s.saveAt.After(now) {
		s.mu.Unlock()
		return
	}
	held := make(map[string][]outcome, len(s.unsaved))
	for id, e := range s.unsaved {
		held[id] = e.pending
	}
	s.mu.Unlock()
	ids, last := make([]string, 0, len(held)), time.Time{}
	for id, os := range held {
		ids = append(ids, id)
		last = later(last, os[len(os)-1].at)
	}
	st, err := s.store.Update(ids, last, func(st ledger.State, at time.Time) ledger.State {
		out := ledger.State{Vehicles: make(map[string]ledger.Record, len(held))}
		for id, os := range held {
			rec := st.Vehicles[id]
			for _, o := range os {
				rec = o.dated(at).apply(rec)
			}
			out.Vehicles[id] = rec
		}
		return out
	})
	s.mu.Lock()
	var updates []Update
	if err != nil {
		s.saveAt, s.lastErr = now.Add(storeRetry), fmt.Errorf("save held answers: %w", err)
	} else {
		updates = s.saved(held, st, now)
	}
	s.seq++
	news, _ := s.stateNews()
	s.mu.Unlock()
	for _, u := range updates {
		s.publish(u)
	}
	s.publish(news)
}

// saved ends the hold of the vehicles whose outcomes were saved into st and returns their news. The caller holds
// s.mu.
func (s *Scheduler) saved(held map[string][]outcome, st ledger.State, now time.Time) []Update {
	var updates []Update
	defer func() {
		for i := range updates {
			updates[i].Health = s.health()
		}
	}()
	for id, os := range held {
		e := s.unsaved[id]
		if e == nil {
			continue
		}
		full := st.Vehicles[id]
		e.rec = lean(full)
		if e.pending = e.pending[len(os):]; len(e.pending) > 0 {
			continue // more were held meanwhile: saved by the next flush
		}
		e.pending = nil
		delete(s.unsaved, id)
		s.schedule(e, now)
		updates = append(updates, Update{ID: id, Record: full, BucketLimited: s.limited, PausedUntil: s.pausedUntil})
	}
	if len(s.unsaved) == 0 {
		s.saveAt, s.lastErr = time.Time{}, nil
	}
	return updates
}
