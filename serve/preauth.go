package serve

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// The defaults of the limits on connections that have not authenticated yet. A client with its key at hand
// authenticates in well under a second; OpenSSH starts refusing at 10 (its MaxStartups).
const (
	// DefaultMaxUnauthenticated is how many connections may be authenticating at once.
	DefaultMaxUnauthenticated = 16
	// DefaultAuthTimeout is how long a connection has, from its accept, to authenticate.
	DefaultAuthTimeout = 10 * time.Second
)

// pendingKey is the context key of a connection's place among the unauthenticated.
type pendingKey struct{}

// unauthed is the set of connections still authenticating. Each holds a place from its accept until it
// authenticates or closes; a connection that finds no place is closed at once, before the server reads a byte of
// it, so a flood of half-open connections costs a file descriptor for a moment each, not a goroutine for long.
type unauthed struct {
	mu      sync.Mutex
	max     int
	log     *slog.Logger
	conns   map[*pendingConn]struct{}
	refused int  // connections refused since the set was last full
	stopped bool // the server is stopping: every connection is refused
}

func newUnauthed(max int, log *slog.Logger) *unauthed {
	return &unauthed{max: max, log: log, conns: map[*pendingConn]struct{}{}}
}

// pendingConn is a connection that holds a place among the unauthenticated until it leaves.
type pendingConn struct {
	net.Conn
	set  *unauthed
	once sync.Once
}

// Close gives up the connection's place and closes it.
func (c *pendingConn) Close() error {
	c.leave()
	return c.Conn.Close()
}

// leave gives up the connection's place, once.
func (c *pendingConn) leave() { c.once.Do(func() { c.set.remove(c) }) }

// add gives conn a place, or returns nil when there is none. The log says when the set fills and, once a place
// frees, how many it refused meanwhile: one line per episode, however large the flood.
func (u *unauthed) add(conn net.Conn) *pendingConn {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stopped || len(u.conns) >= u.max {
		if u.refused++; u.refused == 1 && !u.stopped {
			u.log.Warn("connections refused: too many are authenticating", "max_unauthenticated", u.max)
		}
		return nil
	}
	c := &pendingConn{Conn: conn, set: u}
	u.conns[c] = struct{}{}
	return c
}

func (u *unauthed) remove(c *pendingConn) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.conns, c)
	if u.refused > 0 && !u.stopped {
		u.log.Info("connections accepted again", "refused", u.refused)
		u.refused = 0
	}
}

// stop refuses every new connection and closes those still authenticating, which the SSH server's own Close does
// not know of.
func (u *unauthed) stop() {
	u.mu.Lock()
	u.stopped = true
	conns := make([]*pendingConn, 0, len(u.conns))
	for c := range u.conns {
		conns = append(conns, c)
	}
	u.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// admitConn is the SSH server's ConnCallback: it gives a new connection its place among the unauthenticated, or
// closes it at once (nil) when there is none.
func (s *Server) admitConn(ctx ssh.Context, conn net.Conn) net.Conn {
	c := s.unauthed.add(conn)
	if c == nil {
		return nil
	}
	ctx.SetValue(pendingKey{}, c)
	return c
}

// serverConfig is the SSH server's ServerConfigCallback: a connection leaves the unauthenticated the moment it
// authenticates, so only connections still authenticating count against the limit.
func serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
		if c, ok := ctx.Value(pendingKey{}).(*pendingConn); ok && err == nil {
			c.leave()
		}
	}}
}
