package main

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
)

// keptRecords returns the records of the ledger the config at cfgPath uses by default: beside its state_file.
func keptRecords(t *testing.T, cfgPath string) map[string]ledger.Record {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	statePath, err := statePathOf(cfg, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	store, err := ledger.OpenSQLite(ledgerBeside(statePath))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	return st.Vehicles
}

// TestListKeptWhenSmartcarDown: `list --json` with Smartcar down still prints the fleet, from the listing the ledger
// kept at the last start, and says on stderr that the listing failed and the kept one is shown.
func TestListKeptWhenSmartcarDown(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "")
	up := slices.Sorted(maps.Keys(listJSON(t, "--config", cfg)))
	if len(up) != 3 {
		t.Fatalf("list --json with Smartcar up shows %d vehicles, want the 3 connections", len(up))
	}
	srv.Close()

	r := runCLI(t, "list", "--json", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("list --json with Smartcar down = %d, want 0: the kept listing is there; stderr: %s", r.code, r.stderr)
	}
	var out []struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("list --json with Smartcar down printed %q: %v", r.stdout, err)
	}
	down := make([]string, len(out))
	for i, v := range out {
		down[i] = v.ID
	}
	if slices.Sort(down); !slices.Equal(down, up) {
		t.Errorf("list --json with Smartcar down shows %q, want the kept %q", down, up)
	}
	for _, want := range []string{"list vehicles: stopped after 0", "listing kept at "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr with Smartcar down = %q, want it to say %q", r.stderr, want)
		}
	}
}

// TestReadWhenSmartcarDown: `read` with Smartcar down fails with the reason and exit 1, and spends nothing: the
// vehicle's record in the ledger is as it was.
func TestReadWhenSmartcarDown(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg := liveConfig(t, srv, "")
	if got := listJSON(t, "--config", cfg); len(got) != 3 {
		t.Fatalf("list --json with Smartcar up shows %d vehicles, want 3", len(got))
	}
	srv.Close()
	before := keptRecords(t, cfg)

	r := runCLI(t, "--config", cfg, "read", "veh-paired")
	if r.code != 1 {
		t.Fatalf("read with Smartcar down = %d, want 1; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "read veh-paired") || !strings.Contains(r.stderr, "unreachable") {
		t.Errorf("stderr of the read with Smartcar down = %q, want the vehicle and the reason", r.stderr)
	}
	after := keptRecords(t, cfg)
	if !reflect.DeepEqual(after["veh-paired"], before["veh-paired"]) {
		t.Errorf("the failed read changed the record:\n before %+v\n after  %+v", before["veh-paired"],
			after["veh-paired"])
	}
	if rec := after["veh-paired"]; !rec.ReadAt().IsZero() {
		t.Errorf("the failed read spent the budget: the record's read time is %v, want none", rec.ReadAt())
	}
}
