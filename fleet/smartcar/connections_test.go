package smartcar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// connectionItem is connection i in the documented shape (get-connection).
func connectionItem(i int) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("conn-%03d", i), "type": "connection",
		"attributes": map[string]any{
			"permissions": []string{"read_vehicle_info", "read_odometer"},
			"vehicle":     map[string]any{"make": "Tesla", "model": "Model S", "year": 2020 + i%3, "mode": "live", "powertrainType": "BEV"},
		},
		"relationships": map[string]any{
			"vehicle": map[string]any{"data": map[string]string{"id": fmt.Sprintf("veh-%03d", i), "type": "vehicle"},
				"links": map[string]string{"related": "/vehicles/veh"}},
			"user": map[string]any{"data": map[string]string{"id": fmt.Sprintf("user-%d", i%7), "type": "user"}},
		},
		"meta":  map[string]string{"createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T00:00:00Z"},
		"links": map[string]string{"self": "/connections/x"},
	}
}

// wantConnection is what Connections makes of connectionItem(i).
func wantConnection(i int) Connection {
	return Connection{
		ID: fmt.Sprintf("conn-%03d", i), VehicleID: fmt.Sprintf("veh-%03d", i), UserID: fmt.Sprintf("user-%d", i%7),
		Make: "Tesla", Model: "Model S", Year: 2020 + i%3, Mode: "live", Powertrain: "BEV",
		Permissions: []string{"read_vehicle_info", "read_odometer"},
	}
}

// connectionsBody is a page holding items [from, to) with totalCount total (omitted when negative).
func connectionsBody(from, to, total int) string {
	data := []any{}
	for i := from; i < to; i++ {
		data = append(data, connectionItem(i))
	}
	page := map[string]any{"data": data, "links": map[string]any{"next": nil}}
	if total >= 0 {
		page["meta"] = map[string]int{"totalCount": total}
	}
	b, _ := json.Marshal(page)
	return string(b)
}

func TestConnectionsPages(t *testing.T) {
	const total = 250
	want := url.Values{
		"filter[userId]": {"user-3"}, "filter[vehicleId]": {"veh-9"}, "filter[vehicle.mode]": {"live"},
		"page[size]": {"100"},
	}
	var pages []string
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pages = append(pages, q.Get("page[number]"))
		q.Del("page[number]")
		if r.URL.Path != "/v3/connections" || !reflect.DeepEqual(q, want) || bearer(r) != tokenValue(1) {
			t.Errorf("request %s %v with bearer %q, want /v3/connections %v with bearer %q",
				r.URL.Path, q, bearer(r), want, tokenValue(1))
		}
		n, _ := strconv.Atoi(pages[len(pages)-1])
		writeJSON(w, 200, connectionsBody((n-1)*100, min(n*100, total), total))
	})
	got, err := srv.client(t).Connections(context.Background(),
		ConnectionFilter{UserID: "user-3", VehicleID: "veh-9", Mode: "live"})
	if err != nil {
		t.Fatalf("Connections() = %v, want nil", err)
	}
	if strings.Join(pages, ",") != "1,2,3" {
		t.Errorf("pages asked = %v, want 1,2,3", pages)
	}
	if len(got) != total {
		t.Fatalf("Connections() returned %d, want %d", len(got), total)
	}
	for _, i := range []int{0, 99, 100, 249} {
		if !reflect.DeepEqual(got[i], wantConnection(i)) {
			t.Errorf("Connections()[%d] = %+v, want %+v", i, got[i], wantConnection(i))
		}
	}
}

func TestConnectionsStops(t *testing.T) {
	tests := []struct {
		name      string
		page      func(n int) string // answer for page n
		wantN     int                // connections returned
		wantPages int
		wantErr   string
	}{
		{"an empty page ends early", func(n int) string {
			if n == 1 {
				return connectionsBody(0, 100, 250)
			}
			return connectionsBody(0, 0, 250)
		}, 100, 2, ""},
		{"without totalCount, a short page ends", func(n int) string {
			return connectionsBody((n-1)*100, min(n*100, 130), -1)
		}, 130, 2, ""},
		{"a server paging by 50 is followed", func(n int) string {
			return connectionsBody((n-1)*50, min(n*50, 120), 120)
		}, 120, 3, ""},
		{"a server repeating one page forever is stopped", func(int) string {
			return connectionsBody(0, 100, 250)
		}, 0, 3, "not reached after 3 pages"},
		{"duplicates across pages are kept once", func(n int) string {
			return connectionsBody((n-1)*90, min((n-1)*90+100, 200), 200)
		}, 200, 3, ""},
		{"no vehicle id is an error", func(int) string {
			return `{"data":[{"id":"conn-1","relationships":{"vehicle":{"data":null}}}],"meta":{"totalCount":1}}`
		}, 0, 1, `connection "conn-1" has no vehicle id`},
		{"wrong JSON is a server error", func(int) string { return `{"data":{"id":"x"}}` }, 0, 1, "not the documented JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("page[number]"))
				writeJSON(w, 200, tt.page(n))
			})
			got, err := srv.client(t).Connections(context.Background(), ConnectionFilter{})
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Connections() = %v, want error %q", err, tt.wantErr)
			}
			if _, pages := srv.counts(); len(got) != tt.wantN || pages != tt.wantPages {
				t.Errorf("Connections() = %d connections in %d pages, want %d in %d", len(got), pages, tt.wantN, tt.wantPages)
			}
		})
	}
}

func TestConnectionsError(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 429, jsonAPIError(429, "RATE_LIMIT", "SMARTCAR_API", "slow down"))
	})
	_, err := srv.client(t).Connections(context.Background(), ConnectionFilter{Mode: "test"})
	if !errors.Is(err, ErrRateLimitApp) || !strings.HasPrefix(err.Error(), "list smartcar connections, page 1: ") {
		t.Errorf("Connections() = %v, want ErrRateLimitApp with context", err)
	}
}
