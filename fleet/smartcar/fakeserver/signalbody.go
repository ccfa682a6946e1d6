package fakeserver

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"fleetkey/policy"
)

// signalPageSize is the page size the signals list reports; every signal fits on page 1.
const signalPageSize = 50

// kmPerMile converts the car's kilometres for SC-Unit-System: imperial.
const kmPerMile = 1.609344

// The signal codes the fake serves, in the order it lists them.
const (
	CodeBattery      = "tractionbattery-stateofcharge"
	CodeRange        = "tractionbattery-range"
	CodeIsCharging   = "charge-ischarging"
	CodeChargeStatus = "charge-detailedchargingstatus"
	CodePlugged      = "charge-ischargingcableconnected"
	CodeLocation     = "location-preciselocation"
	CodeOdometer     = "odometer-traveleddistance"
	CodeOnline       = "connectivitystatus-isonline"
	CodeAsleep       = "connectivitystatus-isasleep"
	CodeKeyPaired    = "connectivitystatus-isdigitalkeypaired"
	CodeVIN          = "vehicleidentification-vin"
)

// signalSpec is one signal the fake serves. body returns nil when the car has no value (UNAVAILABLE).
type signalSpec struct {
	code, name, group, perm string
	needsKey                bool // answers VIRTUAL_KEY_REQUIRED when the car's key is required
	body                    func(c Car, imperial bool) obj
}

var signalSpecs = []signalSpec{
	{CodeBattery, "StateOfCharge", "TractionBattery", "read_battery", true, func(c Car, _ bool) obj {
		return obj{"unit": "percent", "value": c.Battery}
	}},
	{CodeRange, "Range", "TractionBattery", "read_battery", true, rangeBody},
	{CodeIsCharging, "IsCharging", "Charge", "read_charge", true, func(c Car, _ bool) obj {
		return obj{"value": chargingStatus(c) == "CHARGING"}
	}},
	{CodeChargeStatus, "DetailedChargingStatus", "Charge", "read_charge", true, func(c Car, _ bool) obj {
		return obj{"value": chargingStatus(c)}
	}},
	{CodePlugged, "IsChargingCableConnected", "Charge", "read_charge", true, func(c Car, _ bool) obj {
		return obj{"value": c.Plugged}
	}},
	{CodeLocation, "PreciseLocation", "Location", "read_location", true, locationBody},
	{CodeOdometer, "TraveledDistance", "Odometer", "read_odometer", true, func(c Car, imperial bool) obj {
		v, unit := distance(c.OdometerKM, imperial)
		return obj{"unit": unit, "value": v}
	}},
	{CodeOnline, "IsOnline", "ConnectivityStatus", "read_vehicle_info", false, func(c Car, _ bool) obj {
		return obj{"value": c.Online}
	}},
	{CodeAsleep, "IsAsleep", "ConnectivityStatus", "read_vehicle_info", false, func(c Car, _ bool) obj {
		return obj{"value": c.Asleep}
	}},
	{CodeKeyPaired, "IsDigitalKeyPaired", "ConnectivityStatus", "read_vehicle_info", false, func(c Car, _ bool) obj {
		return obj{"value": keyStatus(c) == policy.KeyPaired}
	}},
	{CodeVIN, "Vin", "VehicleIdentification", "read_vin", false, func(c Car, _ bool) obj {
		if c.VIN == "" {
			return nil
		}
		return obj{"value": c.VIN}
	}},
}

func chargingStatus(c Car) string {
	if c.Charging == "" {
		return "NOT_CHARGING"
	}
	return c.Charging
}

func distance(km float64, imperial bool) (float64, string) {
	if imperial {
		return km / kmPerMile, "miles"
	}
	return km, "kilometers"
}

func rangeBody(c Car, imperial bool) obj {
	v, unit := distance(c.RangeKM, imperial)
	return obj{"unit": unit, "value": v, "additionalValues": []obj{
		{"type": "ESTIMATED", "value": v}, {"type": "IDEAL_CONDITIONS", "value": v * 1.1}}}
}

func locationBody(c Car, _ bool) obj {
	kind := "CURRENT"
	if !c.Online || c.Asleep {
		kind = "LAST_PARKED"
	}
	return obj{"latitude": c.Lat, "longitude": c.Lon, "heading": 0, "direction": "N", "locationType": kind}
}

