package fleet_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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

// The faults the proxy in front of the fake can play, one at a time, each for one scheduler step.
var faultModes = []string{"refuse", "timeout", "cut", "401", "token", "redirect", "429", "disk"}

// retryAfter is a Retry-After value a 429 of the proxy carries, and the hold it must give at least.
type retryAfter struct {
	value string
	hold  time.Duration
}

// The Retry-After values: absurd ones (a hold of the 30-day cap) only for the last four vehicles, so that the rest
// can show they are read again once the faults stop.
var (
	oddRetryAfters = []retryAfter{{"120", 2 * time.Minute}, {"1.5", 1500 * time.Millisecond}, {"-5", 0}, {"soon", 0},
		{"0", 0}}
	absurdRetryAfters = []retryAfter{{"1e9", 30 * 24 * time.Hour}, {"99999999999999999999999", 30 * 24 * time.Hour},
		{"Inf", 30 * 24 * time.Hour}}
)

// faultProxy stands between the client and the fake Smartcar and plays the current fault. It also judges what the
// fake cannot: no read inside a Retry-After it gave itself, and no read whose time the store had not recorded first.
type faultProxy struct {
	fake      http.Handler
	store     ledger.Ledger
	clock     *fakeClock
	elsewhere *httptest.Server

	mu        sync.Mutex
	mode      string
	rnd       *rand.Rand
	timeouts  int
	notBefore map[string]time.Time
	problems  []string
}

// set makes mode the current fault ("" for none).
func (p *faultProxy) set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := p.clock.Now()
	id, isRead := readOf(r.URL.Path)
	p.mu.Lock()
	mode := p.mode
	if isRead {
		p.judge(id, now)
	}
	if mode == "timeout" && isRead && p.timeouts >= 3 {
		mode = "cut" // real timeouts cost wall time: three are enough
	} else if mode == "timeout" && isRead {
		p.timeouts++
	}
	values := oddRetryAfters
	if id >= "veh-20" {
		values = absurdRetryAfters
	}
	ra := values[p.rnd.IntN(len(values))]
	if mode == "429" && isRead {
		p.notBefore[id] = now.Add(ra.hold)
	}
	p.mu.Unlock()
	switch {
	case mode == "token" && strings.HasSuffix(r.URL.Path, "/token"):
		writeJSONError(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
	case (mode == "token" || mode == "401") && isRead:
		writeJSONError(w, http.StatusUnauthorized, `{"errors":[{"status":"401","type":"AUTHENTICATION","code":null}]}`)
	case mode == "redirect":
		http.Redirect(w, r, p.elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	case mode == "429" && isRead:
		w.Header().Set("Retry-After", ra.value)
		writeJSONError(w, http.StatusTooManyRequests, `{"errors":[{"status":"429","type":"RATE_LIMIT","code":"VEHICLE"}]}`)
	case (mode == "timeout" || mode == "cut") && isRead:
		p.fake.ServeHTTP(httptest.NewRecorder(), r) // the fake reads it: it counts
		if mode == "timeout" {
			<-r.Context().Done() // until the client gives up
			return
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	default:
		p.fake.ServeHTTP(w, r)
	}
}

// judge notes a read of id at now that comes inside a Retry-After the proxy gave, or whose time the store does not
// hold yet at a time no earlier than now. The caller holds p.mu.
func (p *faultProxy) judge(id string, now time.Time) {
	if nb := p.notBefore[id]; now.Before(nb) {
		p.problems = append(p.problems, "read of "+id+" at "+now.String()+" inside its Retry-After, until "+nb.String())
	}
	st, err := p.store.Load()
	if err == nil && st.Vehicles[id].ReadAt().Before(now) {
		p.problems = append(p.problems, "read of "+id+" at "+now.String()+" sent before its time was recorded")
	}
}

// readOf returns the vehicle of a GET /vehicles/{id}/signals path.
func readOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v3/vehicles/")
	if !ok || !strings.HasSuffix(rest, "/signals") {
		return "", false
	}
	return strings.TrimSuffix(rest, "/signals"), true
}

func writeJSONError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TestSchedulerUnderFaults runs the real client and scheduler over real HTTP against the fake Smartcar for a
// simulated day. For 16 hours, at random steps, the API refuses connections, times out or cuts the connection after
// reading the request, answers 401 (the token endpoint too), 307, 429 with odd Retry-After values and 430, and the
// state write fails. The fake must see no early read, the proxy no read inside its Retry-After or before its time
// was recorded, the redirect's target nothing; once the faults stop every vehicle is read again as soon as its
// gate allows.
func TestSchedulerUnderFaults(t *testing.T) {
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	srv := fakeserver.New(fakeserver.Options{Clock: clock.Now}, httpCars(24)...)
	defer srv.Close()
	var strays atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { strays.Add(1) }))
	defer elsewhere.Close()
	store := &failingStore{MemoryStore: ledger.NewMemoryStore(ledger.State{})}
	proxy := &faultProxy{fake: srv.Handler(), store: store, clock: clock, elsewhere: elsewhere,
		rnd: rand.New(rand.NewPCG(7, 8)), notBefore: map[string]time.Time{}}
	front := httptest.NewServer(proxy)
	defer front.Close()
	client := faultClient(t, front.URL, clock, proxy)
	api := fleet.NewSmartcarAPI(client, "live", clock.Now)
	auto := map[policy.Badge]bool{policy.Legacy: true, policy.KeyInstalled: true, policy.Keyless: true, policy.Unknown: true}
	sched := schedule.New(schedule.Config{Auto: auto, Inline: true, Rand: rand.New(rand.NewPCG(1, 2))},
		store, api)
	f := fleet.NewLive(config.Config{Intervals: policy.DefaultIntervals()}, store, api, sched)
	ctx := context.Background()
	if err := f.Refresh(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	// settled: the answers held while the store failed are saved (a retry a minute) by then.
	faultsEnd, settled, end := start.Add(16*time.Hour), start.Add(16*time.Hour+2*time.Minute), start.Add(24*time.Hour)
	var due map[string]time.Time
	for now := start; now.Before(end); {
		mode := ""
		if now.Before(faultsEnd) && rnd.Float64() < 0.3 {
			mode = faultModes[rnd.IntN(len(faultModes))]
		}
		if now.Before(faultsEnd) && rnd.Float64() < 0.002 {
			srv.Inject("veh-05", 1, fakeserver.Failure{Type: "BILLING", Code: "VEHICLE_LIMIT"})
		}
		proxy.set(mode)
		store.failing.Store(mode == "disk")
		if due == nil && !now.Before(settled) {
			due = dueTimes(t, f, now, end.Add(-10*time.Minute))
		}
		next := sched.Step(ctx, now)
		if next.IsZero() || next.Sub(now) > time.Minute {
			next = now.Add(time.Minute)
		}
		now = next
		clock.Set(now)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("the fake recorded %d early reads, first %+v", len(v), v[0])
	}
	for _, p := range proxy.problems {
		t.Error(p)
	}
	if n := strays.Load(); n != 0 {
		t.Errorf("the redirect's target got %d requests, want none", n)
	}
	checkReadAgain(t, srv, due, faultsEnd)
}

