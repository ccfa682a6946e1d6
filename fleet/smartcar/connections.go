package smartcar

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

const (
	// ConnectionsPageSize is the page[size] Connections asks for: the documented maximum. Listing n vehicles costs
	// max(1, ⌈n/ConnectionsPageSize⌉) requests of the app-wide bucket.
	ConnectionsPageSize = 100
	// maxConnectionPages bounds paging when the answer gives no usable meta.totalCount (1 000 000 vehicles at 100).
	maxConnectionPages = 10000
)

// Connection is one vehicle connected to the application, as GET /connections lists it.
type Connection struct {
	ID          string // the connection's id
	VehicleID   string
	UserID      string // send as sc-user-id when reading the vehicle; "" if the server gave none
	Make, Model string
	Year        int
	Mode        string // live, test or simulated
	Powertrain  string // powertrainType: BEV, PHEV, ICE, …
	Permissions []string
}

// ConnectionFilter narrows Connections; empty fields do not filter.
type ConnectionFilter struct {
	UserID    string // filter[userId]
	VehicleID string // filter[vehicleId]
	Mode      string // filter[vehicle.mode]: live, test or simulated
}

// connectionsPage is one page of GET /connections.
type connectionsPage struct {
	Data []wireConnection `json:"data"`
	Meta struct {
		TotalCount *int `json:"totalCount"`
	} `json:"meta"`
}

// wireConnection is one item of GET /connections.
type wireConnection struct {
	ID         string `json:"id"`
	Attributes struct {
		Permissions []string `json:"permissions"`
		Vehicle     struct {
			Make           string `json:"make"`
			Model          string `json:"model"`
			Year           int    `json:"year"`
			Mode           string `json:"mode"`
			PowertrainType string `json:"powertrainType"`
		} `json:"vehicle"`
	} `json:"attributes"`
	Relationships struct {
		Vehicle relation `json:"vehicle"`
		User    relation `json:"user"`
	} `json:"relationships"`
}

// relation is a JSON:API relationship: {"data": {"id": …}}.
type relation struct {
	Data struct {
		ID string `json:"id"`
	} `json:"data"`
}

// Connections lists the connections matching f, paging through GET /connections (page[size]=100) until
// meta.totalCount is reached, a page comes back empty, or — without a totalCount — a page comes back short. A
// connection seen twice (the list shifted while paging) is kept once. A server that never reaches its totalCount is
// stopped after totalCount/(first page's length)+1 pages with an error. It spends no vehicle's read budget.
func (c *Client) Connections(ctx context.Context, f ConnectionFilter) ([]Connection, error) {
	var all []Connection
	for p := c.Pages(f); !p.Done(); {
		page, err := p.Next(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
	}
	return all, nil
}

// Pager pages through GET /connections one request at a time, as Connections does, so that the caller can pace
// the pages (each costs a request of the app-wide bucket), give each its own timeout and use each as it comes. The
// API lists the newest connections first. A Pager is not safe for concurrent use.
type Pager struct {
	c     *Client
	f     ConnectionFilter
	page  int // the last page fetched
	limit int
	seen  map[string]bool
	got   int
	total int // meta.totalCount; -1 until a page gave it
	done  bool
}

// Pages returns a Pager over the connections matching f.
func (c *Client) Pages(f ConnectionFilter) *Pager {
	return &Pager{c: c, f: f, limit: maxConnectionPages, seen: map[string]bool{}, total: -1}
}

// Done reports that the last page was fetched.
func (p *Pager) Done() bool { return p.done }

// Progress returns how many connections the pages so far held and how many the server says there are (-1 when it
// did not say).
func (p *Pager) Progress() (got, total int) { return p.got, p.total }

// Next fetches the next page and returns its connections not seen on an earlier page. A failed page may be asked
// again: the Pager stays where it was.
func (p *Pager) Next(ctx context.Context) ([]Connection, error) {
	page := p.page + 1
	if page > p.limit {
		return nil, fmt.Errorf("list smartcar connections: %d of meta.totalCount not reached after %d pages",
			p.got, p.limit)
	}
	w, err := p.c.connectionsPage(ctx, p.f, page)
	if err != nil {
		return nil, fmt.Errorf("list smartcar connections, page %d: %w", page, err)
	}
	var out []Connection
	for _, c := range w.Data {
		if c.Relationships.Vehicle.Data.ID == "" {
			return nil, fmt.Errorf("list smartcar connections, page %d: connection %q has no vehicle id", page, c.ID)
		}
		if key := c.ID + "/" + c.Relationships.Vehicle.Data.ID; !p.seen[key] {
			p.seen[key] = true
			out = append(out, c.connection())
		}
	}
	p.page, p.got = page, p.got+len(out)
	total := w.Meta.TotalCount
	if total != nil {
		p.total = *total
	}
	switch {
	case len(w.Data) == 0, total != nil && p.got >= *total, total == nil && len(w.Data) < ConnectionsPageSize:
		p.done = true
	case page == 1 && total != nil:
		p.limit = min(*total/len(w.Data)+1, maxConnectionPages)
	}
	return out, nil
}

// connectionsPage fetches page number page of GET /connections.
func (c *Client) connectionsPage(ctx context.Context, f ConnectionFilter, page int) (connectionsPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{
		"filter[userId]": f.UserID, "filter[vehicleId]": f.VehicleID, "filter[vehicle.mode]": f.Mode,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("page[number]", strconv.Itoa(page))
	q.Set("page[size]", strconv.Itoa(ConnectionsPageSize))
	a, err := c.get(ctx, c.endpoint(q.Encode(), "connections"), nil)
	if err != nil {
		return connectionsPage{}, err
	}
	var p connectionsPage
	if err := json.Unmarshal(a.body, &p); err != nil {
		return connectionsPage{}, fmt.Errorf("%w: connections answer is not the documented JSON: %w", ErrServer, err)
	}
	return p, nil
}

// connection converts a wire item.
func (w wireConnection) connection() Connection {
	v := w.Attributes.Vehicle
	return Connection{
		ID:          w.ID,
		VehicleID:   w.Relationships.Vehicle.Data.ID,
		UserID:      w.Relationships.User.Data.ID,
		Make:        v.Make,
		Model:       v.Model,
		Year:        v.Year,
		Mode:        v.Mode,
		Powertrain:  v.PowertrainType,
		Permissions: w.Attributes.Permissions,
	}
}
