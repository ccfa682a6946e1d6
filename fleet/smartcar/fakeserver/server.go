// Package fakeserver is an in-repo fake of Smartcar's v3 API for tests: the token endpoint, the paged connections
// list, vehicles and their signals, with the documented JSON shapes and error bodies (../shared/docs/smartcar-api-v3.md).
// It keeps the app-wide request bucket and the per-vehicle monthly billing count, and it judges every signals read
// against fleetkey's read rules by its own view of each car's badge: an early read is recorded as a Violation (and, if
// asked, refused with 429 RATE_LIMIT:VEHICLE). Everything it sees is counted so tests can assert on it.
package fakeserver

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"fleetkey/policy"
)

// Car is one connected vehicle as the fake serves it. Its values are what a signals read answers.
type Car struct {
	VehicleID, UserID, Make, Model string
	Year                           int
	Mode                           string // live, test or simulated; empty means live
	VIN                            string // empty: the VIN signal answers UNAVAILABLE

	// KeyPaired is the connectivitystatus-isdigitalkeypaired signal; nil answers COMPATIBILITY:VEHICLE_NOT_CAPABLE.
	KeyPaired *bool
	// KeyRequired makes the data signals (battery, charge, location, odometer) answer
	// CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED, and isdigitalkeypaired false.
	KeyRequired bool
	// Asleep: reads answer 409 VEHICLE_STATE:ASLEEP when Options.AsleepErrors is set, else the isasleep signal is true.
	Asleep bool
	// EmptyStore: reads answer 200 with data [] and totalCount 0 (and a single code answers 404).
	EmptyStore bool

	Battery, RangeKM, OdometerKM float64
	Charging                     string // CHARGING, NOT_CHARGING or FULLY_CHARGED; empty means NOT_CHARGING
	Plugged, Online              bool
	Lat, Lon                     float64
	OEMUpdatedAt                 time.Time // oemUpdatedAt of every value; zero means the time of the read

	// Permissions granted to the connection; nil grants every permission the signals need. A signal whose permission
	// is missing answers PERMISSION:UNKNOWN.
	Permissions []string
	// Unavailable lists signal codes answered UNAVAILABLE.
	Unavailable []string
	// SignalErrors answers the given signal codes with status ERROR and the failure's type, code and resolution.
	SignalErrors map[string]Failure

	// ConnectionID defaults to a UUID derived from VehicleID; ConnectedAt to the clock when the car was added.
	ConnectionID string
	ConnectedAt  time.Time
}

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	ClientID string   // default "client_fake"
	Secrets  []string // valid client secrets, at most 3 (more are ignored); default ["fake-secret"]
	Clock    func() time.Time
	TokenTTL time.Duration // default 1h

	// BucketSize and RefillPerMinute shape the app-wide bucket (default 120 and 2/min); an empty bucket answers
	// 429 RATE_LIMIT:SMARTCAR_API.
	BucketSize      int
	RefillPerMinute float64

	Intervals    policy.Intervals // the read rules judged; default policy.DefaultIntervals()
	BillingLimit int              // billed reads per vehicle per calendar month (UTC) before 430; 0 means none

	TimestampISO    bool // signal meta timestamps as ISO 8601 strings instead of epoch milliseconds
	PageSizeDefault int  // /connections page size when page[size] is absent; default 25

	// EnforceWithRateLimit answers an early read with 429 RATE_LIMIT:VEHICLE and Retry-After (it is still recorded
	// as a Violation).
	EnforceWithRateLimit bool
	// AsleepErrors answers reads of an asleep car with 409 VEHICLE_STATE:ASLEEP instead of isasleep=true.
	AsleepErrors bool
}

// Violation is a read that came earlier than the rules allow for that car. Badge names the rule applied.
type Violation struct {
	VehicleID   string
	At, Allowed time.Time
	Badge       string
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux
	srv  *httptest.Server

	mu       sync.Mutex
	cars     map[string]*carState // by vehicle id; removed cars keep their history
	seq      int
	secrets  []string
	tokens   map[string]time.Time // token → expiry
	bucket   bucket
	injected map[string][]Failure // by vehicle id
	listFail []Failure            // next /connections answers
	holds    map[string]*hold
	counts   counters
}

// counters is the bookkeeping tests assert on.
type counters struct {
	paths            map[string]int
	tokenRequests    int
	bucketRejections int
	violations       []Violation
}

// carState is a car with the fake's history of it.
type carState struct {
	car       Car
	seq       int // order of connection, for newest-first listing
	updatedAt time.Time
	removed   bool
	reads     []time.Time
	lastBadge policy.Badge // the badge at the last read
	billMonth string
	billed    int
}

