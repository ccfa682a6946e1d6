package schedule

import (
	"context"
	"fleetkey/fleet/ledger"
	"fmt"
	"time"
)

// ReadNow reads vehicle id at now, on demand (the `r` key, `fleetkey read`), whatever its badge: through the same
// gate and the same bucket as automatic reads, without jitter, and with its time recorded in the store before the
// request is sent. It returns this read's own values (the kept record, with the last good values, reaches
// subscribers). A read the rules, NotBefore, the bucket or a pause refuse is a *ledger.NotAllowedError whose Next says
// when to try again (its Stopped says why reads of the vehicle are stopped, if they are); a refused credential wraps
// ErrCredentials. Nothing is sent then.
//
// The API's Prepare runs before the time is recorded; when it fails nothing is recorded or sent. A refused
// credential or an unreachable API does not refuse ReadNow: its Prepare is the retry. An answer the store failed to
// save is returned with the store's error (the vehicle is held until it is saved).
func (s *Scheduler) ReadNow(ctx context.Context, id string, now time.Time) (ledger.Reading, error) {
	began := time.Now()
	j, err := s.reserve(id, now)
	if err != nil {
		return ledger.Reading{}, err
	}
	if err := s.prepare(ctx, []*job{j}, now); err != nil {
		return ledger.Reading{}, fmt.Errorf("read %s: %w", id, err)
	}
	s.mu.Lock()
	s.untroubled()
	s.mu.Unlock()
	if s.begin([]*job{j}, now); !j.granted {
		return ledger.Reading{}, j.refusal
	}
	j.began = began
	return s.send(ctx, j, now)
}

// reserve checks what the scheduler knows (its record copy, the pause, the bucket) and takes a token and the entry
// for a manual read; the store has the final word in begin.
func (s *Scheduler) reserve(id string, now time.Time) (*job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[id]
	switch {
	case e == nil:
		return nil, fmt.Errorf("read %s: no such vehicle among the scheduler's targets", id)
	case len(e.pending) > 0:
		return nil, fmt.Errorf("read %s: its last answer is not saved yet (%w): no read until it is", id, s.lastErr)
	case s.pausedUntil.After(now):
		return nil, &ledger.NotAllowedError{ID: id, Next: s.pausedUntil}
	}
	rec := e.rec
	if e.at == busy { // a read is starting or in flight: its time may not be in e.rec yet
		rec.ReservedAt = later(rec.ReservedAt, e.started.Add(sendWindow))
	}
	if err := s.refusal(e.t, rec, now); err != nil {
		return nil, err
	}
	if e.at == busy { // only with an interval of zero
		return nil, &ledger.NotAllowedError{ID: id, Next: now}
	}
	if !s.bucket.take(now) {
		return nil, &ledger.NotAllowedError{ID: id, Next: s.bucket.nextToken(now)}
	}
	s.unplace(e)
	return s.hold(e, now), nil
}

// Run is the scheduler's loop: Step at clock(), then wait until the time Step returned, a Kick, new targets or a
// read ending, until ctx ends. Reads in flight get ctx too; Run returns ctx's error once they have ended and been
// recorded.
func (s *Scheduler) Run(ctx context.Context, clock func() time.Time) error {
	defer s.wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Stop()
		next := s.Step(ctx, clock())
		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(next.Sub(clock()))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wakeC:
		case <-fire:
		}
	}
}
