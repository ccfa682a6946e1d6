package fakeserver

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// connectionShape is the get-connection example of the doc's §4, field by field.
var connectionShape = []field{
	f("string", "id"), f("string", "type"),
	f("array", "attributes", "permissions"), f("string", "attributes", "permissions", 0),
	f("string", "attributes", "vehicle", "make"), f("string", "attributes", "vehicle", "model"),
	f("number", "attributes", "vehicle", "year"), f("string", "attributes", "vehicle", "mode"),
	f("string", "attributes", "vehicle", "powertrainType"),
	f("string", "relationships", "vehicle", "data", "id"), f("string", "relationships", "vehicle", "data", "type"),
	f("string", "relationships", "vehicle", "links", "related"),
	f("string", "relationships", "user", "data", "id"), f("string", "relationships", "user", "data", "type"),
	f("string", "meta", "createdAt"), f("string", "meta", "updatedAt"), f("string", "links", "self"),
}

func TestConnectionShape(t *testing.T) {
	c := keyedCar("v1")
	c.Permissions = []string{"read_vehicle_info", "read_odometer"}
	e := newEnv(t, Options{}, c)
	r := e.get("/connections")
	if r.status != 200 {
		t.Fatalf("GET /connections = %d %v, want 200", r.status, r.body)
	}
	checkShape(t, r.body, []field{f("array", "data"), f("number", "meta", "totalCount"), f("object", "links")})
	item := mustAt(t, r.body, "data", 0)
	checkShape(t, item, connectionShape)
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"type"}, "connection"},
		{[]any{"attributes", "vehicle", "make"}, "Tesla"},
		{[]any{"attributes", "vehicle", "year"}, float64(2023)},
		{[]any{"attributes", "vehicle", "mode"}, "live"},
		{[]any{"attributes", "permissions", 1}, "read_odometer"},
		{[]any{"relationships", "vehicle", "data", "id"}, "v1"},
		{[]any{"relationships", "vehicle", "data", "type"}, "vehicle"},
		{[]any{"relationships", "user", "data", "id"}, "u1"},
		{[]any{"relationships", "user", "data", "type"}, "user"},
		{[]any{"meta", "createdAt"}, t0.Format(time.RFC3339)},
	}
	for _, c := range checks {
		if got := mustAt(t, item, c.path...); got != c.want {
			t.Errorf("connection %v = %v, want %v", c.path, got, c.want)
		}
	}
	self := mustAt(t, item, "links", "self").(string)
	id := mustAt(t, item, "id").(string)
	one := e.get("/connections/" + id)
	if one.status != 200 || mustAt(t, one.body, "data", "id") != id {
		t.Errorf("GET /connections/%s = %d %v, want the same connection", id, one.status, one.body)
	}
	if want := e.base + "/connections/" + id; self != want {
		t.Errorf("links.self = %q, want %q", self, want)
	}
}

// fleetOf returns n cars v01.. connected one minute apart, users alternating u1/u2, modes live/test.
func fleetOf(n int) []Car {
	var cars []Car
	for i := range n {
		c := keyedCar(fmt.Sprintf("v%02d", i+1))
		c.ConnectedAt = t0.Add(time.Duration(i) * time.Minute)
		c.UserID = []string{"u1", "u2"}[i%2]
		c.Mode = []string{"live", "test"}[i/5%2]
		cars = append(cars, c)
	}
	return cars
}

// ids lists the vehicle ids of a /connections answer, in order.
func ids(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, it := range mustAt(t, r.body, "data").([]any) {
		out = append(out, mustAt(t, it, "relationships", "vehicle", "data", "id").(string))
	}
	return out
}

