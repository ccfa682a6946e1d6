package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"charm.land/ssh"
)

// linger is how long a stop waits, once every session has ended, for the clients to read their closing lines and
// hang up, before it closes the connections that remain (a client may keep an idle connection open).
const linger = time.Second

// Serve accepts sessions until ctx is cancelled, then stops gracefully: every open console gets a closing line and
// exits 0, and the server waits for them (at most 30 s) before it closes what remains. It returns nil after a
// stop, or the error that stopped the listener. Serve is called once.
func (s *Server) Serve(ctx context.Context) error {
	s.d.Log.Info("serving the console over ssh", "listen", s.ln.Addr().String(), "host_key", s.hostFP,
		"keys", len(s.keys), "max_sessions", s.cfg.MaxSessions, "idle_timeout", s.cfg.IdleTimeout.String(),
		"max_unauthenticated", s.cfg.MaxUnauthenticated, "auth_timeout", s.cfg.AuthTimeout.String())
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	select {
	case err := <-served:
		s.shutdown()
		return fmt.Errorf("serve ssh on %s: %w", s.ln.Addr(), err)
	case <-ctx.Done():
	}
	s.shutdown()
	if err := <-served; err != nil && !errors.Is(err, ssh.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		s.d.Log.Warn("ssh server after stop", "err", err)
	}
	s.d.Log.Info("stopped")
	return nil
}

// shutdown refuses new connections, tells the open sessions to say goodbye, waits for them (at most s.grace) and
// then for their clients to hang up (at most linger), and closes every connection left.
func (s *Server) shutdown() {
	n := s.beginStop()
	s.d.Log.Info("stopping", "sessions", n)
	s.stop()
	s.stopRows()
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	shut := make(chan struct{}) // closed when every connection has closed, or at the end of the grace period
	go func() { _ = s.srv.Shutdown(ctx); close(shut) }()
	s.unauthed.stop()
	select {
	case <-s.drained:
		select {
		case <-shut:
		case <-time.After(linger):
		}
	case <-ctx.Done():
		s.d.Log.Warn("sessions still open after the grace period; cutting them", "grace", s.grace.String())
	}
	_ = s.srv.Close()
	_ = s.ln.Close() // in case Shutdown ran before Serve had registered it
	<-shut
	select { // a session cut by the close ends at once
	case <-s.drained:
	case <-time.After(linger):
	}
}

// beginStop marks the server stopping and returns how many sessions are live.
func (s *Server) beginStop() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	s.settle()
	return s.live
}

// admit counts a session that asks to start (its shell or exec request, before the client has its answer), so
// that a stop waits for it however late its handler runs. It refuses once a stop has seen every session end.
func (s *Server) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.live++
	return true
}

// release uncounts a session whose handler has ended.
func (s *Server) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live--
	s.settle()
}

// settle closes drained when the stop has begun and no session is live; s.mu is held.
func (s *Server) settle() {
	if s.closing && s.live == 0 && !s.ended {
		s.ended = true
		close(s.drained)
	}
}
