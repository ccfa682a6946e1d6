package fakeserver

import (
	"slices"
	"strings"
	"time"
)

// Inject makes the next n signals reads of vehicleID (that reach the car) answer with e instead. Injections queue up.
func (s *Server) Inject(vehicleID string, n int, e Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.injected[vehicleID] = append(s.injected[vehicleID], e)
	}
}

// InjectList makes the next n GET /v3/connections requests (that pass the bearer and bucket checks) answer with e.
func (s *Server) InjectList(n int, e Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.listFail = append(s.listFail, e)
	}
}

func (s *Server) nextListFailure() (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listFail) == 0 {
		return Failure{}, false
	}
	f := s.listFail[0]
	s.listFail = s.listFail[1:]
	return f, true
}

// Reads returns the arrival times of every signals request (list or single code) that reached vehicleID: with a
// valid token, within the bucket, with the owning sc-user-id. A read is counted on arrival, before any Hold, injected
// failure, enforced rate limit, 409 or 430: it reached the API, so it is what the rules judge.
func (s *Server) Reads(vehicleID string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.cars[vehicleID]; cs != nil {
		return slices.Clone(cs.reads)
	}
	return nil
}

// ReadCount returns len(Reads(vehicleID)) without copying.
func (s *Server) ReadCount(vehicleID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.cars[vehicleID]; cs != nil {
		return len(cs.reads)
	}
	return 0
}

// Billed returns how many reads of vehicleID were billed (answered 200) in the current calendar month (UTC).
func (s *Server) Billed(vehicleID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.cars[vehicleID]
	if cs == nil || cs.billMonth != s.opts.Clock().UTC().Format("2006-01") {
		return 0
	}
	return cs.billed
}

// Violations returns every read that came earlier than the rules allow, in arrival order.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.counts.violations)
}

// BucketRejections returns how many requests were answered 429 RATE_LIMIT:SMARTCAR_API.
func (s *Server) BucketRejections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts.bucketRejections
}

// TokenRequests returns how many requests reached the token endpoint, answered or refused.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts.tokenRequests
}

// Requests returns how many requests came to a path starting with prefix (e.g. "/v3/connections"), whatever their
// answer. "" counts every request.
func (s *Server) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.counts.paths {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}