// outcome is a signal's status and, on SUCCESS, its body.
func outcome(c Car, sp signalSpec, imperial bool) (status, body obj) {
	if f, ok := c.SignalErrors[sp.code]; ok {
		return errorStatus(f), nil
	}
	if slices.Contains(c.Unavailable, sp.code) {
		return obj{"value": "UNAVAILABLE"}, nil
	}
	switch {
	case c.Permissions != nil && !slices.Contains(c.Permissions, sp.perm):
		return errorStatus(Failure{Type: "PERMISSION", Code: "UNKNOWN",
			Detail: "The connection was not granted " + sp.perm + "."}), nil
	case c.KeyRequired && sp.needsKey:
		return errorStatus(Failure{Type: "CONNECTED_SERVICES_ACCOUNT", Code: "VIRTUAL_KEY_REQUIRED",
			Detail: "The vehicle owner needs to grant additional access to Smartcar in order to perform this request."}), nil
	case sp.code == CodeKeyPaired && keyStatus(c) == policy.KeyUnknown:
		return errorStatus(Failure{Type: "COMPATIBILITY", Code: "VEHICLE_NOT_CAPABLE",
			Detail: "The vehicle is not capable of reporting this signal."}), nil
	}
	if body = sp.body(c, imperial); body == nil {
		return obj{"value": "UNAVAILABLE"}, nil
	}
	return obj{"value": "SUCCESS"}, body
}

// errorStatus is a signal's status.error for f.
func errorStatus(f Failure) obj {
	f = f.withDefaults()
	return obj{"value": "ERROR", "error": obj{"type": f.Type, "code": nullable(f.Code), "description": f.Detail,
		"resolution": f.resolution()}}
}

// timestamp is t as epoch milliseconds, or as an ISO 8601 string.
func timestamp(t time.Time, iso bool) any {
	if iso {
		return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return t.UnixMilli()
}

func unitSystem(r *http.Request) string {
	if strings.EqualFold(r.Header.Get("SC-Unit-System"), "imperial") {
		return "imperial"
	}
	return "metric"
}

// signalObject is one signal resource of a read.
func signalObject(r *http.Request, c Car, sp signalSpec, now time.Time, iso bool) obj {
	status, body := outcome(c, sp, unitSystem(r) == "imperial")
	attrs := obj{"code": sp.code, "name": sp.name, "group": sp.group, "status": status}
	meta := obj{"retrievedAt": timestamp(now, iso)}
	if body != nil {
		attrs["body"] = body
		oem := c.OEMUpdatedAt
		if oem.IsZero() {
			oem = now
		}
		meta["oemUpdatedAt"] = timestamp(oem, iso)
	}
	self := absURL(r, "/v3/vehicles/"+c.VehicleID+"/signals/"+sp.code)
	return obj{"id": sp.code, "type": "signal", "attributes": attrs, "meta": meta,
		"links": obj{"self": self, "values": self + "/values", "vehicle": absURL(r, "/v3/vehicles/"+c.VehicleID)}}
}

// readBody is the answer to a read: the signals list, or with code the one signal (no data wrapper). found is false
// for a code the car does not serve, and for any code when the store is empty.
func readBody(r *http.Request, c Car, now time.Time, code string, iso bool) (body any, found bool) {
	sigs := []obj{}
	for _, sp := range signalSpecs {
		if !c.EmptyStore && (code == "" || sp.code == code) {
			sigs = append(sigs, signalObject(r, c, sp, now, iso))
		}
	}
	if code != "" {
		if len(sigs) == 0 {
			return nil, false
		}
		return sigs[0], true
	}
	self := absURL(r, "/v3/vehicles/"+c.VehicleID+"/signals") + "?page=1&pageSize=" + strconv.Itoa(signalPageSize)
	return obj{
		"data":     sigs,
		"meta":     obj{"page": 1, "pageSize": signalPageSize, "totalCount": len(sigs)},
		"links":    obj{"self": self, "first": self, "previous": nil, "next": nil, "last": self},
		"included": obj{"vehicle": vehicleObject(r, c, false)},
	}, true
}
