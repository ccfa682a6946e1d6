// Package ledgertest builds ledger records for tests and benchmarks: a vehicle read well, with the signals a read
// asks for, its values varied by an index so that records differ as a real fleet's do.
package ledgertest

import (
	"fmt"
	"time"

	"fleetkey/fleet/ledger"
)

// VIN returns the made-up VIN of vehicle i.
func VIN(i int) string { return fmt.Sprintf("5YJ3E1EA%dPF%06d", i%10, i) }

// Reading returns a good reading at at of the signals a read asks for; i varies the values.
func Reading(at time.Time, vin string, i int) ledger.Reading {
	ok := ledger.StatusOK
	return ledger.Reading{
		At:        at,
		Battery:   ledger.Value[float64]{Status: ok, V: float64(20 + i%80), Unit: "percent", UpdatedAt: at},
		Range:     ledger.Value[float64]{Status: ok, V: 3.9 * float64(20+i%80), Unit: "km", UpdatedAt: at},
		Charging:  ledger.Value[string]{Status: ok, V: "NOT_CHARGING", UpdatedAt: at},
		PluggedIn: ledger.Value[bool]{Status: ok, V: i%3 == 0, UpdatedAt: at},
		Location: ledger.Value[ledger.Location]{Status: ok, UpdatedAt: at,
			V: ledger.Location{Lat: 52.37 + float64(i%1000)/1e4, Lon: 4.89 - float64(i%700)/1e4, Kind: "CURRENT"}},
		Odometer:  ledger.Value[float64]{Status: ok, V: float64(10_000 + i*7%90_000), Unit: "km", UpdatedAt: at},
		Online:    ledger.Value[bool]{Status: ok, V: true, UpdatedAt: at},
		Asleep:    ledger.Value[bool]{Status: ok, V: false, UpdatedAt: at},
		KeyPaired: ledger.Value[bool]{Status: ok, V: true, UpdatedAt: at},
		VIN:       ledger.Value[string]{Status: ok, V: vin, UpdatedAt: at},
	}
}

// Record returns the record of vehicle i read well at at: the key learned installed, its VIN, and Reading.
func Record(at time.Time, i int) ledger.Record {
	vin := VIN(i)
	r := Reading(at, vin, i)
	return ledger.Record{LastReadAt: at, Key: "installed", KeyAt: at,
		KeySource: "signal connectivitystatus-isdigitalkeypaired", VIN: vin, VINAt: at, AsleepAt: at, Reading: &r,
		UpdatedAt: at}
}
