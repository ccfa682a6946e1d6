package schedule

import (
	"container/heap"
	"context"
	"errors"
	"fleetkey/fleet/ledger"
	"fmt"
	"time"
)

// storeRetry is how long every request waits after the state store failed to record a read, and how long until
// answers it failed to save are tried again.
const storeRetry = time.Minute

// sendWindow is how long after its grant a read may still start sending. The grant records the read at its time
// plus sendWindow, and a read with no connection by then is abandoned unsent, so the recorded time is never earlier
// than the real send, even when the process dies before the answer.
const sendWindow = 30 * time.Second

// refusedRetry is the shortest wait after the ledger refused a read the scheduler's copy allowed (another process
// read it first, or the ledger's clock is behind ours), so a disagreement never turns into a busy loop.
const refusedRetry = time.Second

// job is one read being started: its entry, and its target as it was under s.mu (SetTargets may replace the
// entry's meanwhile).
type job struct {
	e       *entry
	t       *Target
	granted bool          // the gate, re-checked against the store, let it through, and its time is recorded
	refusal error         // why not, when not
	wait    time.Duration // when refused: how long until the ledger's gate opens, by the ledger's clock
	spread  float64       // drawn for the outcome's backoff: in [-1, 1)
	began   time.Time     // the real (monotonic) time at which the Step or ReadNow that took it began
}

// id returns the vehicle's id.
func (j *job) id() string { return j.t.ID }

// Step does, at now, everything due: it starts the reads that the rules, NotBefore, the bucket and the concurrency
// allow (auto badges only), oldest last read first, and returns when it next has something to do: the next gate
// to open, the next token when vehicles wait for one, the end of a pause. It returns the zero time when only an
// outside event can give it work (new targets, a Kick, a read in flight ending, a refused credential lifted).
// Reads run in goroutines, or inside Step with cfg.Inline.
func (s *Scheduler) Step(ctx context.Context, now time.Time) time.Time {
	began := time.Now()
	s.probe(ctx, now)
	s.flush(now)
	for first := true; ; first = false {
		jobs := s.takeBatch(now, first)
		if len(jobs) == 0 || s.prepare(ctx, jobs, now) != nil {
			break
		}
		for _, j := range s.begin(jobs, now) {
			j.began = began
			if j.granted {
				s.launch(ctx, j, now)
			}
		}
	}
	s.mu.Lock()
	s.limited = !s.paused(now) && s.leading() && s.ready.Len() > 0 && s.inflight < s.cfg.Concurrency
	next := s.next(now)
	news, changed := s.stateNews()
	s.mu.Unlock()
	if changed {
		s.publish(news)
	}
	return next
}

// takeBatch opens the gates due at now and takes, oldest last read first, as many ready entries as there are free
// slots and tokens, marking them busy. The first batch of a Step starts the Step.
func (s *Scheduler) takeBatch(now time.Time, first bool) []*job {
	s.mu.Lock()
	defer s.mu.Unlock()
	if first {
		s.steps++
	}
	s.promote(now)
	if s.paused(now) || !s.leading() {
		return nil
	}
	var jobs []*job
	for s.inflight < s.cfg.Concurrency && s.ready.Len() > 0 && s.bucket.take(now) {
		jobs = append(jobs, s.hold(heap.Pop(&s.ready).(*entry), now))
	}
	return jobs
}

// hold marks e busy for a read starting at now and returns its job. The caller holds s.mu and a token.
func (s *Scheduler) hold(e *entry, now time.Time) *job {
	e.at = busy
	e.step, e.started = s.steps, now
	s.inflight++
	return &job{e: e, t: e.t, spread: s.cfg.Rand.Float64()*2 - 1}
}

// release ends e's busy time and places it again by its record. The caller holds s.mu.
func (s *Scheduler) release(e *entry, now time.Time) {
	s.inflight--
	e.at = idle
	s.schedule(e, now)
}

