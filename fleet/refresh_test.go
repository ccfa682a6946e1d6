package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/fleet/smartcar"
	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// waitFor bounds every wait of these tests on the other side of a channel: far above a page's round trip, far below
// pageTimeout.
const waitFor = 10 * time.Second

// pageProxy stands between the client and the fake Smartcar. It counts the pages of GET /connections asked and plays
// a fault on one page: "500" answers a server error, "cut" closes the connection unanswered, "hold" keeps the request
// until free or until the client gives up.
type pageProxy struct {
	fake http.Handler
	held chan int // the page of each held request, as it arrives

	mu      sync.Mutex
	asked   map[int]int
	page    int
	fault   string
	release chan struct{}
}

func newPageProxy(fake http.Handler) *pageProxy {
	return &pageProxy{fake: fake, held: make(chan int, 16), asked: map[int]int{}, release: make(chan struct{})}
}

// set plays fault on page from now on; page 0 plays none.
func (p *pageProxy) set(page int, fault string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.page, p.fault = page, fault
}

// free lets the held requests, and any later one, go on to the fake.
func (p *pageProxy) free() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
}

// count returns how many times page was asked.
func (p *pageProxy) count(page int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked[page]
}

func (p *pageProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page := 0
	if r.Method == http.MethodGet && r.URL.Path == "/v3/connections" {
		page, _ = strconv.Atoi(r.URL.Query().Get("page[number]"))
	}
	p.mu.Lock()
	p.asked[page]++
	fault, release := "", p.release
	if page != 0 && page == p.page {
		fault = p.fault
	}
	p.mu.Unlock()
	switch fault {
	case "500":
		writeJSONError(w, http.StatusInternalServerError,
			`{"type":"SERVER","code":"INTERNAL","description":"page failed","statusCode":500}`)
	case "cut":
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	case "hold":
		p.held <- page
		select {
		case <-release:
			p.fake.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	default:
		p.fake.ServeHTTP(w, r)
	}
}

// pagedRig is the fake Smartcar with n connected cars behind a pageProxy, and a SQLite ledger file.
type pagedRig struct {
	srv    *fakeserver.Server
	proxy  *pageProxy
	base   string // the proxy's URL
	ledger string // the SQLite file
	ids    []string
}

// newPagedRig serves n cars, car-000 connected first, so the API lists car-(n-1) first.
func newPagedRig(t *testing.T, n int) *pagedRig {
	t.Helper()
	r := &pagedRig{ledger: filepath.Join(t.TempDir(), "ledger.db")}
	cars := make([]fakeserver.Car, n)
	for i := range cars {
		id := fmt.Sprintf("car-%03d", i)
		cars[i] = fakeserver.Car{VehicleID: id, ConnectionID: "conn-" + id, UserID: "user-1", Make: "TESLA",
			Model: "Model Y", Year: 2023, Online: true}
		r.ids = append(r.ids, id)
	}
	r.srv = fakeserver.New(fakeserver.Options{BucketSize: 1000}, cars...)
	r.proxy = newPageProxy(r.srv.Handler())
	front := httptest.NewServer(r.proxy)
	t.Cleanup(front.Close)
	t.Cleanup(r.proxy.free) // before front.Close: a held request must end for Close to return
	r.base = front.URL
	return r
}

// open opens a handle on the rig's ledger, as a process starting on it does.
func (r *pagedRig) open(t *testing.T) ledger.Ledger {
	t.Helper()
	store, err := ledger.OpenSQLite(r.ledger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// fleet is a live fleet over real HTTP through the proxy, on store, reading nothing by itself.
func (r *pagedRig) fleet(t *testing.T, store ledger.Ledger) *fleet.Fleet {
	t.Helper()
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret",
		APIBase: r.base + "/v3", TokenURL: r.base + "/oauth2/token", MaxSignalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	api := fleet.NewSmartcarAPI(client, "live", time.Now)
	sched := schedule.New(schedule.Config{Intervals: policy.DefaultIntervals(), Inline: true}, store, api)
	return fleet.NewLive(config.Config{Intervals: policy.DefaultIntervals()}, store, api, sched)
}

// remove disconnects id from the fake Smartcar, as its owner would: DELETE /v3/connections/{id}.
func (r *pagedRig) remove(t *testing.T, id string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"client_fake"},
		"client_secret": {"fake-secret"}}
	resp, err := http.PostForm(r.base+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = decodeJSON(resp, &tok)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodDelete, r.base+"/v3/connections/conn-"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE connection of %s = %d, want 204", id, resp.StatusCode)
	}
}

// entryIDs returns the sorted ids of the fleet's entries.
func entryIDs(t *testing.T, f *fleet.Fleet) []string {
	t.Helper()
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	return sortedIDs(entries)
}

func sortedIDs(entries []fleet.Entry) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	slices.Sort(ids)
	return ids
}

