package main

import (
	"context"
	"fmt"
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
// Listing the vehicles spends no read; reads go through the scheduler, which the console starts.
func liveApp(cfg config.Config, store ledger.Store, path string, list bool) (*app, error) {
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
	if list {
		ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
		defer cancel()
		if err := f.Refresh(ctx, time.Now()); err != nil {
			return nil, err
		}
	}
	return &app{cfg: cfg, fleet: f, sched: sched, label: path + " · smartcar " + sc.Mode}, nil
}
