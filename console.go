package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
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
	g.keptFirst = true
	a, err := loadApp(g, now)
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
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
	for _, n := range a.notes {
		log.Info("ledger", "note", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := startShared(ctx, a, g.readOnly, log)
	a.startRefresh(ctx, log)
	var health schedule.Health
	if a.sched != nil {
		health = a.sched.Status(now).Health
	}
	noColour := os.Getenv("NO_COLOR") != ""
	var conn ui.Connector
	if a.sched != nil {
		conn = connector{f: a.fleet, cfg: a.cfg.Connect}
	}
	m := ui.New(ui.Options{Connector: conn,
		Entries: entries, Intervals: a.cfg.Intervals, Reader: loggedReader{a.fleet, log}, Records: a.fleet, Now: now, Changes: changes,
		Label: a.label, ReadOnly: g.readOnly, Listing: a.fleet.Listed(), Notes: a.notes, Health: health, NoColour: noColour, AltScreen: true,
		SyncTTY: os.Getenv("SSH_TTY") != "" && os.Getenv("FLEETKEY_NO_SYNC") == "",
	})
	var opts []tea.ProgramOption
	if noColour { // colorprofile honours only NO_COLOR=1/true; no-color.org says any non-empty value
		opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
	}
	// Loading a large config and its ledger leaves garbage several times the size of what the console keeps; hand
	// it back to the system once, beside the first frame, rather than hold it resident for the console's life.
	go debug.FreeOSMemory()
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		log.Error("console", "err", err)
		return fail(stderr, err)
	}
	return 0
}

// startShared joins the processes on the ledger and returns the fleet's news for the console: it follows what the
// others write, and for the live source takes part in the lease and runs the scheduler, which reads the badges in
// [read] auto while this process holds the lease. With --readonly it only follows.
func startShared(ctx context.Context, a *app, readOnly bool, log *slog.Logger) <-chan fleet.Change {
	go a.fleet.Follow(ctx)
	if a.sched == nil || readOnly {
		a.fleet.Watch(ctx, time.Now)
		return a.fleet.Changes(ctx)
	}
	a.leave = a.fleet.Lead(ctx, holderName(), time.Now)
	go func() {
		if err := a.sched.Run(ctx, time.Now); err != nil && ctx.Err() == nil {
			log.Error("scheduler", "err", err)
		}
	}()
	return a.fleet.Changes(ctx)
}

// holderName names this process in the ledger's lease: "host pid N".
func holderName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
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
