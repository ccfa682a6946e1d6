package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/ui/safe"
)

// globals are the flags every command takes.
type globals struct {
	config   string
	readOnly bool
	stdin    *os.File // run's standard input, for commands that read answers from it
	// noListing skips the start-up listing of a live fleet: `connect` adds exactly the new user's vehicles.
	noListing bool
	// keptFirst shows the ledger's kept listing at once and lists in the background (the console, serve).
	keptFirst bool
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
	store ledger.Ledger // nil for the demo's memory
	// refresh says the kept listing is on show and the vehicles have not been listed yet (see startRefresh);
	// keptAt is when that listing was fetched (zero when the ledger kept none).
	refresh bool
	keptAt  time.Time
	notes   []string // what opening it did that the user should hear of (an import)
	leave   func()   // waits for the lease's release once the context of Lead ended; nil when not leading
}

// tell writes the notes of opening the fleet (an import, a listing that failed) to w, for a command's user.
func (a *app) tell(w io.Writer) {
	for _, n := range a.notes {
		fmt.Fprintln(w, "fleetkey:", safe.CleanText(n))
	}
}

// Close releases the lease (its context must have ended) and the ledger.
func (a *app) Close() error {
	if a.leave != nil {
		a.leave()
	}
	if a.store == nil {
		return nil
	}
	return a.store.Close()
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

// loadApp loads the config (or the demo) and opens its ledger, importing the old JSON state file on first start. A
// corrupt or newer ledger stops here, never reset. Every process on one ledger is a full console: reads go through
// the ledger's gate, whoever schedules.
func loadApp(g globals, now time.Time) (*app, error) {
	path, explicit := configPath(g.config)
	if _, err := os.Stat(path); !explicit && errors.Is(err, fs.ErrNotExist) || path == "" {
		return demoApp(now) // the demo keeps its state in memory
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	store, notes, err := openLedger(cfg, path, now)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, fleet: fleet.New(cfg, store), label: path, store: store, notes: notes}
	if cfg.Source == config.SourceSmartcar {
		live, err := liveApp(cfg, store, path, !g.noListing, g.keptFirst)
		if err != nil {
			store.Close()
			return nil, err
		}
		live.store, live.notes = store, append(notes, live.notes...)
		a = live
	}
	return a, nil
}

// openLedger opens the config's ledger and imports the old state file into it when that file is there. notes say
// what was imported, for the user.
func openLedger(cfg config.Config, configPath string, now time.Time) (ledger.Ledger, []string, error) {
	url := cfg.State.LedgerURL(os.Getenv)
	if url == "" && cfg.State.URLEnv != "" {
		return nil, nil, fmt.Errorf("%s: the ledger URL is not set: export %s (named by state.url_env)", configPath,
			cfg.State.URLEnv)
	}
	statePath, err := statePathOf(cfg, configPath)
	if err != nil {
		return nil, nil, err
	}
	if url == "" {
		url = "sqlite:" + ledgerBeside(statePath)
	}
	store, err := ledger.Open(url, filepath.Dir(configPath))
	if err != nil {
		return nil, nil, err
	}
	n, backup, err := ledger.Import(store, statePath, now)
	var notes []string
	var kept *ledger.NotRenamedError
	if errors.As(err, &kept) {
		notes, err = append(notes, kept.Error()), nil
	}
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	if backup != "" {
		notes = append(notes, fmt.Sprintf("imported %d vehicle records from %s into the ledger; the file is kept as %s",
			n, statePath, backup))
	}
	return store, notes, nil
}

// ledgerBeside is the default SQLite ledger: beside the old state file, named like it, with .db for .json
// ($XDG_STATE_HOME/fleetkey/state.db by default), so a config that named a state_file keeps its history where the
// user put it.
func ledgerBeside(statePath string) string {
	return strings.TrimSuffix(statePath, ".json") + ".db"
}

// statePathOf is the config's state_file, relative to the config file's directory, or the XDG default: the old JSON
// state, imported into the ledger when it is there.
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
