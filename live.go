package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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
	kept, _, err := f.ShowKept()
	if err != nil {
		return nil, err
	}
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
	if at, stale := a.fleet.Listed(); err != nil && stale {
		a.notes = append(a.notes, fmt.Sprintf("%v; showing the listing kept at %s", err, at.UTC().Format(time.RFC3339)))
		return nil
	}
	return err
}

// startRefresh lists the vehicles in the background when the kept listing is on show (see liveApp): the rows come
// with the fleet's news once it lands. A failure is logged; the kept listing stays, marked stale.
func (a *app) startRefresh(log *slog.Logger) {
	if !a.refresh {
		return
	}
	a.refresh = false
	go func() {
		if err := a.refreshNow(); err != nil || len(a.notes) > 0 {
			log.Warn("listing", "err", err, "notes", a.notes)
		}
	}()
}