// begin records the read time of every job in one Update of the store, after re-checking each gate against the
// stored record: a read is sent only once its time is on disk, so a crash after sending cannot allow a second one.
// Jobs the store refuses (another console read first, reads stopped) or cannot record give their token back.
func (s *Scheduler) begin(jobs []*job, now time.Time) []*job {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.id()
	}
	st, err := s.store.Update(ids, now, func(st ledger.State, at time.Time) ledger.State { return s.grant(st, jobs, at) })
	s.mu.Lock()
	var updates []Update
	for _, j := range jobs {
		if err != nil {
			j.granted, j.refusal = false, fmt.Errorf("record read of %s: %w", j.id(), err)
		} else {
			full := st.Vehicles[j.id()]
			j.e.rec = lean(full)
			if s.nsubs.Load() > 0 {
				updates = append(updates, Update{ID: j.id(), Record: full, BucketLimited: s.limited,
					Health: s.health()})
			}
		}
		if !j.granted {
			s.bucket.give()
			j.e.heldUntil = now.Add(max(j.wait, refusedRetry))
			s.release(j.e, now)
		}
	}
	if err != nil {
		s.pause(now.Add(storeRetry), fmt.Errorf("record reads: %w", err))
	}
	news, changed := s.stateNews()
	s.mu.Unlock()
	for _, u := range updates {
		s.publish(u)
	}
	if changed {
		s.publish(news)
	}
	return jobs
}

// grant re-checks each job's gate against the stored state st at the ledger's now, marks the job granted or refused,
// and returns the records of the granted ones with their read time set. It runs in the ledger's transaction.
func (s *Scheduler) grant(st ledger.State, jobs []*job, now time.Time) ledger.State {
	out := ledger.State{Vehicles: make(map[string]ledger.Record, len(jobs))}
	for _, j := range jobs {
		rec := st.Vehicles[j.id()]
		j.granted, j.refusal, j.wait = false, s.refusal(j.t, rec, now), 0
		var na *ledger.NotAllowedError
		if errors.As(j.refusal, &na) && !na.Next.IsZero() {
			j.wait = na.Next.Sub(now) // in the ledger's clock, which may not be ours
		}
		if j.refusal == nil {
			rec.ReservedAt = now.Add(sendWindow)
			out.Vehicles[j.id()] = rec.Touch(now)
			j.granted = true
		}
	}
	return out
}

// refusal returns why the gate refuses target t with record rec at now, or nil when it lets the read through.
func (s *Scheduler) refusal(t *Target, rec ledger.Record, now time.Time) error {
	if at, ok := s.opensAt(t, rec, now); !ok || now.Before(at) {
		return &ledger.NotAllowedError{ID: t.ID, Next: at, Stopped: rec.Stopped}
	}
	return nil
}

// launch sends a granted job's read: in a goroutine, or here with cfg.Inline.
func (s *Scheduler) launch(ctx context.Context, j *job, now time.Time) {
	if s.cfg.Inline {
		s.send(ctx, j, now)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.send(ctx, j, now)
		s.wake()
	}()
}

// send sends a granted job's read, taken at now, and records its outcome. The read must start sending within
// sendWindow of the job's beginning. Its outcome is dated when it came, measured from that beginning, so the date is
// never earlier than the send. It returns the read's error joined with the store's when the outcome is not saved.
func (s *Scheduler) send(ctx context.Context, j *job, now time.Time) (ledger.Reading, error) {
	if j.began.IsZero() {
		j.began = time.Now()
	}
	r, err := s.api.Read(withSendBy(ctx, j.began.Add(sendWindow)), j.t.Remote)
	at := now
	if !s.cfg.Inline {
		at = now.Add(time.Since(j.began))
	}
	return r, errors.Join(err, s.finish(j, at, r, err))
}

// paused reports whether no request may start at now. The caller holds s.mu.
func (s *Scheduler) paused(now time.Time) bool {
	return s.credRefused || s.unreachable || s.pausedUntil.After(now)
}

// pause stops every request until until (or later, if already paused longer) for err. The caller holds s.mu.
func (s *Scheduler) pause(until time.Time, err error) {
	s.pausedUntil = later(s.pausedUntil, until)
	s.lastErr = err
	s.seq++
}

// next returns when Step next has something to do (see Step). The caller holds s.mu.
func (s *Scheduler) next(now time.Time) time.Time {
	next := s.saveAt
	if len(s.unsaved) == 0 {
		next = time.Time{}
	}
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	switch {
	case s.credRefused || s.unreachable:
		soonest(s.retryAt)
		return next
	case s.pausedUntil.After(now):
		soonest(s.pausedUntil)
		return next
	}
	if !s.leading() {
		return next // the leader reads automatically; here only ReadNow does, until a renewal (SetLeader wakes Run)
	}
	if s.ready.Len() > 0 && s.inflight < s.cfg.Concurrency {
		soonest(s.bucket.nextToken(now))
	}
	if e := s.waiting.peek(); e != nil {
		soonest(e.due)
	}
	return next
}
