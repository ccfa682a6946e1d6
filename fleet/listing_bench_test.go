package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/ledger/ledgertest"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
)

// keptVehicles is the fleet size of BenchmarkFirstRowKept.
const keptVehicles = 100_000

// BenchmarkFirstRowKept measures how soon a console shows its first row over the listing its ledger kept, at 100 000
// vehicles: from opening the SQLite ledger that holds the kept listing (PutListing, in pages of 1 000) and every
// vehicle's record, through the scheduler, fleet.NewLive and ShowKept, as a live start does (see liveApp), to the
// rows (Entries). The ledger file is in the page cache, as after a restart; nothing is listed or read. open-ms,
// kept-ms and entries-ms split the time: OpenSQLite; NewLive and ShowKept; Entries.
//
//	go test ./fleet -run '^$' -bench FirstRowKept -count 3
func BenchmarkFirstRowKept(b *testing.B) {
	path := keptLedger(b, keptVehicles)
	cfg := config.Config{Intervals: policy.DefaultIntervals(), Account: config.Account{Plan: config.PlanFree}}
	api := idleAPI{}
	var open, kept, rows time.Duration
	for b.Loop() {
		began := time.Now()
		l, err := ledger.OpenSQLite(path)
		if err != nil {
			b.Fatal(err)
		}
		opened := time.Now()
		sched := schedule.New(schedule.Config{Intervals: cfg.Intervals}, l, api)
		f := fleet.NewLive(cfg, l, api, sched)
		n, _, err := f.ShowKept()
		if err != nil || n != keptVehicles {
			b.Fatalf("ShowKept() = %d, %v; want %d", n, err, keptVehicles)
		}
		shown := time.Now()
		entries, err := f.Entries()
		if err != nil || len(entries) != keptVehicles || entries[0].Record.DataAt().IsZero() {
			b.Fatalf("Entries() = %d entries, %v; want %d with the times of their readings", len(entries), err, keptVehicles)
		}
		open, kept, rows = open+opened.Sub(began), kept+shown.Sub(opened), rows+time.Since(shown)
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	for _, m := range []struct {
		d    time.Duration
		unit string
	}{{open, "open-ms"}, {kept, "kept-ms"}, {rows, "entries-ms"}} {
		b.ReportMetric(float64(m.d)/float64(b.N)/1e6, m.unit)
	}
}

// keptLedger writes a SQLite ledger holding the kept listing of n vehicles and a read history for each, and returns
// its path.
func keptLedger(tb testing.TB, n int) string {
	path := filepath.Join(tb.TempDir(), "ledger.db")
	l, err := ledger.OpenSQLite(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	listedAt := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	st := ledger.State{Vehicles: make(map[string]ledger.Record, n)}
	page := make([]ledger.Listed, 0, 1000)
	for i := range n {
		id := fmt.Sprintf("%08x-4b1e-4c2d-9f3a-%012d", i*2654435761%(1<<32), i)
		data, err := json.Marshal(schedule.RemoteVehicle{ID: id, UserID: fmt.Sprintf("user-%06d", i/3), Make: "TESLA",
			Model: []string{"Model 3", "Model Y", "Model S"}[i%3], Year: 2019 + i%7, Mode: "live",
			Permissions: []string{"read_battery", "read_charge", "read_location", "read_odometer", "read_vin"}})
		if err != nil {
			tb.Fatal(err)
		}
		if page = append(page, ledger.Listed{ID: id, Data: data}); len(page) == cap(page) || i == n-1 {
			if err := l.PutListing(page, listedAt, i == n-1); err != nil {
				tb.Fatal(err)
			}
			page = page[:0]
		}
		st.Vehicles[id] = ledgertest.Record(listedAt.Add(-time.Duration(i%480)*time.Minute), i)
	}
	if err := ledger.Put(l, st, listedAt); err != nil {
		tb.Fatal(err)
	}
	return path
}

// idleAPI is a fleet.API that lists nothing and reads nothing: the benchmark never calls it.
type idleAPI struct{}

func (idleAPI) Prepare(context.Context) error { return nil }

func (idleAPI) Read(context.Context, schedule.RemoteVehicle) (ledger.Reading, error) {
	return ledger.Reading{}, nil
}

func (idleAPI) Vehicles(context.Context) ([]schedule.RemoteVehicle, error) { return nil, nil }
