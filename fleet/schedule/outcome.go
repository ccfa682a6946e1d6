package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// Where a learned key status came from (ledger.Record.KeySource).
const (
	KeySourceSignal = "signal connectivitystatus-isdigitalkeypaired"
	KeySourceError  = "error CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED"
)

// The backoffs.
const (
	retryBase     = 30 * time.Second // a vehicle's first transient failure waits twice this
	retryMax      = time.Hour        // and never more than this
	appPauseFirst = time.Minute      // the first app-wide 429 pauses every request this long, doubling after
	appPauseMax   = 30 * time.Minute
)

// verdict is what a read's answer means for the scheduler.
type verdict int

const (
	readOK         verdict = iota
	vehicleLimited         // 429 RATE_LIMIT:VEHICLE with a Retry-After
	appLimited             // 429 SMARTCAR_API: the app-wide bucket is empty
	asleep
	billing
	badRequest
	keyRequired
	credentials
	canceled  // the caller gave up waiting; the read was sent all the same
	notSent   // the request provably never reached the network: nothing was spent
	transient // 5xx, timeouts, 3xx, and anything not known
)

// kind returns the ledger.Record.ErrorKind of a failed read's verdict ("" for those that say nothing of the vehicle).
func (v verdict) kind() string {
	switch v {
	case vehicleLimited:
		return ledger.KindRateLimited
	case asleep:
		return ledger.KindAsleep
	case billing:
		return ledger.KindBilling
	case badRequest:
		return ledger.KindRejected
	case transient:
		return ledger.KindFailing
	case notSent:
		return ledger.KindNotSent
	}
	return ""
}

// judge returns the verdict on a read's error. A vehicle 429 without a Retry-After is taken as transient.
func judge(err error) verdict {
	if err == nil {
		return readOK
	}
	_, hasRetry := RetryAfter(err)
	switch {
	case errors.Is(err, ErrNotSent):
		return notSent
	case errors.Is(err, ErrCredentials):
		return credentials
	case errors.Is(err, ErrAppRateLimited):
		return appLimited
	case errors.Is(err, ErrVehicleRateLimited) && hasRetry:
		return vehicleLimited
	case errors.Is(err, ErrBilling):
		return billing
	case errors.Is(err, ErrBadRequest):
		return badRequest
	case errors.Is(err, ErrAsleep):
		return asleep
	case errors.Is(err, ErrVirtualKeyRequired):
		return keyRequired
	case errors.Is(err, context.Canceled):
		return canceled
	default:
		return transient
	}
}

// outcome is one read's answer, judged.
type outcome struct {
	verdict verdict
	err     error
	reading ledger.Reading
	at      time.Time // when it was answered
	spread  float64   // in [-1, 1): where a transient backoff lands within ±10 %
}

// dated returns o as answered at now, the ledger's clock at the write, when that is later: the write comes after the
// answer, so the recorded time stays no earlier than the send even when the ledger's clock is ahead of ours.
func (o outcome) dated(now time.Time) outcome {
	o.at = later(o.at, now)
	return o
}

// apply returns the vehicle's record rec after the outcome. It is pure: it runs under the store's lock. The read's
// reservation ends: released when the request never left, else a read at the outcome's time, which is no earlier
// than the send.
func (o outcome) apply(rec ledger.Record) ledger.Record {
	if o.verdict == notSent {
		rec.ReservedAt = time.Time{}
	} else {
		rec.LastReadAt, rec.ReservedAt = later(rec.LastReadAt, o.at), time.Time{}
	}
	switch o.verdict {
	case canceled:
		return rec.Touch(o.at) // sent but its answer abandoned: nothing learned
	case readOK:
		rec = learn(rec, o.reading, o.at)
	case vehicleLimited:
		d, _ := RetryAfter(o.err)
		rec.NotBefore = later(rec.NotBefore, o.at.Add(d))
	case asleep:
		rec.Asleep, rec.AsleepAt = true, o.at
	case billing:
		rec.Stopped = o.err.Error()
	case badRequest:
		rec.Stopped = "bug report: " + o.err.Error()
	case keyRequired:
		rec = learnKey(rec, policy.KeyMissing, KeySourceError, o.at)
	case transient:
		rec.Failures++
		rec.NotBefore = later(rec.NotBefore, o.at.Add(backoff(rec.Failures, o.spread)))
	}
	if o.err != nil {
		rec.LastError, rec.LastErrorAt, rec.ErrorKind = o.err.Error(), o.at, o.verdict.kind()
	}
	return rec.Touch(o.at)
}