// checkKept fails unless the ledger keeps exactly the listing ids (sorted) and, when complete, marks it complete.
func checkKept(t *testing.T, store ledger.Ledger, ids []string, complete bool) {
	t.Helper()
	l, err := store.Listing()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(l.Items))
	for i, it := range l.Items {
		got[i] = it.ID
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("the ledger keeps %d vehicles, want %d", len(got), len(ids))
	}
	if complete && !l.Complete {
		t.Errorf("the kept listing is not marked complete after a complete refresh")
	}
}

// checkListed fails unless f's listing status is stale with got of total, or not stale when got is 0.
func checkListed(t *testing.T, f *fleet.Fleet, got, total int) {
	t.Helper()
	l := f.Listed()
	if got == 0 {
		if l.Stale || l.Err != nil || l.Progress() != "" {
			t.Errorf("Listed() = %+v (progress %q), want not stale, no error, no progress", l, l.Progress())
		}
		return
	}
	want := fmt.Sprintf("listing %d of %d", got, total)
	if !l.Stale || l.Got != got || l.Total != total || l.Err == nil || l.Progress() != want {
		t.Errorf("Listed() = %+v (progress %q), want stale, Got %d, Total %d, an error, progress %q", l,
			l.Progress(), got, total, want)
	}
}

// TestRefreshStopsAndResumes lists 250 connections (3 pages) into a SQLite ledger; a new process on that ledger shows
// them kept, stale; a refresh whose page 3 fails keeps showing all 250 and says how far it got; with the fault gone,
// RefreshPaced goes on at page 3 without asking pages 1 and 2 again.
func TestRefreshStopsAndResumes(t *testing.T) {
	for _, fault := range []string{"500", "cut"} {
		t.Run(fault, func(t *testing.T) {
			rig := newPagedRig(t, 250)
			ctx := context.Background()
			first := rig.fleet(t, rig.open(t))
			listedAt := time.Now()
			if err := first.Refresh(ctx, listedAt); err != nil {
				t.Fatalf("Refresh with Smartcar up: %v", err)
			}
			if got := entryIDs(t, first); !slices.Equal(got, rig.ids) {
				t.Fatalf("after Refresh %d entries, want the 250 connections", len(got))
			}
			checkListed(t, first, 0, 0)

			rig.proxy.set(3, fault)
			store := rig.open(t)
			f := rig.fleet(t, store)
			n, at, err := f.ShowKept()
			if err != nil || n != 250 || !at.Equal(listedAt) || !f.Listed().Stale {
				t.Fatalf("ShowKept() = %d, %v, %v, stale %v; want 250, %v, no error, stale", n, at, err,
					f.Listed().Stale, listedAt)
			}
			err = f.Refresh(ctx, time.Now())
			if err == nil || !strings.Contains(err.Error(), "stopped after 200 of 250") {
				t.Fatalf("Refresh with page 3 failing = %v, want an error saying stopped after 200 of 250", err)
			}
			if got := entryIDs(t, f); !slices.Equal(got, rig.ids) {
				t.Errorf("after the stopped refresh %d entries, want the 200 listed and the 50 kept", len(got))
			}
			checkListed(t, f, 200, 250)
			checkKept(t, store, rig.ids, false)

			rig.proxy.set(0, "")
			asked := [4]int{0, rig.proxy.count(1), rig.proxy.count(2), rig.proxy.count(3)}
			if err := f.RefreshPaced(ctx, time.Now()); err != nil {
				t.Fatalf("RefreshPaced after the fault: %v", err)
			}
			for page := 1; page <= 2; page++ {
				if n := rig.proxy.count(page) - asked[page]; n != 0 {
					t.Errorf("the resumed refresh asked page %d %d times, want 0: it goes on at page 3", page, n)
				}
			}
			if n := rig.proxy.count(3) - asked[3]; n != 1 {
				t.Errorf("the resumed refresh asked page 3 %d times, want 1", n)
			}
			if got := entryIDs(t, f); !slices.Equal(got, rig.ids) {
				t.Errorf("after the resumed refresh %d entries, want 250", len(got))
			}
			checkListed(t, f, 0, 0)
			checkKept(t, store, rig.ids, true)
		})
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", resp.Request.Method, resp.Request.URL, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// waitListing returns the first listing news (a Change with Entries) that ok accepts, failing after waitFor.
func waitListing(t *testing.T, changes <-chan fleet.Change, what string, ok func(fleet.Change) bool) fleet.Change {
	t.Helper()
	deadline := time.After(waitFor)
	var last fleet.Change
	for {
		select {
		case c, open := <-changes:
			if !open {
				t.Fatalf("Changes closed before %s", what)
			}
			if c.Entries == nil {
				continue // a read's or the scheduler's news
			}
			if last = c; ok(c) {
				return c
			}
		case <-deadline:
			t.Fatalf("no Change for %s within %v; the last listing news had %d entries, listing %+v", what,
				waitFor, len(last.Entries), last.Listing)
		}
	}
}

// receive returns what ch gives, failing after waitFor.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("no %s within %v", what, waitFor)
	}
	panic("unreachable")
}

