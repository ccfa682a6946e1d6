package config

import (
	"math"
	"net"
	"time"
)

// The defaults of the [serve] table.
const (
	// DefaultListen is where `fleetkey serve` listens: loopback only, so that reaching it from another box is a
	// choice made in the config (or with ssh -J through the box).
	DefaultListen = "127.0.0.1:2222"
	// DefaultMaxSessions is how many SSH sessions may be open at once.
	DefaultMaxSessions = 10
	// DefaultIdleTimeout is how long a session may go without input before it is closed.
	DefaultIdleTimeout = 30 * time.Minute
)

// Serve is the [serve] table: how `fleetkey serve` shares the console over SSH. Paths are as written in the
// config; a relative one is relative to the config file's directory, which the caller resolves.
type Serve struct {
	// Listen is the host:port to listen on.
	Listen string
	// AuthorizedKeys is the OpenSSH authorized_keys file of the keys allowed in, with their roles; "" when not
	// given. `fleetkey serve` requires it; the config alone does not.
	AuthorizedKeys string
	// HostKey is the server's private host key file, generated on first start; "" means DefaultHostKeyPath.
	HostKey string
	// AuditLog is the audit log file; "" means DefaultAuditPath.
	AuditLog string
	// MaxSessions is how many sessions may be open at once, at least 1.
	MaxSessions int
	// IdleTimeout is how long a session may be idle before it is closed, positive.
	IdleTimeout time.Duration
}

// defaultServe returns the [serve] table of a config that does not set any of its keys.
func defaultServe() Serve {
	return Serve{Listen: DefaultListen, MaxSessions: DefaultMaxSessions, IdleTimeout: DefaultIdleTimeout}
}

// serveKeys are the valid keys of [serve].
var serveKeys = []string{"listen", "authorized_keys", "host_key", "audit_log", "max_sessions", "idle_timeout"}

// serve checks [serve]; every key is optional.
func (c *checker) serve(v any) Serve {
	sc := defaultServe()
	t, ok := c.table("serve", v)
	if !ok {
		return sc
	}
	c.unknownKeys(t, serveKeys)
	if s, ok := c.listen(t); ok {
		sc.Listen = s
	}
	paths := []struct {
		key string
		dst *string
	}{{"authorized_keys", &sc.AuthorizedKeys}, {"host_key", &sc.HostKey}, {"audit_log", &sc.AuditLog}}
	for _, p := range paths {
		if s, ok := c.text(t, p.key, false); ok {
			*p.dst = s
		}
	}
	c.maxSessions(t, &sc.MaxSessions)
	c.duration(t, "idle_timeout", &sc.IdleTimeout)
	return sc
}

// listen checks serve.listen: host:port with a numeric port from 1 to 65535. The host may be empty (every
// interface), a name or an IP address.
func (c *checker) listen(t table) (string, bool) {
	s, ok := c.str(t, "listen", false)
	if !ok {
		return "", false
	}
	_, port, err := net.SplitHostPort(s)
	switch {
	case err != nil:
		c.addf(t.key("listen"), "%q is not host:port (like %s, or [::1]:2222)", s, DefaultListen)
	case port == "" || !validPort(port):
		c.addf(t.key("listen"), "%q has port %q; want 1..65535, the fixed port clients ssh to", s, port)
	default:
		return s, true
	}
	return "", false
}

// maxSessions sets *n from serve.max_sessions when it is given and at least 1.
func (c *checker) maxSessions(t table, n *int) {
	const k = "max_sessions"
	v, ok := c.integer(t, k, false)
	switch {
	case !ok:
	case v < 1 || v > math.MaxInt32:
		c.addf(t.key(k), "%d is outside 1..%d", v, math.MaxInt32)
	default:
		*n = int(v)
	}
}
