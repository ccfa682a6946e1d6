package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"fleetkey/fleet"
)

// globals are the flags every command takes.
type globals struct {
	config   string
	readOnly bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config, "config file (default $FLEETKEY_CONFIG, then $XDG_CONFIG_HOME/fleetkey/config.toml)")
	fs.BoolVar(&g.readOnly, "readonly", g.readOnly, "hide and disable everything that changes state")
}

// app is a loaded fleet: its config, its state store and how to label it.
type app struct {
	cfg   fleet.Config
	fleet *fleet.Fleet
	sched *fleet.Scheduler // nil for the config source
	label string           // "demo" or the config path
	demo  bool
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

// loadApp loads the config (or the demo) and opens its state. A corrupt state file stops here, never reset.
func loadApp(g globals, now time.Time) (*app, error) {
	path, explicit := configPath(g.config)
	if _, err := os.Stat(path); !explicit && errors.Is(err, fs.ErrNotExist) || path == "" {
		return demoApp(now)
	}
	cfg, err := fleet.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	statePath, err := statePathOf(cfg, path)
	if err != nil {
		return nil, err
	}
	store := fleet.OpenStateFile(statePath)
	if _, err := store.Load(); err != nil {
		return nil, err
	}
	if cfg.Source == fleet.SourceSmartcar {
		return liveApp(cfg, store, path)
	}
	return &app{cfg: cfg, fleet: fleet.New(cfg, store), label: path}, nil
}

// statePathOf is the config's state_file, relative to the config file's directory, or the XDG default.
func statePathOf(cfg fleet.Config, configPath string) (string, error) {
	switch {
	case cfg.StateFile == "":
		return fleet.DefaultStatePath()
	case filepath.IsAbs(cfg.StateFile):
		return cfg.StateFile, nil
	}
	return filepath.Join(filepath.Dir(configPath), cfg.StateFile), nil
}

// demoApp runs on the embedded example fleet, with read history placed around now and kept in memory only.
func demoApp(now time.Time) (*app, error) {
	cfg, err := fleet.ParseConfig("config.example.toml (embedded demo)", demoConfig)
	if err != nil {
		return nil, fmt.Errorf("embedded demo config: %w", err)
	}
	store := fleet.NewMemoryStore(fleet.DemoState(cfg.Vehicles, cfg.Intervals, now))
	return &app{cfg: cfg, fleet: fleet.New(cfg, store), label: "demo", demo: true}, nil
}
