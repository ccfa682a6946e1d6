package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"syscall"
	"time"

	"fleetkey/fleet/config"
	"fleetkey/serve"
)

// runServe is `fleetkey serve`: one process owns the fleet, the scheduler and the state, and serves the console to
// every SSH session, so the whole rotation sees one read budget. It stops gracefully on SIGTERM or SIGINT.
func runServe(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "[--listen ADDR]", &g, stderr)
	listen := fs.String("listen", "", "address to listen on (default [serve] listen, 127.0.0.1:2222)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || g.readOnly {
		fs.Usage()
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serveFleet(ctx, g, *listen, stdout); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintln(stdout, "fleetkey serve: stopped; the state is on disk")
	return 0
}

func serveFleet(ctx context.Context, g globals, listen string, stdout io.Writer) error {
	g.keptFirst = true
	a, err := loadApp(g, time.Now())
	if err != nil {
		return err
	}
	defer a.Close()
	if a.demo {
		return errors.New("serve needs a config file with [serve] authorized_keys (see config.example.toml)")
	}
	path, _ := configPath(g.config)
	cfg, err := serveConfig(a.cfg, path, listen)
	if err != nil {
		return err
	}
	return serveOwned(ctx, a, cfg, path, stdout)
}

// serveOwned runs the server over the ledger until ctx ends, then waits for the scheduler's reads in flight.
// Everything that can refuse to start (the authorized keys, the host key, the port) is checked and bound before the
// scheduler makes its first read, so a start-up error ends the process at once, with no read spent.
func serveOwned(ctx context.Context, a *app, cfg serve.Config, configPath string, stdout io.Writer) error {
	audit, err := openAudit(a.cfg, configPath)
	if err != nil {
		return err
	}
	defer audit.Close()
	logf, err := openLog()
	if err != nil {
		return err
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	d := serve.Deps{Fleet: a.fleet, Intervals: a.cfg.Intervals, Label: a.label, Audit: audit, Log: log, Clock: time.Now}
	if a.sched != nil {
		d.Connect = &a.cfg.Connect
	}
	srv, err := serve.New(cfg, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fleetkey serve: listening on %s (host key %s); %s\n", srv.Addr(), srv.HostKeyFingerprint(),
		sshCommand(srv.Addr().String()))
	if !isLoopbackAddr(srv.Addr()) { // the server logs it too
		fmt.Fprintln(stdout, "fleetkey serve: warning: listening beyond loopback")
	}
	for _, n := range a.notes {
		fmt.Fprintln(stdout, "fleetkey serve: "+n)
	}
	if a.sched == nil {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go a.fleet.Follow(ctx)
		return srv.Serve(ctx)
	}
	a.startRefresh(ctx, log)
	return serveScheduled(ctx, a, srv)
}

// serveScheduled runs the scheduler beside the server, and stops it when the server stops for any reason, so a
// server that fails does not leave the process reading with nobody watching. It returns once the reads in flight
// have ended.
func serveScheduled(ctx context.Context, a *app, srv *serve.Server) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.fleet.Follow(ctx)
	released := a.fleet.Lead(ctx, holderName(), time.Now)
	defer released() // a standby takes over at once, not after the lease's ttl
	done := make(chan struct{})
	go func() { defer close(done); _ = a.sched.Run(ctx, time.Now) }()
	err := srv.Serve(ctx)
	cancel()
	<-done
	return err
}

// serveConfig is [serve] with paths resolved against the config file and the XDG defaults; authorized_keys is required.
func serveConfig(c config.Config, configPath, listen string) (serve.Config, error) {
	s := c.Serve
	if s.AuthorizedKeys == "" {
		return serve.Config{}, fmt.Errorf("%s: [serve] authorized_keys is required: the SSH keys allowed in, each with role=operator or viewer", configPath)
	}
	if listen == "" {
		listen = s.Listen
	}
	hostKey := s.HostKey
	if hostKey == "" {
		var err error
		if hostKey, err = serve.DefaultHostKeyPath(); err != nil {
			return serve.Config{}, err
		}
	}
	return serve.Config{Listen: listen, AuthorizedKeys: configRelative(s.AuthorizedKeys, configPath),
		HostKey: configRelative(hostKey, configPath), MaxSessions: s.MaxSessions, IdleTimeout: s.IdleTimeout}, nil
}

func openAudit(c config.Config, configPath string) (*serve.Audit, error) {
	p := c.Serve.AuditLog
	if p == "" {
		var err error
		if p, err = serve.DefaultAuditPath(); err != nil {
			return nil, err
		}
	}
	return serve.OpenAudit(configRelative(p, configPath))
}

func isLoopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