// TestRefreshChangesFollowPages: the views get the rows as the pages come (the first page while the second is
// held), the partial listing when a page fails and the complete one at the end. A vehicle disconnected between two
// refreshes stays, kept, after a stopped one, and is gone once a refresh ends: its final page drops it.
func TestRefreshChangesFollowPages(t *testing.T) {
	rig := newPagedRig(t, 250)
	store := rig.open(t)
	f := rig.fleet(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := f.Changes(ctx)

	rig.proxy.set(2, "hold")
	done := make(chan error, 1)
	go func() { done <- f.Refresh(ctx, time.Now()) }()
	receive(t, rig.proxy.held, "held request of page 2")
	waitListing(t, changes, "page 1 while page 2 is held", func(c fleet.Change) bool {
		return len(c.Entries) == 100 && c.Listing.Stale && c.Listing.Got == 100 && c.Listing.Total == 250
	})
	rig.proxy.free()
	if err := receive(t, done, "end of Refresh"); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	waitListing(t, changes, "the complete listing", func(c fleet.Change) bool {
		return len(c.Entries) == 250 && !c.Listing.Stale && c.Err == nil
	})

	gone := "car-249" // the newest: on page 1
	rig.remove(t, gone)
	rig.proxy.set(3, "500")
	if err := f.Refresh(ctx, time.Now()); err == nil || !strings.Contains(err.Error(), "stopped after 200 of 249") {
		t.Fatalf("Refresh with page 3 failing = %v, want an error saying stopped after 200 of 249", err)
	}
	c := waitListing(t, changes, "the partial listing", func(c fleet.Change) bool {
		return c.Listing.Stale && c.Listing.Got == 200 && c.Err != nil
	})
	if got := sortedIDs(c.Entries); !slices.Equal(got, rig.ids) {
		t.Errorf("the partial listing's news has %d entries, want all 250: %s stays, kept", len(got), gone)
	}
	checkKept(t, store, rig.ids, false)

	rig.proxy.set(0, "")
	if err := f.RefreshPaced(ctx, time.Now()); err != nil {
		t.Fatalf("RefreshPaced after the fault: %v", err)
	}
	left := slices.DeleteFunc(slices.Clone(rig.ids), func(id string) bool { return id == gone })
	c = waitListing(t, changes, "the complete listing without "+gone, func(c fleet.Change) bool {
		return !c.Listing.Stale && c.Err == nil && len(c.Entries) == len(left)
	})
	if got := sortedIDs(c.Entries); !slices.Equal(got, left) {
		t.Errorf("the complete listing's news has %d entries, want the 249 left without %s", len(got), gone)
	}
	if got := entryIDs(t, f); !slices.Equal(got, left) {
		t.Errorf("Entries() after the complete refresh has %d, want 249 without %s", len(got), gone)
	}
	checkKept(t, store, left, true)
}

// TestRefreshHungPageCancelled: a page that hangs ends the refresh when its ctx is cancelled, long before
// pageTimeout, with the context's error, and the kept rows stay on show.
func TestRefreshHungPageCancelled(t *testing.T) {
	tests := []struct {
		name string
		page int
		got  string // the progress in the error
	}{
		{"first page", 1, "stopped after 0 of an unknown number"},
		{"last page", 3, "stopped after 200 of 250"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newPagedRig(t, 250)
			store := rig.open(t)
			if err := rig.fleet(t, store).Refresh(context.Background(), time.Now()); err != nil {
				t.Fatalf("Refresh with Smartcar up: %v", err)
			}
			f := rig.fleet(t, store)
			if _, _, err := f.ShowKept(); err != nil {
				t.Fatal(err)
			}
			rig.proxy.set(tt.page, "hold")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- f.Refresh(ctx, time.Now()) }()
			receive(t, rig.proxy.held, fmt.Sprintf("held request of page %d", tt.page))
			cancelled := time.Now()
			cancel()
			err := receive(t, done, "end of Refresh after its ctx was cancelled")
			t.Logf("Refresh returned %v after the cancel", time.Since(cancelled))
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), tt.got) {
				t.Errorf("Refresh with page %d hung, cancelled = %v; want context.Canceled and %q", tt.page, err,
					tt.got)
			}
			if got := entryIDs(t, f); !slices.Equal(got, rig.ids) {
				t.Errorf("after the cancelled refresh %d entries, want the 250 kept", len(got))
			}
			if !f.Listed().Stale {
				t.Errorf("Listed() = %+v after the cancelled refresh, want stale", f.Listed())
			}
			checkKept(t, store, rig.ids, false)
		})
	}
}