func TestConnectionsPagingAndFilters(t *testing.T) {
	e := newEnv(t, Options{PageSizeDefault: 4}, fleetOf(10)...)
	tests := []struct {
		name   string
		query  string
		header []string
		want   []string
		total  int
	}{
		{"default page size, newest first", "", nil, []string{"v10", "v09", "v08", "v07"}, 10},
		{"page 3 of size 4", "?page[number]=3&page[size]=4", nil, []string{"v02", "v01"}, 10},
		{"past the end", "?page[number]=4&page[size]=4", nil, nil, 10},
		{"size 100", "?page[size]=100", nil, []string{"v10", "v09", "v08", "v07", "v06", "v05", "v04", "v03",
			"v02", "v01"}, 10},
		{"user filter", "?filter[userId]=u2&page[size]=100", nil, []string{"v10", "v08", "v06", "v04", "v02"}, 5},
		{"vehicle filter", "?filter[vehicleId]=v03", nil, []string{"v03"}, 1},
		{"mode filter", "?filter[vehicle.mode]=test&page[size]=100", nil, []string{"v10", "v09", "v08", "v07",
			"v06"}, 5},
		{"sc-user-id filters", "?page[size]=100", []string{"sc-user-id", "u1"}, []string{"v09", "v07", "v05",
			"v03", "v01"}, 5},
		{"sc-user-id and filter agree", "?filter[userId]=u1&filter[vehicle.mode]=live", []string{"sc-user-id",
			"u1"}, []string{"v05", "v03", "v01"}, 3},
		{"sc-user-id and filter disagree", "?filter[userId]=u1", []string{"sc-user-id", "u2"}, nil, 0},
		{"unknown user", "?filter[userId]=nobody", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.get("/connections"+tt.query, tt.header...)
			if r.status != 200 {
				t.Fatalf("GET /connections%s = %d %v, want 200", tt.query, r.status, r.body)
			}
			if got := ids(t, r); !slices.Equal(got, tt.want) {
				t.Errorf("GET /connections%s = %v, want %v", tt.query, got, tt.want)
			}
			if got := mustAt(t, r.body, "meta", "totalCount"); got != float64(tt.total) {
				t.Errorf("meta.totalCount = %v, want %d", got, tt.total)
			}
		})
	}
}

func TestConnectionsLinks(t *testing.T) {
	e := newEnv(t, Options{}, fleetOf(5)...)
	r := e.get("/connections?page[number]=2&page[size]=2")
	want := map[string]any{
		"self":     e.base + "/connections?page%5Bnumber%5D=2&page%5Bsize%5D=2",
		"first":    e.base + "/connections?page%5Bnumber%5D=1&page%5Bsize%5D=2",
		"previous": e.base + "/connections?page%5Bnumber%5D=1&page%5Bsize%5D=2",
		"next":     e.base + "/connections?page%5Bnumber%5D=3&page%5Bsize%5D=2",
		"last":     e.base + "/connections?page%5Bnumber%5D=3&page%5Bsize%5D=2",
	}
	for k, v := range want {
		if got := mustAt(t, r.body, "links", k); got != v {
			t.Errorf("links.%s = %v, want %v", k, got, v)
		}
	}
	if got := mustAt(t, e.get("/connections?page[number]=3&page[size]=2").body, "links", "next"); got != nil {
		t.Errorf("links.next on the last page = %v, want null", got)
	}
}

func TestConnectionsValidation(t *testing.T) {
	e := newEnv(t, Options{}, fleetOf(2)...)
	for _, q := range []string{"page[size]=0", "page[size]=101", "page[size]=x", "page[number]=0",
		"page[number]=-1", "page[number]=1.5", "filter[vehicle.mode]=LIVE"} {
		t.Run(q, func(t *testing.T) {
			e.t = t
			wantError(t, e.get("/connections?"+q), 400, "VALIDATION", "PARAMETER")
		})
	}
}

func TestConnectionDeletes(t *testing.T) {
	e := newEnv(t, Options{}, fleetOf(4)...)
	id := mustAt(t, e.get("/connections?filter[vehicleId]=v01").body, "data", 0, "id").(string)
	if r := e.call(http.MethodDelete, "/connections/"+id); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /connections/%s = %d, want 204", id, r.status)
	}
	wantError(t, e.get("/connections/"+id), 404, "RESOURCE_NOT_FOUND", "PATH")
	wantError(t, e.read("v01", "u1"), 404, "RESOURCE_NOT_FOUND", "PATH")
	if r := e.call(http.MethodDelete, "/users/u2"); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /users/u2 = %d, want 204", r.status)
	}
	if got := ids(t, e.get("/connections")); !slices.Equal(got, []string{"v03"}) {
		t.Errorf("connections after deletes = %v, want [v03]", got)
	}
	e.s.SetCar(fleetOf(1)[0])
	if got := ids(t, e.get("/connections")); !slices.Equal(got, []string{"v03", "v01"}) {
		t.Errorf("connections after SetCar(v01) = %v, want [v03 v01]", got)
	}
}

func TestConnectionsInjected(t *testing.T) {
	e := newEnv(t, Options{}, fleetOf(1)...)
	e.s.InjectList(1, Failure{Type: "SERVER", Code: "INTERNAL"})
	r := e.get("/connections")
	wantError(t, r, 500, "SERVER", "INTERNAL")
	if got := mustAt(t, r.body, "errors", 0, "resolution", "type"); got != "RETRY_LATER" {
		t.Errorf("resolution.type = %v, want RETRY_LATER", got)
	}
	if r := e.get("/connections"); r.status != 200 {
		t.Errorf("GET /connections after the injected failure = %d, want 200", r.status)
	}
}
