package fakeserver

import "net/http"

// vehicleObject is a vehicle resource; full adds powertrainType and mode, as GET /vehicles/{id} gives them (the
// included vehicle of a read has make, model and year only).
func vehicleObject(r *http.Request, c Car, full bool) obj {
	attrs := obj{"make": c.Make, "model": c.Model, "year": c.Year}
	if full {
		attrs["powertrainType"], attrs["mode"] = "BEV", c.Mode
	}
	return obj{"id": c.VehicleID, "type": "vehicle", "attributes": attrs,
		"links": obj{"self": absURL(r, "/v3/vehicles/"+c.VehicleID)}}
}

// serveVehicle is GET /v3/vehicles/{id}. sc-user-id is not required; when sent it must own the vehicle. Not a read.
func (s *Server) serveVehicle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cs := s.cars[r.PathValue("id")]
	var body obj
	if cs != nil && !cs.removed && ownedBy(r, cs.car) {
		body = obj{"data": vehicleObject(r, cs.car, true)}
	}
	s.mu.Unlock()
	if body == nil {
		writeFailure(w, notFound("no vehicle "+r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, body)
}