// TestRefreshCompleteForgetsStoppedOne: once a refresh ends, a refresh that stopped before it is not resumed: a later
// RefreshPaced lists afresh and does not bring back the rows the stopped one had, a disconnected vehicle among them.
func TestRefreshCompleteForgetsStoppedOne(t *testing.T) {
	rig := newPagedRig(t, 250)
	f := rig.fleet(t, rig.open(t))
	ctx := context.Background()
	rig.proxy.set(3, "500")
	if err := f.Refresh(ctx, time.Now()); err == nil {
		t.Fatal("Refresh with page 3 failing = nil, want an error")
	}
	gone := "car-249" // listed by the stopped refresh
	rig.remove(t, gone)
	rig.proxy.set(0, "")
	if err := f.Refresh(ctx, time.Now()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	asked := rig.proxy.count(1)
	start := time.Now()
	if err := f.RefreshPaced(ctx, start); err != nil {
		t.Fatalf("RefreshPaced: %v", err)
	}
	if n := rig.proxy.count(1) - asked; n != 1 {
		t.Errorf("RefreshPaced after a complete refresh asked page 1 %d times, want 1: it lists afresh", n)
	}
	if ids := entryIDs(t, f); len(ids) != 249 || slices.Contains(ids, gone) {
		t.Errorf("after RefreshPaced %d entries (%s among them: %v), want the 249 connected", len(ids), gone,
			slices.Contains(ids, gone))
	}
	if at := f.Listed().At; !at.Equal(start) {
		t.Errorf("Listed().At = %v, want the start of the last refresh, %v", at, start)
	}
}
