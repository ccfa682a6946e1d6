package fleet

import (
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/smartcar"
)

// The signal codes a read turns into a ledger.Reading.
const (
	sigBattery   = "tractionbattery-stateofcharge"
	sigRange     = "tractionbattery-range"
	sigCharging  = "charge-detailedchargingstatus"
	sigPlug      = "charge-ischargingcableconnected"
	sigLocation  = "location-preciselocation"
	sigOdometer  = "odometer-traveleddistance"
	sigOnline    = "connectivitystatus-isonline"
	sigAsleep    = "connectivitystatus-isasleep"
	sigKeyPaired = "connectivitystatus-isdigitalkeypaired"
	sigVIN       = "vehicleidentification-vin"
)

// keyRequiredCode is the error code that says the owner has not installed the virtual key.
const keyRequiredCode = "VIRTUAL_KEY_REQUIRED"

// readingOf turns the signals of one answer into a ledger.Reading. A signal that failed, or whose body does not decode,
// keeps its status and error, so the previous good value can be kept by the state.
func readingOf(sigs []smartcar.Signal, at time.Time) ledger.Reading {
	r := ledger.Reading{At: at}
	for _, s := range sigs {
		if s.Status != string(ledger.StatusOK) {
			noteFailure(&r, s)
		}
		setSignal(&r, s)
	}
	return r
}

// noteFailure records in r that signal s failed, and whether it said the virtual key is missing.
func noteFailure(r *ledger.Reading, s smartcar.Signal) {
	if r.Failures == nil {
		r.Failures = map[string]string{}
	}
	r.Failures[s.Code] = s.ErrType + ":" + s.ErrCode
	if s.ErrCode == keyRequiredCode {
		r.KeyMissing = true
	}
}

// setSignal sets the field of r that signal s reads.
func setSignal(r *ledger.Reading, s smartcar.Signal) {
	switch s.Code {
	case sigBattery:
		r.Battery = number(s)
	case sigRange:
		r.Range = number(s)
	case sigOdometer:
		r.Odometer = number(s)
	case sigCharging:
		r.Charging = text(s)
	case sigVIN:
		r.VIN = text(s)
	case sigPlug:
		r.PluggedIn = boolean(s)
	case sigOnline:
		r.Online = boolean(s)
	case sigAsleep:
		r.Asleep = boolean(s)
	case sigKeyPaired:
		r.KeyPaired = boolean(s)
	case sigLocation:
		r.Location = location(s)
	}
}

// value starts a Value from a signal's status; decode fills V when the status is OK, or marks a body that does not
// decode as an error.
func value[T any](s smartcar.Signal, decode func() (T, string, error)) ledger.Value[T] {
	v := ledger.Value[T]{Status: ledger.Status(s.Status), UpdatedAt: s.OEMUpdatedAt}
	if !v.OK() {
		v.Err = s.ErrType + ":" + s.ErrCode
		return v
	}
	x, unit, err := decode()
	if err != nil {
		return ledger.Value[T]{Status: ledger.StatusError, Err: "DECODE:" + err.Error(), UpdatedAt: s.OEMUpdatedAt}
	}
	v.V, v.Unit = x, unit
	return v
}

func number(s smartcar.Signal) ledger.Value[float64] { return value(s, s.Number) }

func text(s smartcar.Signal) ledger.Value[string] {
	return value(s, func() (string, string, error) { x, err := s.String(); return x, "", err })
}

func boolean(s smartcar.Signal) ledger.Value[bool] {
	return value(s, func() (bool, string, error) { x, err := s.Bool(); return x, "", err })
}

func location(s smartcar.Signal) ledger.Value[ledger.Location] {
	return value(s, func() (ledger.Location, string, error) {
		lat, lon, kind, err := s.Location()
		return ledger.Location{Lat: lat, Lon: lon, Kind: kind}, "", err
	})
}
