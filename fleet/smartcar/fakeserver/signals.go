package fakeserver

import (
	"net/http"
	"sync"
	"time"

	"fleetkey/policy"
)

// ticket is a read that reached a car, as the rules judged it on arrival.
type ticket struct {
	cs      *carState
	early   bool
	allowed time.Time // when the rules allowed this read; zero for a first read
	wait    time.Duration
	hold    *hold
}

// serveSignals is GET /v3/vehicles/{id}/signals: one read, the only call that spends a vehicle's budget.
func (s *Server) serveSignals(w http.ResponseWriter, r *http.Request) { s.serveRead(w, r, "") }

// serveSignal is GET /v3/vehicles/{id}/signals/{code}: a read of one signal, budgeted like a full read.
func (s *Server) serveSignal(w http.ResponseWriter, r *http.Request) {
	s.serveRead(w, r, r.PathValue("code"))
}

// serveRead checks sc-user-id and ownership, records the read (judging it against the rules), waits on a Hold, then
// answers: an injected failure, the enforced rate limit, 409 asleep, 430 billing, or the signals.
func (s *Server) serveRead(w http.ResponseWriter, r *http.Request, code string) {
	user := r.Header.Get("sc-user-id")
	if user == "" {
		writeFailure(w, Failure{Type: "VALIDATION", Code: "MISSING_PARAMETER", Detail: "missing userId"})
		return
	}
	t, ok := s.arrive(r.PathValue("id"), user)
	if !ok {
		writeFailure(w, notFound("no vehicle "+r.PathValue("id")+" for this user"))
		return
	}
	if t.hold != nil {
		t.hold.arrive()
		select {
		case <-t.hold.release:
		case <-r.Context().Done():
		}
		if r.Context().Err() != nil {
			return // the client is gone: the read stays recorded, nothing else is spent
		}
	}
	body, f := s.answer(r, t, code)
	if f != nil {
		writeFailure(w, *f)
		return
	}
	w.Header().Set("sc-unit-system", unitSystem(r))
	writeJSON(w, http.StatusOK, body)
}

// keyStatus is the car's key as the rules see it: a required key is missing; no answer is unknown.
func keyStatus(c Car) policy.KeyStatus {
	switch {
	case c.KeyRequired || c.KeyPaired != nil && !*c.KeyPaired:
		return policy.KeyMissing
	case c.KeyPaired != nil:
		return policy.KeyPaired
	}
	return policy.KeyUnknown
}

// badgeOf is the fake's own view of a car's badge; Unknown is budgeted as Keyless by policy.Intervals.Of.
func badgeOf(c Car) policy.Badge {
	return policy.BadgeOf(policy.Facts{Make: c.Make, Model: c.Model, Year: c.Year, Key: keyStatus(c)})
}

// arrive records a read of vehicle id by user and judges it. The interval applied is the shorter of the car's badge
// now and its badge at the last read: a client knows a car's key only from its last read, so a key removed since
// then must not turn a read that was allowed when it was planned into a violation.
func (s *Server) arrive(id, user string) (ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.cars[id]
	if cs == nil || cs.removed || cs.car.UserID != user {
		return ticket{}, false
	}
	now := s.opts.Clock()
	t := ticket{cs: cs, hold: s.holds[id]}
	badge := badgeOf(cs.car)
	if n := len(cs.reads); n > 0 {
		rule := badge
		if s.opts.Intervals.Of(cs.lastBadge) < s.opts.Intervals.Of(rule) {
			rule = cs.lastBadge
		}
		t.allowed = cs.reads[n-1].Add(s.opts.Intervals.Of(rule))
		if now.Before(t.allowed) {
			t.early, t.wait = true, t.allowed.Sub(now)
			s.counts.violations = append(s.counts.violations,
				Violation{VehicleID: id, At: now, Allowed: t.allowed, Badge: rule.String()})
		}
	}
	cs.reads = append(cs.reads, now)
	cs.lastBadge = badge
	return t, true
}

// answer decides what a recorded read gets. Only a 200 is billed.
func (s *Server) answer(r *http.Request, t ticket, code string) (any, *Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := t.cs.car
	if q := s.injected[c.VehicleID]; len(q) > 0 {
		s.injected[c.VehicleID] = q[1:]
		return nil, &q[0]
	}
	if s.opts.EnforceWithRateLimit && t.early {
		return nil, &Failure{Type: "RATE_LIMIT", Code: "VEHICLE", RetryAfter: t.wait,
			Detail: "You have reached the throttling rate limit for this vehicle. Please see the retry-after header."}
	}
	if c.Asleep && s.opts.AsleepErrors {
		return nil, &Failure{Type: "VEHICLE_STATE", Code: "ASLEEP",
			Detail: "The vehicle is in a sleep state. This request was not sent to preserve battery life."}
	}
	now := s.opts.Clock()
	month := now.UTC().Format("2006-01")
	if t.cs.billMonth != month {
		t.cs.billMonth, t.cs.billed = month, 0
	}
	if s.opts.BillingLimit > 0 && t.cs.billed >= s.opts.BillingLimit {
		return nil, &Failure{Type: "BILLING", Code: "VEHICLE_REQUEST_LIMIT",
			Detail: "This vehicle has reached its request limit for the month."}
	}
	body, found := readBody(r, c, now, code, s.opts.TimestampISO)
	if !found {
		f := notFound("no signal " + code + " for vehicle " + c.VehicleID)
		return nil, &f
	}
	t.cs.billed++
	return body, nil
}

// hold blocks the signals requests of one car until released.
type hold struct {
	release, arrived     chan struct{}
	freeOnce, arriveOnce sync.Once
}

func (h *hold) free()   { h.freeOnce.Do(func() { close(h.release) }) }
func (h *hold) arrive() { h.arriveOnce.Do(func() { close(h.arrived) }) }

// Hold makes signals requests for vehicleID block, after they are counted and recorded as reads, until release is
// called (or the client goes away, or Close). release may be called more than once. Holding a car already held
// shares that hold.
func (s *Server) Hold(vehicleID string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.holds[vehicleID]
	if h == nil {
		h = &hold{release: make(chan struct{}), arrived: make(chan struct{})}
		s.holds[vehicleID] = h
	}
	return func() {
		s.mu.Lock()
		if s.holds[vehicleID] == h {
			delete(s.holds, vehicleID)
		}
		s.mu.Unlock()
		h.free()
	}
}

// Held returns a channel closed once a signals request for vehicleID is blocked by the current Hold (its read is
// then already recorded). It is nil when vehicleID is not held: call it between Hold and release.
func (s *Server) Held(vehicleID string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.holds[vehicleID]; h != nil {
		return h.arrived
	}
	return nil
}
