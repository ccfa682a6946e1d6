package fakeserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// defaultPermissions are granted to a car whose Permissions are nil: every permission the served signals need.
var defaultPermissions = []string{
	"read_battery", "read_charge", "read_location", "read_odometer", "read_vehicle_info", "read_vin",
}

// connectionFilter selects connections; empty fields select everything.
type connectionFilter struct{ userID, vehicleID, mode string }

func (f connectionFilter) match(c Car) bool {
	return (f.userID == "" || c.UserID == f.userID) && (f.vehicleID == "" || c.VehicleID == f.vehicleID) &&
		(f.mode == "" || c.Mode == f.mode)
}

// serveConnections is GET /v3/connections: filter[userId], filter[vehicleId], filter[vehicle.mode] and the
// sc-user-id header filter (all must match); page[number] from 1 and page[size] 1..100; newest connection first.
func (s *Server) serveConnections(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	number, size, err := pageParams(q, s.opts.PageSizeDefault)
	if err != nil {
		writeFailure(w, Failure{Type: "VALIDATION", Code: "PARAMETER", Detail: err.Error()})
		return
	}
	f := connectionFilter{userID: q.Get("filter[userId]"), vehicleID: q.Get("filter[vehicleId]"),
		mode: q.Get("filter[vehicle.mode]")}
	if f.mode != "" && !slices.Contains([]string{"live", "test", "simulated"}, f.mode) {
		writeFailure(w, Failure{Type: "VALIDATION", Code: "PARAMETER",
			Detail: fmt.Sprintf("filter[vehicle.mode] %q is not live, test or simulated", f.mode)})
		return
	}
	if h := r.Header.Get("sc-user-id"); h != "" && f.userID != "" && h != f.userID {
		f.userID = "\x00" // two different users: nothing matches
	} else if h != "" {
		f.userID = h
	}
	if failure, ok := s.nextListFailure(); ok {
		writeFailure(w, failure)
		return
	}
	s.mu.Lock()
	all := s.connectionsLocked(f)
	from, to := min((number-1)*size, len(all)), min(number*size, len(all))
	data := make([]obj, 0, to-from)
	for _, cs := range all[from:to] {
		data = append(data, connectionObject(r, cs))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{
		"data":  data,
		"meta":  obj{"totalCount": len(all), "page": number, "pageSize": size},
		"links": pageLinks(r, q, number, size, len(all)),
	})
}

// pageParams reads page[number] (default 1) and page[size] (default def, at most 100).
func pageParams(q url.Values, def int) (number, size int, err error) {
	number, size = 1, min(def, 100)
	if v := q.Get("page[number]"); v != "" {
		if number, err = strconv.Atoi(v); err != nil || number < 1 {
			return 0, 0, fmt.Errorf("page[number] %q is not an integer from 1", v)
		}
	}
	if v := q.Get("page[size]"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > 100 {
			return 0, 0, fmt.Errorf("page[size] %q is not an integer from 1 to 100", v)
		}
	}
	return number, size, nil
}

// connectionsLocked returns the connected cars the filter selects, newest connection first.
func (s *Server) connectionsLocked(f connectionFilter) []*carState {
	var out []*carState
	for _, cs := range s.cars {
		if !cs.removed && f.match(cs.car) {
			out = append(out, cs)
		}
	}
	slices.SortFunc(out, func(a, b *carState) int {
		if c := b.car.ConnectedAt.Compare(a.car.ConnectedAt); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	return out
}

// pageLinks are the JSON:API links of one page of a list.
func pageLinks(r *http.Request, q url.Values, number, size, total int) obj {
	last := max(1, (total+size-1)/size)
	link := func(n int) any {
		if n < 1 || n > last {
			return nil
		}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page[number]", strconv.Itoa(n))
		v.Set("page[size]", strconv.Itoa(size))
		return absURL(r, r.URL.Path) + "?" + v.Encode()
	}
	return obj{"self": link(number), "first": link(1), "previous": link(number - 1), "next": link(number + 1),
		"last": link(last)}
}

// absURL is path on the host the request came to.
func absURL(r *http.Request, path string) string { return "http://" + r.Host + path }

// connectionObject is one connection exactly as the get-connection example shows it.
func connectionObject(r *http.Request, cs *carState) obj {
	c := cs.car
	perms := c.Permissions
	if perms == nil {
		perms = defaultPermissions
	}
	return obj{
		"id": c.ConnectionID, "type": "connection",
		"attributes": obj{"permissions": perms, "vehicle": obj{
			"make": c.Make, "model": c.Model, "year": c.Year, "mode": c.Mode, "powertrainType": "BEV"}},
		"relationships": obj{
			"vehicle": obj{"data": obj{"id": c.VehicleID, "type": "vehicle"},
				"links": obj{"related": absURL(r, "/v3/vehicles/"+c.VehicleID)}},
			"user": obj{"data": obj{"id": c.UserID, "type": "user"}},
		},
		"meta": obj{"createdAt": c.ConnectedAt.UTC().Format(time.RFC3339),
			"updatedAt": cs.updatedAt.UTC().Format(time.RFC3339)},
		"links": obj{"self": absURL(r, "/v3/connections/"+c.ConnectionID)},
	}
}

// connectionLocked finds a connected car by connection id, honouring sc-user-id when it is sent.
func (s *Server) connectionLocked(r *http.Request) *carState {
	for _, cs := range s.cars {
		if !cs.removed && cs.car.ConnectionID == r.PathValue("id") && ownedBy(r, cs.car) {
			return cs
		}
	}
	return nil
}

// ownedBy reports whether the request's sc-user-id, when it has one, owns c.
func ownedBy(r *http.Request, c Car) bool {
	u := r.Header.Get("sc-user-id")
	return u == "" || u == c.UserID
}

// serveConnection is GET /v3/connections/{id}.
func (s *Server) serveConnection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cs := s.connectionLocked(r)
	var body obj
	if cs != nil {
		body = obj{"data": connectionObject(r, cs)}
	}
	s.mu.Unlock()
	if body == nil {
		writeFailure(w, notFound("no connection "+r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// deleteConnection is DELETE /v3/connections/{id}: 204, and the car is no longer listed or served.
func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cs := s.connectionLocked(r)
	if cs != nil {
		cs.removed = true
	}
	s.mu.Unlock()
	if cs == nil {
		writeFailure(w, notFound("no connection "+r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteUser is DELETE /v3/users/{id}: 204, and every connection of the user is purged.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	for _, cs := range s.cars {
		if cs.car.UserID == r.PathValue("id") {
			cs.removed = true
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func notFound(detail string) Failure {
	return Failure{Type: "RESOURCE_NOT_FOUND", Code: "PATH", Detail: detail}
}
