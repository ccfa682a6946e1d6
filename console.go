package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/ui"
)

// runConsole starts the TUI. Without a terminal on stdin and stdout it prints the list and a hint instead of failing
// to open a TTY.
func runConsole(g globals, stdin *os.File, stdout, stderr io.Writer) int {
	if !isTerminal(stdin) || !isTerminal(stdout) {
		code := runList(g, nil, stdout, stderr)
		fmt.Fprintln(stderr, "fleetkey: no terminal, so this is `fleetkey list`; run it in a terminal for the console, or use `fleetkey list --json`")
		return code
	}
	now := time.Now()
	load := loadOwnApp // refuses while fleetkey serve owns the state
	if g.readOnly {
		load = loadApp
	}
	a, err := load(g, now)
	if err != nil {
		return fail(stderr, err)
	}
	logf, err := openLog()
	if err != nil {
		return fail(stderr, err)
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	entries, err := a.fleet.Entries()
	if err != nil {
		return fail(stderr, err)
	}
	log.Info("console start", "config", a.label, "vehicles", len(entries), "readonly", g.readOnly)
	for _, w := range a.cfg.Warnings {
		log.Warn("config", "warning", w.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := startScheduler(ctx, a, g.readOnly, log)
	if a.served { // read-only: serve's scheduler reads, and this console watches the state file
		a.label = servedLabel + " · " + a.label
		changes = watchState(ctx, a.fleet, entries, watchEvery)
	}
	noColour := os.Getenv("NO_COLOR") != ""
	var conn ui.Connector
	if a.sched != nil {
		conn = connector{f: a.fleet, cfg: a.cfg.Connect}
	}
	m := ui.New(ui.Options{Connector: conn,
		Entries: entries, Intervals: a.cfg.Intervals, Reader: loggedReader{a.fleet, log}, Now: now, Changes: changes,
		Label: a.label, ReadOnly: g.readOnly, NoColour: noColour, AltScreen: true,
		SyncTTY: os.Getenv("SSH_TTY") != "" && os.Getenv("FLEETKEY_NO_SYNC") == "",
	})
	var opts []tea.ProgramOption
	if noColour { // colorprofile honours only NO_COLOR=1/true; no-color.org says any non-empty value
		opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		log.Error("console", "err", err)
		return fail(stderr, err)
	}
	return 0
}

// startScheduler runs the live source's scheduler, which reads the badges in [read] auto as soon as the rules allow,
// and returns its news for the console. Nothing runs for the config source or with --readonly.
func startScheduler(ctx context.Context, a *app, readOnly bool, log *slog.Logger) <-chan fleet.Change {
	if a.sched == nil || readOnly {
		return nil
	}
	go func() {
		if err := a.sched.Run(ctx, time.Now); err != nil && ctx.Err() == nil {
			log.Error("scheduler", "err", err)
		}
	}()
	return a.fleet.Changes(ctx)
}

// servedLabel heads the label of a console attached read-only to the state of a running `fleetkey serve`.
const servedLabel = "read-only: fleetkey serve owns the state"

// watchEvery is how often a console attached to a served state re-reads the state file.
const watchEvery = 2 * time.Second

// watchState feeds a console without a scheduler with what another process writes into the state file: every
// interval until ctx ends, the entry of each vehicle whose record changed since first (or since the last change),
// with the record's new error if it has one. A state that cannot be loaded is news too.
func watchState(ctx context.Context, f *fleet.Fleet, first []fleet.Entry, every time.Duration) <-chan fleet.Change {
	out := make(chan fleet.Change)
	seen := make(map[string]ledger.Record, len(first))
	for _, e := range first {
		seen[e.ID] = e.Record
	}
	go func() {
		defer close(out)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, c := range stateChanges(f, seen) {
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// stateChanges loads the state and returns the changes of the records against seen, which it brings up to date.
func stateChanges(f *fleet.Fleet, seen map[string]ledger.Record) []fleet.Change {
	entries, err := f.Entries()
	if err != nil {
		return []fleet.Change{{Err: fmt.Errorf("watch state: %w", err)}}
	}
	var out []fleet.Change
	for _, e := range entries {
		prev := seen[e.ID]
		if reflect.DeepEqual(prev, e.Record) {
			continue
		}
		seen[e.ID] = e.Record
		c := fleet.Change{Entry: e}
		if e.Record.LastError != "" && e.Record.LastErrorAt.After(prev.LastErrorAt) {
			c.Err = errors.New(e.Record.LastError)
		}
		out = append(out, c)
	}
	return out
}

func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// openLog opens $XDG_STATE_HOME/fleetkey/fleetkey.log: the console never logs to the screen.
func openLog() (*os.File, error) {
	dir, err := ledger.DefaultStateDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	return os.OpenFile(filepath.Join(dir, "fleetkey.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
}

// loggedReader logs every read and its outcome.
type loggedReader struct {
	f   *fleet.Fleet
	log *slog.Logger
}

func (r loggedReader) Read(ctx context.Context, id string, now time.Time) ([]fleet.Entry, error) {
	entries, err := r.f.Read(ctx, id, now)
	r.log.Info("read", "vehicle", id, "at", now.UTC().Format(time.RFC3339), "err", err)
	return entries, err
}

// Retry tries at once what the fleet retries on a backoff (the console's K).
func (r loggedReader) Retry() {
	r.log.Info("retry")
	r.f.Retry()
}
