// Package serve serves the fleet console over SSH (Wish v2) and decides who may use it and how: only the public keys
// of an authorized_keys file get in (no passwords, no keyboard-interactive), each as a viewer (watches) or an
// operator (may also read and onboard vehicles, every such action written to the audit log); how many sessions may
// run at once and how long one may sit idle; how many connections may be authenticating and for how long, and how
// large a terminal and how much input a client may ask the server to hold; that the host key is made once and a
// changed one stops the server; and that a stop says goodbye to every session, however late it started. Each session runs its own console model, with its own size, colours
// and subscription to the scheduler's news, over the one fleet, scheduler and state of the process, so a slow
// session holds up nobody else.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"fleetkey/fleet"
	"fleetkey/fleet/connect"
	"fleetkey/policy"
	"fleetkey/ui"
)

// Config is how the server listens and whom it lets in.
type Config struct {
	Listen         string        // TCP address, e.g. "127.0.0.1:2222"
	AuthorizedKeys string        // the allowlist: an authorized_keys file whose options give each key's role
	HostKey        string        // the host's private key; an ed25519 key is generated there (0600) when missing
	MaxSessions    int           // sessions open at once; one more is refused with a message
	IdleTimeout    time.Duration // a session with no key pressed for this long is closed; 0 means never

	// MaxUnauthenticated is how many connections may be authenticating at once; one more is closed at once.
	// 0 means DefaultMaxUnauthenticated.
	MaxUnauthenticated int
	// AuthTimeout is how long a connection has, from its accept, to authenticate; 0 means DefaultAuthTimeout.
	AuthTimeout time.Duration
}

// Deps are what the sessions share: the process's one fleet and its audit log.
type Deps struct {
	Fleet     *fleet.Fleet
	Intervals policy.Intervals
	Label     string           // the console header's label; each session adds its key's comment and role
	Connect   *connect.Config  // nil: no onboarding (the config source)
	Audit     *Audit           // every read, key check (onboarding confirm) and connect by an operator
	Log       *slog.Logger     // the server log; it names a user only by key comment and fingerprint
	Clock     func() time.Time // the time reads are recorded at; time.Now when nil
}

// shutdownGrace bounds a graceful stop: sessions that have not ended by then are cut.
const shutdownGrace = 30 * time.Second

// Server is the SSH console server.
type Server struct {
	cfg    Config
	d      Deps
	keys   map[string]Key // the allowlist, by SHA256 fingerprint
	hostFP string
	srv    *ssh.Server
	ln     net.Listener
	grace  time.Duration

	stopping context.Context // cancelled when the server stops: every console says goodbye
	stop     context.CancelFunc
	active   atomic.Int64 // consoles counted against MaxSessions
	unauthed *unauthed    // the connections still authenticating
	channels atomic.Int64 // session channels open

	mu      sync.Mutex
	closing bool                  // the stop has begun: a session starting now is told goodbye at once
	live    int                   // sessions counted from their shell request to their handler's end
	drained chan struct{}         // closed once closing and no session is live; none may start after
	ended   bool                  // drained is closed
	open    map[*tracked]struct{} // the sessions whose handler runs now

	rowsMu   sync.Mutex
	rows     *ui.Shared         // the rows every session shows; nil until the first session
	rowsStop context.CancelFunc // ends rows' feed (the server's stop ends it too)

	testHookSession atomic.Pointer[func()] // tests: run as each session's handler begins
}

// New loads the authorized keys and the host key (generating it on first start) and listens on cfg.Listen. It
// reports every problem it finds at once, so that one start is enough to learn all that stands in the way.
func New(cfg Config, d Deps) (*Server, error) {
	if err := check(&cfg, &d); err != nil {
		return nil, err
	}
	keys, keysErr := loadKeys(cfg.AuthorizedKeys)
	signer, hostFP, hostErr := loadHostKey(cfg.HostKey)
	ln, lnErr := listen(cfg.Listen)
	if err := errors.Join(keysErr, hostErr, lnErr); err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return nil, err
	}
	s := &Server{cfg: cfg, d: d, keys: keys, hostFP: hostFP, ln: ln, grace: shutdownGrace,
		open: map[*tracked]struct{}{}, drained: make(chan struct{})}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.unauthed = newUnauthed(cfg.MaxUnauthenticated, d.Log)
	var err error
	if s.srv, err = s.newSSH(signer); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	if ip, ok := ln.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		d.Log.Warn("serve listens beyond this machine: only the authorized keys stand between the network and the fleet",
			"listen", ln.Addr().String())
	}
	return s, nil
}

// listen listens on addr, saying what to do when the port is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("listen on %s: the port is in use, perhaps by another fleetkey serve; stop it, or "+
			"choose another address with --listen or [serve] listen: %w", addr, err)
	case err != nil:
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// check fills Deps' defaults and refuses what cannot work.
func check(cfg *Config, d *Deps) error {
	var errs []error
	if d.Fleet == nil {
		errs = append(errs, errors.New("serve: no fleet"))
	}
	if d.Audit == nil {
		errs = append(errs, errors.New("serve: no audit log"))
	}
	if cfg.MaxSessions < 1 {
		errs = append(errs, fmt.Errorf("serve: max_sessions = %d, want at least 1", cfg.MaxSessions))
	}
	if cfg.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("serve: idle_timeout = %s, want 0 (none) or more", cfg.IdleTimeout))
	}
	if cfg.MaxUnauthenticated < 0 || cfg.AuthTimeout < 0 {
		errs = append(errs, fmt.Errorf("serve: max unauthenticated %d, auth timeout %s: want 0 (the default) or more",
			cfg.MaxUnauthenticated, cfg.AuthTimeout))
	}
	if cfg.MaxUnauthenticated == 0 {
		cfg.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if cfg.AuthTimeout == 0 {
		cfg.AuthTimeout = DefaultAuthTimeout
	}
	if d.Fleet != nil && d.Intervals == (policy.Intervals{}) {
		d.Intervals = d.Fleet.Intervals()
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	return errors.Join(errs...)
}

// idleSlack is how much longer than IdleTimeout a connection may go without any traffic before it is cut: the
// session's own idle check (no key pressed) ends it first, with a message; the connection's deadline only catches a
// dead or stalled link, whose writes never return.
const idleSlack = time.Minute

// newSSH builds the SSH server: public-key auth only, and the middleware every session passes through, outermost
// first: track, recover, authorize, logging, limit, need a terminal, console.
func (s *Server) newSSH(signer gossh.Signer) (*ssh.Server, error) {
	opts := []ssh.Option{
		func(srv *ssh.Server) error {
			srv.AddHostKey(signer)
			srv.HandshakeTimeout = s.cfg.AuthTimeout // the handshake includes authentication
			srv.ConnCallback = s.admitConn
			srv.ServerConfigCallback = serverConfig
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.openSession}
			return nil
		},
		wish.WithVersion("fleetkey"),
		wish.WithPublicKeyAuth(s.checkKey), // and no password or keyboard-interactive handler: those are refused
		wish.WithMiddleware(s.console, s.needTerminal, s.limit, s.logging, s.authorize, s.recover(), s.track),
	}
	if s.cfg.IdleTimeout > 0 {
		opts = append(opts, wish.WithIdleTimeout(s.cfg.IdleTimeout+idleSlack))
	}
	return wish.NewServer(opts...)
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// HostKeyFingerprint returns the SHA256 fingerprint of the host key, for users to check on first connection.
func (s *Server) HostKeyFingerprint() string { return s.hostFP }