// learn returns rec after a successful read r at at: the last good values, the key status, the VIN, the sleep state.
// When the read both reports a paired key and a VIRTUAL_KEY_REQUIRED, the key is missing: the budget that cannot be
// spent early.
func learn(rec ledger.Record, r ledger.Reading, at time.Time) ledger.Record {
	if r.At.IsZero() {
		r.At = at
	}
	kept := r
	if rec.Reading != nil {
		kept = ledger.MergeReading(*rec.Reading, r)
	}
	rec.Reading = &kept
	rec.Failures = 0
	switch {
	case r.KeyMissing:
		rec = learnKey(rec, policy.KeyMissing, KeySourceError, at)
	case r.KeyPaired.OK() && r.KeyPaired.V:
		rec = learnKey(rec, policy.KeyPaired, KeySourceSignal, at)
	case r.KeyPaired.OK():
		rec = learnKey(rec, policy.KeyMissing, KeySourceSignal, at)
	}
	if r.VIN.OK() && r.VIN.V != "" {
		rec.VIN, rec.VINAt = r.VIN.V, at
	}
	if r.Asleep.OK() {
		rec.Asleep, rec.AsleepAt = r.Asleep.V, at
	}
	return rec
}

// learnKey returns rec with key status k, learned at at from source.
func learnKey(rec ledger.Record, k policy.KeyStatus, source string, at time.Time) ledger.Record {
	rec.Key, rec.KeySource, rec.KeyAt = k.String(), source, at
	return rec
}

// backoff returns the wait after the failures-th consecutive transient failure: 2^failures × 30s, at most an hour,
// moved by spread × 10 %.
func backoff(failures int, spread float64) time.Duration {
	d := retryMax
	if failures < 8 { // 30s × 2^7 is past the cap already
		d = min(retryBase<<max(failures, 0), retryMax)
	}
	return d + time.Duration(spread*float64(d)/10)
}

// finish records a read's answer at at and reacts to what it means for every request. When the store fails to save
// it, the answer is kept in memory and the vehicle held from reads until it is saved (see keep); the store's error
// is returned.
func (s *Scheduler) finish(j *job, at time.Time, r ledger.Reading, err error) error {
	o := outcome{verdict: judge(err), err: err, reading: r, at: at, spread: j.spread}
	id := j.id()
	st, serr := s.store.Update([]string{id}, at, func(st ledger.State, now time.Time) ledger.State {
		return ledger.State{Vehicles: map[string]ledger.Record{id: o.dated(now).apply(st.Vehicles[id])}}
	})
	s.mu.Lock()
	if serr != nil {
		serr = fmt.Errorf("save the answer of %s (kept in memory; the vehicle is held until it is saved): %w", id,
			serr)
		s.lastErr = serr
		s.keep(j.e, o, at)
	}
	told := j.e.rec // the held answer, when it could not be saved
	if serr == nil {
		told = st.Vehicles[id]
		j.e.rec = lean(told)
	}
	s.react(o)
	s.release(j.e, at)
	var u Update
	if s.nsubs.Load() > 0 {
		u = Update{ID: id, Record: told, Err: errors.Join(err, serr), BucketLimited: s.limited,
			PausedUntil: s.pausedUntil, Unsaved: len(j.e.pending) > 0, Health: s.health()}
	}
	news, changed := s.stateNews()
	s.mu.Unlock()
	if u.ID != "" {
		s.publish(u)
	}
	if changed {
		s.publish(news)
	}
	return serr
}

// react applies what an outcome means for every request: an app-wide 429 pauses them all with a doubling backoff
// plus jitter, never shorter than its Retry-After, and empties the bucket copy (the API's bucket is empty, whatever
// the copy said); a refused credential or a request that could not reach the API stops them until a retry on a
// backoff works (see troubled); any answer ends that backoff's count, and a good read the app-wide one. The caller
// holds s.mu.
func (s *Scheduler) react(o outcome) {
	switch o.verdict {
	case appLimited:
		if !s.pausedUntil.After(o.at) { // the reads in flight when the pause began count as one
			s.appFailures++
		}
		d := min(appPauseFirst<<min(max(s.appFailures-1, 0), 6), appPauseMax) + s.jitter()
		if ra, ok := RetryAfter(o.err); ok {
			d = max(d, ra)
		}
		s.pause(o.at.Add(d), o.err)
		s.bucket.drain(o.at)
	case credentials, notSent:
		s.troubled(o.err, o.at)
		return
	case canceled:
		return
	case readOK:
		s.appFailures = 0
	}
	s.troubles = 0
}