// faultClient is the smartcar client over the proxy: a transport that refuses connections while the proxy plays
// "refuse" (it dials a closed port), without keep-alive so each request dials.
func faultClient(t *testing.T, base string, clock *fakeClock, p *faultProxy) *smartcar.Client {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	var d net.Dialer
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		if mode == "refuse" {
			addr = refused
		}
		return d.DialContext(ctx, network, addr)
	}}
	client, err := smartcar.New(smartcar.Config{ClientID: "client_fake", ClientSecret: "fake-secret",
		APIBase: base + "/v3", TokenURL: base + "/oauth2/token", Now: clock.Now, MaxSignalPages: 1,
		HTTP: &http.Client{Transport: tr, Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// dueTimes returns when each vehicle's gate opens, as its record says at now; vehicles whose gate never opens
// (reads stopped) or opens after until are left out.
func dueTimes(t *testing.T, f *fleet.Fleet, now, until time.Time) map[string]time.Time {
	t.Helper()
	entries, err := f.Entries()
	if err != nil {
		t.Fatal(err)
	}
	due := map[string]time.Time{}
	for _, e := range entries {
		at, ok := e.NextRead(policy.DefaultIntervals(), now)
		if ok && at.Before(until) {
			due[e.ID] = later(at, now)
		}
	}
	return due
}

// checkReadAgain fails for every vehicle the fake did not read after since within 8 minutes of its due time: the
// retry of a refused credential or an unreachable API waits 5 minutes at most.
func checkReadAgain(t *testing.T, srv *fakeserver.Server, due map[string]time.Time, since time.Time) {
	t.Helper()
	if len(due) < 12 {
		t.Fatalf("only %d vehicles due after the faults, want at least half of the 24", len(due))
	}
	for id, at := range due {
		var first time.Time
		for _, r := range srv.Reads(id) {
			if !r.Before(since) {
				first = r
				break
			}
		}
		if first.IsZero() || first.After(at.Add(8*time.Minute)) {
			t.Errorf("%s: first read after the faults at %v, want by %v (its gate opens at %v)", id, first,
				at.Add(8*time.Minute), at)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// failingStore is a memory store whose updates fail while failing is set, like a full disk.
type failingStore struct {
	*ledger.MemoryStore
	failing atomic.Bool
}

func (f *failingStore) Update(ids []string, now time.Time, fn func(ledger.State, time.Time) ledger.State) (ledger.State, error) {
	if f.failing.Load() {
		return ledger.State{}, errors.New("write state: no space left on device")
	}
	return f.MemoryStore.Update(ids, now, fn)
}
