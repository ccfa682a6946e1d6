package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/fleet/smartcar"
)

// listTimeout bounds the listing of the connected vehicles at start-up.
const listTimeout = time.Minute

// liveApp connects to Smartcar: the secret comes from the environment variable the config names, never from a file.
// It shows the listing the ledger kept at once; with list it refreshes it first, unless there is a kept one and the
// caller refreshes in the background (background: see startRefresh). A refresh that fails beside a kept listing leaves that listing on
// show, marked stale, and says so in a.notes. Listing spends no read; reads go through the scheduler.
func liveApp(cfg config.Config, store ledger.Ledger, path string, list, background bool) (*app, error) {
	sc := cfg.Smartcar
	secret := os.Getenv(sc.ClientSecretEnv)
	if secret == "" {
		return nil, fmt.Errorf("%s: the client secret is not set: export %s (named by smartcar.client_secret_env)",
			path, sc.ClientSecretEnv)
	}
	client, err := smartcar.New(smartcar.Config{ClientID: sc.ClientID, ClientSecret: secret, APIBase: sc.APIBase,
		TokenURL: sc.TokenURL, UnitSystem: sc.UnitSystem, MaxSignalPages: 1}) // one read is one request
	if err != nil {
		return nil, err
	}
	api := fleet.NewSmartcarAPI(client, sc.Mode, time.Now)
	sched := schedule.New(schedule.Config{Intervals: cfg.Intervals, Auto: cfg.Auto,
		BucketSize: sc.BucketSize, RefillPerMinute: sc.RefillPerMinute}, store, api)
	f := fleet.NewLive(cfg, store, api, sched)
	a := &app{cfg: cfg, fleet: f, sched: sched, label: path + " · smartcar " + sc.Mode}
	kept, keptAt, err := f.ShowKept()
	if err != nil {
		return nil, err
	}
	a.keptAt = keptAt
	if !list {
		return a, nil
	}
	if kept > 0 && background {
		a.refresh = true
		return a, nil
	}
	return a, a.refreshNow()
}

// refreshNow lists the vehicles, within listTimeout. With a kept listing on show, a failure is a note, not an
// error: the fleet and its budgets are still there.
func (a *app) refreshNow() error {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	err := a.fleet.Refresh(ctx, time.Now())
	if l := a.fleet.Listed(); err != nil && l.Stale {
		var shown []string
		if l.Got > 0 {
			shown = append(shown, fmt.Sprintf("the %d it listed", l.Got))
		}
		if !a.keptAt.IsZero() {
			shown = append(shown, "the listing kept at "+a.keptAt.UTC().Format(time.RFC3339))
		}
		a.notes = append(a.notes, fmt.Sprintf("%v; showing %s", err, strings.Join(shown, ", then ")))
		a.refresh = true // a console or serve goes on in the background, where it stopped
		return nil
	}
	return err
}

// startRefresh lists the vehicles in the background, paced by the app-wide bucket, when the kept listing or a part
// is on show (see liveApp): the rows come with the fleet's news, page by page. A failure is logged and shown; the
// rows stay, marked stale.
func (a *app) startRefresh(ctx context.Context, log *slog.Logger) {
	if !a.refresh {
		return
	}
	a.refresh = false
	go func() {
		if err := a.fleet.RefreshPaced(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("listing", "err", err)
		}
	}()
}