// New returns a server with the given cars; it is not listening until Start (or use Handler).
func New(opts Options, cars ...Car) *Server {
	opts = withDefaults(opts)
	s := &Server{
		opts:     opts,
		cars:     map[string]*carState{},
		secrets:  opts.Secrets,
		tokens:   map[string]time.Time{},
		bucket:   newBucket(opts.BucketSize, opts.RefillPerMinute, opts.Clock()),
		injected: map[string][]Failure{},
		holds:    map[string]*hold{},
		counts:   counters{paths: map[string]int{}},
	}
	s.mux = s.routes()
	for _, c := range cars {
		s.SetCar(c)
	}
	return s
}

func withDefaults(o Options) Options {
	if o.ClientID == "" {
		o.ClientID = "client_fake"
	}
	if len(o.Secrets) == 0 {
		o.Secrets = []string{"fake-secret"}
	}
	o.Secrets = slices.Clone(o.Secrets[:min(len(o.Secrets), 3)])
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.BucketSize <= 0 {
		o.BucketSize = 120
	}
	if o.RefillPerMinute <= 0 {
		o.RefillPerMinute = 2
	}
	if o.Intervals == (policy.Intervals{}) {
		o.Intervals = policy.DefaultIntervals()
	}
	if o.PageSizeDefault <= 0 {
		o.PageSizeDefault = 25
	}
	return o
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/oauth2/token", s.serveToken)
	m.HandleFunc("GET /v3/connections", s.serveConnections)
	m.HandleFunc("GET /v3/connections/{id}", s.serveConnection)
	m.HandleFunc("DELETE /v3/connections/{id}", s.deleteConnection)
	m.HandleFunc("DELETE /v3/users/{id}", s.deleteUser)
	m.HandleFunc("GET /v3/vehicles/{id}", s.serveVehicle)
	m.HandleFunc("GET /v3/vehicles/{id}/signals", s.serveSignals)
	m.HandleFunc("GET /v3/vehicles/{id}/signals/{code}", s.serveSignal)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFailure(w, Failure{Status: http.StatusNotFound, Type: "RESOURCE_NOT_FOUND", Code: "PATH",
			Detail: "no route " + r.Method + " " + r.URL.Path})
	})
	return m
}

// Start serves on a new 127.0.0.1 port and returns the API base (".../v3") and the token URL (".../oauth2/token").
// A second call returns the same URLs.
func (s *Server) Start() (baseURL, tokenURL string) {
	if s.srv == nil {
		s.srv = httptest.NewServer(s)
	}
	return s.srv.URL + "/v3", s.srv.URL + "/oauth2/token"
}

// Close releases every Hold and stops the server started by Start.
func (s *Server) Close() {
	s.mu.Lock()
	for _, h := range s.holds {
		h.free()
	}
	s.holds = map[string]*hold{}
	s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
	}
}

// Handler returns the server as an http.Handler, for tests that run their own server.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP answers one request: every answer carries sc-request-id; every v3 route needs a valid bearer token and
// then takes one request from the app-wide bucket (the bucket belongs to the application, so an unauthenticated
// request cannot spend it).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("sc-request-id", newUUID())
	s.mu.Lock()
	s.counts.paths[r.URL.Path]++
	s.mu.Unlock()
	if r.URL.Path == "/v3" || strings.HasPrefix(r.URL.Path, "/v3/") {
		if !s.admit(w, r) {
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// SetCar adds a car or replaces the car with the same VehicleID, keeping its history (reads, billing, connection).
func (s *Server) SetCar(c Car) {
	c.Permissions = slices.Clone(c.Permissions)
	c.Unavailable = slices.Clone(c.Unavailable)
	if c.SignalErrors != nil {
		errs := make(map[string]Failure, len(c.SignalErrors))
		for k, v := range c.SignalErrors {
			errs[k] = v
		}
		c.SignalErrors = errs
	}
	if c.Mode == "" {
		c.Mode = "live"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	cs := s.cars[c.VehicleID]
	if cs == nil {
		s.seq++
		cs = &carState{seq: s.seq}
		s.cars[c.VehicleID] = cs
	}
	if c.ConnectionID == "" {
		c.ConnectionID = cs.car.ConnectionID
	}
	if c.ConnectionID == "" {
		c.ConnectionID = uuidFrom("connection:" + c.VehicleID)
	}
	if c.ConnectedAt.IsZero() {
		c.ConnectedAt = cs.car.ConnectedAt
	}
	if c.ConnectedAt.IsZero() {
		c.ConnectedAt = now
	}
	cs.car, cs.updatedAt, cs.removed = c, now, false
}

// RevokeTokens makes every issued token invalid, as if the server had rotated its keys: the next v3 request answers 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// SetSecrets replaces the valid client secrets (at most 3 are kept), as a rotation in the dashboard would.
func (s *Server) SetSecrets(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = slices.Clone(secrets[:min(len(secrets), 3)])
}
