package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
)

// globals are the flags every command takes.
type globals struct {
	config   string
	readOnly bool
	stdin    *os.File // run's standard input, for commands that read answers from it
	// noListing skips the start-up listing of a live fleet: `connect` adds exactly the new user's vehicles.
	noListing bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config, "config file (default $FLEETKEY_CONFIG, then $XDG_CONFIG_HOME/fleetkey/config.toml)")
	fs.BoolVar(&g.readOnly, "readonly", g.readOnly, "hide and disable everything that changes state")
}

// app is a loaded fleet: its config, its state store and how to label it.
type app struct {
	cfg   config.Config
	fleet *fleet.Fleet
	sched *schedule.Scheduler // nil for the config source
	label string              // "demo" or the config path
	demo  bool
	// served says a running `fleetkey serve` owns the state: this process may watch it, and change nothing.
	served bool
}

// configPath finds the config: the flag, then $FLEETKEY_CONFIG, then the XDG default. explicit says whether the user
// named it (a missing named file is an error; a missing default means the demo).
func configPath(flagValue string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	if p := os.Getenv("FLEETKEY_CONFIG"); p != "" {
		return p, true
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "fleetkey", "config.toml"), false
}

// loadApp loads the config (or the demo) and opens its state. A corrupt state file stops here, never reset. It works
// while `fleetkey serve` owns the state, and says so in app.served; loadOwnApp is for what would change the state.
func loadApp(g globals, now time.Time) (*app, error) { return openApp(g, now, false) }

// loadOwnApp is loadApp for a command that reads vehicles or changes the state: while `fleetkey serve` owns the
// state it refuses with a *servedError, before any request to the API.
func loadOwnApp(g globals, now time.Time) (*app, error) { return openApp(g, now, true) }

func openApp(g globals, now time.Time, own bool) (*app, error) {
	path, explicit := configPath(g.config)
	if _, err := os.Stat(path); !explicit && errors.Is(err, fs.ErrNotExist) || path == "" {
		return demoApp(now) // the demo keeps its state in memory: no serve can own it
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	statePath, err := statePathOf(cfg, path)
	if err != nil {
		return nil, err
	}
	served, err := checkServed(cfg, statePath, own)
	if err != nil {
		return nil, err
	}
	store := ledger.OpenStateFile(statePath)
	if _, err := store.Load(); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, fleet: fleet.New(cfg, store), label: path}
	if cfg.Source == config.SourceSmartcar {
		if a, err = liveApp(cfg, store, path, !g.noListing); err != nil {
			return nil, err
		}
	}
	a.served = served
	return a, nil
}

// statePathOf is the config's state_file, relative to the config file's directory, or the XDG default.
func statePathOf(cfg config.Config, configPath string) (string, error) {
	switch {
	case cfg.StateFile == "":
		return ledger.DefaultStatePath()
	case filepath.IsAbs(cfg.StateFile):
		return cfg.StateFile, nil
	}
	return filepath.Join(filepath.Dir(configPath), cfg.StateFile), nil
}

// demoApp runs on the embedded example fleet, with read history placed around now and kept in memory only.
func demoApp(now time.Time) (*app, error) {
	cfg, err := config.Parse("config.example.toml (embedded demo)", demoConfig)
	if err != nil {
		return nil, fmt.Errorf("embedded demo config: %w", err)
	}
	store := ledger.NewMemoryStore(fleet.DemoState(cfg.Vehicles, cfg.Intervals, now))
	return &app{cfg: cfg, fleet: fleet.New(cfg, store), label: "demo", demo: true}, nil
}

// servedError refuses a command while `fleetkey serve` owns the state, and says how to reach the console instead.
type servedError struct {
	owned  *ledger.OwnedError
	listen string // [serve] listen
}

func (e *servedError) Error() string {
	pid := "pid unknown"
	if e.owned.PID > 0 {
		pid = fmt.Sprintf("pid %d", e.owned.PID)
	}
	return fmt.Sprintf("fleetkey serve (%s) owns %s: use `%s` to reach the console, or `fleetkey --readonly` to watch",
		pid, e.owned.Path, sshCommand(e.listen))
}

func (e *servedError) Unwrap() error { return e.owned }

// checkServed reports whether `fleetkey serve` owns the state file; when own is set, that is a *servedError.
func checkServed(cfg config.Config, statePath string, own bool) (bool, error) {
	pid, held, err := ledger.OwnerOf(statePath)
	if err != nil {
		return false, err
	}
	if held && own {
		return true, &servedError{owned: &ledger.OwnedError{Path: statePath, PID: pid}, listen: cfg.Serve.Listen}
	}
	return held, nil
}

// ownState is nil unless `fleetkey serve` owns the state of the config at configPath: then a *servedError.
func ownState(cfg config.Config, configPath string) error {
	statePath, err := statePathOf(cfg, configPath)
	if err != nil {
		return err
	}
	_, err = checkServed(cfg, statePath, true)
	return err
}

// sshCommand is the command that reaches, from this box, a serve listening on listen ("127.0.0.1:2222").
func sshCommand(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "ssh " + listen // the config checks listen, so this is not expected
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost" // listening on every interface
	}
	return "ssh -p " + port + " " + host
}
