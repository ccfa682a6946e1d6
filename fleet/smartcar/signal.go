package smartcar

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// The statuses of a signal.
const (
	StatusSuccess     = "SUCCESS"
	StatusError       = "ERROR"
	StatusUnavailable = "UNAVAILABLE"
)

// The ErrType and ErrCode of a signal item that could not be decoded.
const (
	MalformedType = "CLIENT"
	MalformedCode = "MALFORMED_SIGNAL"
)

// Signal is one signal of a read. Its Body is decoded on demand by Bool, Number, String, Strings and Location, which
// fail unless Status is StatusSuccess. An item that cannot be decoded is kept (with whatever code could be read) as
// Status StatusError, ErrType MalformedType, ErrCode MalformedCode, so one odd item never loses the others.
type Signal struct {
	Code             string // e.g. tractionbattery-stateofcharge
	Status           string // StatusSuccess, StatusError or StatusUnavailable, upper-cased as sent
	ErrType, ErrCode string // status.error when not StatusSuccess (e.g. COMPATIBILITY, VEHICLE_NOT_CAPABLE)
	ErrDetail        string // status.error.description
	Body             json.RawMessage
	// OEMUpdatedAt is when the vehicle last updated the value; zero when absent or unreadable. Accepts epoch
	// seconds, epoch milliseconds and ISO-8601 strings.
	OEMUpdatedAt time.Time
	RetrievedAt  time.Time // when Smartcar retrieved it; same formats
}

// Bool decodes a {"value": true} body.
func (s Signal) Bool() (bool, error) { return value[bool](s) }

// String decodes a {"value": "…"} body.
func (s Signal) String() (string, error) { return value[string](s) }

// Number decodes a {"value": 75, "unit": "percent"} body (unit may be absent). Other fields, such as a range's
// additionalValues, are ignored: value is the best estimate.
func (s Signal) Number() (value float64, unit string, err error) {
	var b struct {
		Value *float64 `json:"value"`
		Unit  string   `json:"unit"`
	}
	if err := s.decode(&b); err != nil {
		return 0, "", err
	}
	if b.Value == nil {
		return 0, "", fmt.Errorf("signal %s: body has no value", s.Code)
	}
	return *b.Value, b.Unit, nil
}

// Strings decodes a {"values": ["…", …]} body, such as vehicleuseraccount-permissions.
func (s Signal) Strings() ([]string, error) {
	var b struct {
		Values *[]string `json:"values"`
	}
	if err := s.decode(&b); err != nil {
		return nil, err
	}
	if b.Values == nil {
		return nil, fmt.Errorf("signal %s: body has no values", s.Code)
	}
	return *b.Values, nil
}

// Location decodes a location-preciselocation body; kind is its locationType (CURRENT or LAST_PARKED, or "").
func (s Signal) Location() (lat, lon float64, kind string, err error) {
	var b struct {
		Latitude     *float64 `json:"latitude"`
		Longitude    *float64 `json:"longitude"`
		LocationType string   `json:"locationType"`
	}
	if err := s.decode(&b); err != nil {
		return 0, 0, "", err
	}
	switch {
	case b.Latitude == nil || b.Longitude == nil:
		return 0, 0, "", fmt.Errorf("signal %s: body has no latitude or longitude", s.Code)
	case math.Abs(*b.Latitude) > 90 || math.Abs(*b.Longitude) > 180:
		return 0, 0, "", fmt.Errorf("signal %s: position %g, %g is off the globe", s.Code, *b.Latitude, *b.Longitude)
	}
	return *b.Latitude, *b.Longitude, b.LocationType, nil
}

// value decodes a {"value": T} body.
func value[T any](s Signal) (T, error) {
	var zero T
	var b struct {
		Value *T `json:"value"`
	}
	if err := s.decode(&b); err != nil {
		return zero, err
	}
	if b.Value == nil {
		return zero, fmt.Errorf("signal %s: body has no value", s.Code)
	}
	return *b.Value, nil
}

// decode checks the status and decodes the body into v.
func (s Signal) decode(v any) error {
	if s.Status != StatusSuccess {
		kind := strings.Trim(s.ErrType+":"+s.ErrCode, ":")
		return fmt.Errorf("signal %s: status %s %s", s.Code, s.Status, kind)
	}
	if err := json.Unmarshal(s.Body, v); err != nil {
		return fmt.Errorf("signal %s: body: %w", s.Code, err)
	}
	return nil
}

// wireStatus is a signal's attributes.status.
type wireStatus struct {
	Value string `json:"value"`
	Error *struct {
		Type        string `json:"type"`
		Code        string `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
}

// decodeSignal decodes one item of a signals answer, layer by layer so that a field of the wrong type spoils only
// itself. An item without a code or a readable status is marked malformed.
func decodeSignal(raw json.RawMessage) Signal {
	var item struct {
		Attributes struct {
			Code   json.RawMessage `json:"code"`
			Status json.RawMessage `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"attributes"`
		Meta struct {
			RetrievedAt  json.RawMessage `json:"retrievedAt"`
			OEMUpdatedAt json.RawMessage `json:"oemUpdatedAt"`
		} `json:"meta"`
	}
	malformed := Signal{Status: StatusError, ErrType: MalformedType, ErrCode: MalformedCode}
	if json.Unmarshal(raw, &item) != nil {
		return malformed
	}
	a := item.Attributes
	var s Signal
	if json.Unmarshal(a.Code, &s.Code) != nil || s.Code == "" {
		malformed.Code = s.Code
		return malformed
	}
	if !s.setStatus(a.Status) {
		malformed.Code = s.Code
		return malformed
	}
	if len(a.Body) > 0 && string(a.Body) != "null" {
		s.Body = a.Body
	}
	s.OEMUpdatedAt, _ = parseTimestamp(item.Meta.OEMUpdatedAt) // unreadable → zero: age unknown
	s.RetrievedAt, _ = parseTimestamp(item.Meta.RetrievedAt)
	return s
}

// setStatus reads status, either {"value": …, "error": {…}} or a bare string; it reports whether it had a value.
func (s *Signal) setStatus(raw json.RawMessage) bool {
	var st wireStatus
	if json.Unmarshal(raw, &st) != nil && json.Unmarshal(raw, &st.Value) != nil {
		return false
	}
	s.Status = strings.ToUpper(strings.TrimSpace(st.Value))
	if st.Error != nil && s.Status != StatusSuccess {
		s.ErrType, s.ErrCode, s.ErrDetail = st.Error.Type, st.Error.Code, st.Error.Description
	}
	return s.Status != ""
}
