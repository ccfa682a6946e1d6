package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/ledger/pgtest"
	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// takeoverLimit is the on-call's promise: after the leader dies, another process reads automatically within it.
const takeoverLimit = 30 * time.Second

// TestSharedPostgresTakeover runs two real `fleetkey serve` processes, each with its own home and state directory,
// on one PostgreSQL ledger and one fake Smartcar, every badge read automatically at intervals of seconds. Each
// process reaches the fake through a door of its own, so every read is known by its sender. Only the lease holder
// reads; once it has read several vehicles, one twice, it is killed with SIGKILL, and the other must take the lease
// and read within 30 s, then read vehicles the dead one had read. The fake judges every read against the same
// intervals: none may be early.
func TestSharedPostgresTakeover(t *testing.T) {
	probe, fake, a, b := startTakeoverRig(t)
	leader, standby := electedOf(t, probe, a, b)
	ph := &leasePhase{t: t, probe: probe, fake: fake, leader: leader, standby: standby}
	began := time.Now()
	ph.await("the leader read 5 vehicles, one of them twice", 30*time.Second, func() bool {
		return len(leader.door.vehicles()) >= 5 && repeatReads(fake) >= 1
	})
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ph.killed = time.Now()
	<-leader.exited
	byLeader := leader.door.vehicles()
	t.Logf("the leader (%s) read %d times, %d vehicles, in %v; SIGKILL", leader.holder, leader.door.count(),
		len(byLeader), ph.killed.Sub(began).Round(time.Millisecond))

	ph.await("the standby holds the lease and read", takeoverLimit, func() bool {
		return ph.holder == standby.holder && standby.door.count() > 0
	})
	took := standby.door.first().Sub(ph.killed)
	t.Logf("takeover: the standby (%s) read %v after the SIGKILL; the lease was seen to be its %v after it",
		standby.holder, took.Round(time.Millisecond), ph.heldAt.Sub(ph.killed).Round(time.Millisecond))
	if took > takeoverLimit {
		t.Fatalf("the standby read first %v after the leader's SIGKILL, want within %v", took, takeoverLimit)
	}
	ph.await("the standby read 2 vehicles the dead leader had read, 8 repeat reads in all", 20*time.Second, func() bool {
		return both(standby.door.vehicles(), byLeader) >= 2 && repeatReads(fake) >= 8
	})
	if v := fake.Violations(); len(v) != 0 {
		t.Fatalf("the fake judged reads early: %+v", v)
	}
	t.Logf("reads: %d by the leader, %d by the standby (%v after its first); %d repeat reads judged, none early",
		leader.door.count(), standby.door.count(), time.Since(standby.door.first()).Round(time.Millisecond),
		repeatReads(fake))
}

// both counts the vehicles in a and in b.
func both(a, b map[string]bool) int {
	n := 0
	for id := range a {
		if b[id] {
			n++
		}
	}
	return n
}

// startTakeoverRig starts a throwaway PostgreSQL with one empty database, the fake with the takeover fleet, and two
// serves on that database, listening. The probe it returns asks the lease without taking it; opening it migrates
// the database before the serves open it, so that this test is about the lease, not about a first migration.
func startTakeoverRig(t *testing.T) (ledger.Ledger, *fakeserver.Server, *leaseProc, *leaseProc) {
	t.Helper()
	built := buildInBackground(t)
	url := pgtest.Start(t).URL(t)
	probe, err := ledger.OpenPostgres(url, ledger.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Close() })
	iv := policy.Intervals{Legacy: time.Second, KeyInstalled: 2 * time.Second, Keyless: 3 * time.Second}
	fake := fakeserver.New(fakeserver.Options{Intervals: iv, BucketSize: 1000}, takeoverCars()...)
	t.Cleanup(fake.Close)
	bin := built()
	a, b := startLeaseServe(t, bin, fake, url, iv, "a"), startLeaseServe(t, bin, fake, url, iv, "b")
	a.awaitListening(t)
	b.awaitListening(t)
	return probe, fake, a, b
}

// buildInBackground starts building the binary, as buildFleetkey does, while the test sets up the rest; the
// function it returns waits for the build and returns the binary's path.
func buildInBackground(t *testing.T) func() string {
	bin := filepath.Join(t.TempDir(), "fleetkey")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return func() string {
		t.Helper()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out.String())
		}
		return bin
	}
}

// takeoverCars is a fleet of 16, four of each badge as the fake sees it: key-installed, legacy, keyless, unknown.
func takeoverCars() []fakeserver.Car {
	yes, no := true, false
	kinds := []struct {
		model string
		year  int
		key   *bool
	}{{"Model 3", 2023, &yes}, {"Model S", 2016, nil}, {"Model Y", 2022, &no}, {"Model X", 2024, nil}}
	cars := make([]fakeserver.Car, 16)
	for i := range cars {
		k := kinds[i%len(kinds)]
		cars[i] = fakeserver.Car{VehicleID: fmt.Sprintf("veh-%d", i), UserID: "user-1", Make: "TESLA", Model: k.model,
			Year: k.year, KeyPaired: k.key, Battery: float64(40 + i), RangeKM: 300, OdometerKM: 10000, Online: true}
	}
	return cars
}

// repeatReads counts the reads of a vehicle read before: the reads whose earliness the fake judged.
func repeatReads(fake *fakeserver.Server) int {
	n := 0
	for _, c := range takeoverCars() {
		n += max(fake.ReadCount(c.VehicleID)-1, 0)
	}
	return n
}

// leaseProc is one running `fleetkey serve` of the test, with its door to the fake.
type leaseProc struct {
	name, dir string
	holder    string // its name in the ledger's lease
	cmd       *exec.Cmd
	door      *readDoor
	exited    chan struct{}
}

// startLeaseServe writes, in a directory of its own (also its HOME and XDG_STATE_HOME), a live config on the ledger
// at url and the fake behind a new door, with every badge automatic at iv, and starts `bin serve` on it. The process
// is killed when the test ends.
func startLeaseServe(t *testing.T, bin string, fake *fakeserver.Server, url string, iv policy.Intervals,
	name string) *leaseProc {
	t.Helper()
	p := &leaseProc{name: name, dir: t.TempDir(), door: newReadDoor(t, fake), exited: make(chan struct{})}
	var keys serveProc
	writeFileTB(t, filepath.Join(p.dir, "authorized_keys"), operatorKey(t, &keys))
	base, token := p.door.srv.URL+"/v3", p.door.srv.URL+"/oauth2/token"
	writeFileTB(t, filepath.Join(p.dir, "config.toml"), fmt.Sprintf(`[fleet]
source = "smartcar"
[smartcar]
client_id = "client_fake"
client_secret_env = "FAKE_SECRET"
api_base = %q
token_url = %q
[state]
url = %q
[read]
auto = ["key-installed", "legacy", "keyless", "unknown"]
[policy]
legacy_interval = %q
key_installed_interval = %q
keyless_interval = %q
[serve]
authorized_keys = "authorized_keys"
host_key = "host_key"
`, base, token, url, iv.Legacy.String(), iv.KeyInstalled.String(), iv.Keyless.String()))
	p.cmd = exec.Command(bin, "--config", filepath.Join(p.dir, "config.toml"), "serve", "--listen", "127.0.0.1:0")
	p.cmd.Env = append(os.Environ(), "HOME="+p.dir, "XDG_STATE_HOME="+filepath.Join(p.dir, "state"),
		"XDG_CONFIG_HOME="+filepath.Join(p.dir, "config"), "FAKE_SECRET=fake-secret")
	p.cmd.Stdout, p.cmd.Stderr = createTB(t, filepath.Join(p.dir, "stdout")), createTB(t, filepath.Join(p.dir, "stderr"))
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.exited })
	host, _ := os.Hostname()
	p.holder = fmt.Sprintf("%s pid %d", host, p.cmd.Process.Pid)
	return p
}

// createTB creates a file that is closed when the test ends.
func createTB(t *testing.T, path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// awaitListening waits (bounded) for the process's "listening on" line.
func (p *leaseProc) awaitListening(t *testing.T) {
	t.Helper()
	pollUntil(t, "serve "+p.name+" listening", 20*time.Second, func() bool {
		out, _ := os.ReadFile(filepath.Join(p.dir, "stdout"))
		if isClosed(p.exited) {
			t.Fatalf("serve %s exited before listening:\n%s", p.name, p.output())
		}
		return strings.Contains(string(out), "listening on ")
	}, p.output)
}

// pollUntil calls done every 20 ms until it holds; after limit it fails the test, saying what did not happen, with
// more's text.
func pollUntil(t *testing.T, what string, limit time.Duration, done func() bool, more func() string) {
	t.Helper()
	for deadline := time.Now().Add(limit); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v\n%s", what, limit, more())
		}
	}
}

// output is what the process wrote: stdout, stderr and its log, for failure messages.
func (p *leaseProc) output() string {
	var b strings.Builder
	for _, f := range []string{"stdout", "stderr", filepath.Join("state", "fleetkey", "fleetkey.log")} {
		data, _ := os.ReadFile(filepath.Join(p.dir, f))
		fmt.Fprintf(&b, "--- %s %s:\n%s\n", p.name, f, tail(string(data)))
	}
	return b.String()
}

// isClosed reports whether c is closed, without waiting.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// electedOf waits (bounded) until the lease names a or b, and returns it first.
func electedOf(t *testing.T, probe ledger.Ledger, a, b *leaseProc) (leader, standby *leaseProc) {
	t.Helper()
	var holder string
	pollUntil(t, "a serve holding the lease", 10*time.Second, func() bool {
		l, err := probe.Lease("probe", 0, time.Now()) // ttl 0 for a holder that has nothing: only asks
		if err != nil {
			t.Fatalf("ask the lease: %v", err)
		}
		holder = l.Holder
		return holder != ""
	}, func() string { return a.output() + b.output() })
	switch holder {
	case a.holder:
		return a, b
	case b.holder:
		return b, a
	}
	t.Fatalf("the lease is held by %q, neither %q nor %q", holder, a.holder, b.holder)
	return nil, nil
}

// leasePhase watches, at every poll of an await, that one process leads at a time: before the kill the lease is the
// leader's and the standby reads nothing; after it the lease goes from the leader to nobody to the standby, never
// back, and the standby reads nothing before the last moment the lease was seen to be the leader's. The fake must
// judge no read early.
type leasePhase struct {
	t               *testing.T
	probe           ledger.Ledger
	fake            *fakeserver.Server
	leader, standby *leaseProc
	killed          time.Time // zero before the kill
	holder          string    // the lease's holder at the last poll
	heldAt          time.Time // the poll that first saw the standby hold the lease
	leaderSeen      time.Time // the start of the last poll that saw the leader hold it
}

// await polls, checking the phase each time, until done holds or limit has passed.
func (ph *leasePhase) await(what string, limit time.Duration, done func() bool) {
	ph.t.Helper()
	pollUntil(ph.t, what, limit, func() bool { ph.t.Helper(); ph.check(); return done() }, func() string {
		return fmt.Sprintf("lease held by %q; reads: leader %d, standby %d\n%s%s", ph.holder,
			ph.leader.door.count(), ph.standby.door.count(), ph.leader.output(), ph.standby.output())
	})
}

// check asks the lease and fails the test at the first sign of two leaders, a lease gone astray or an early read.
func (ph *leasePhase) check() {
	ph.t.Helper()
	asked := time.Now()
	l, err := ph.probe.Lease("probe", 0, asked)
	if err != nil {
		ph.t.Fatalf("ask the lease: %v", err)
	}
	switch ph.holder = l.Holder; {
	case l.Holder == ph.leader.holder:
		ph.leaderSeen = asked
	case l.Holder == ph.standby.holder && ph.heldAt.IsZero():
		ph.heldAt = asked
	}
	lead, stand := ph.leader.holder, ph.standby.holder
	switch {
	case ph.killed.IsZero() && l.Holder != lead:
		ph.t.Fatalf("before the leader's kill the lease is held by %q, want the leader %q", l.Holder, lead)
	case !ph.heldAt.IsZero() && l.Holder != stand:
		ph.t.Fatalf("the lease went from the standby %q to %q", stand, l.Holder)
	case l.Holder != "" && l.Holder != lead && l.Holder != stand:
		ph.t.Fatalf("the lease is held by %q, neither %q nor %q", l.Holder, lead, stand)
	}
	if n := ph.standby.door.count(); n > 0 && (ph.killed.IsZero() || ph.standby.door.first().Before(ph.leaderSeen)) {
		ph.t.Fatalf("two leaders: the standby (%s) read at %s while the lease was still seen as the leader's at %s",
			stand, ph.standby.door.first().Format("15:04:05.000"), ph.leaderSeen.Format("15:04:05.000"))
	}
	if v := ph.fake.Violations(); len(v) != 0 {
		ph.t.Fatalf("the fake judged reads early: %+v", v)
	}
}

// readDoor is one process's own loopback door to the shared fake: it passes every request through and notes each
// signals read, so the test knows which process sent it.
type readDoor struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reads []doorRead
}

type doorRead struct {
	id string
	at time.Time
}

// newReadDoor starts a door to fake, closed when the test ends.
func newReadDoor(t *testing.T, fake *fakeserver.Server) *readDoor {
	d := &readDoor{}
	next := fake.Handler()
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/v3/vehicles/")
		if id, sub, _ := strings.Cut(rest, "/"); ok && strings.HasPrefix(sub, "signals") {
			d.mu.Lock()
			d.reads = append(d.reads, doorRead{id: id, at: time.Now()})
			d.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

// seen returns the reads that came through the door so far, in arrival order.
func (d *readDoor) seen() []doorRead {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.reads)
}

func (d *readDoor) count() int { return len(d.seen()) }

// first is when the first read came through; zero before one did.
func (d *readDoor) first() time.Time {
	if r := d.seen(); len(r) > 0 {
		return r[0].at
	}
	return time.Time{}
}

// vehicles are the vehicles read through the door.
func (d *readDoor) vehicles() map[string]bool {
	ids := map[string]bool{}
	for _, r := range d.seen() {
		ids[r.id] = true
	}
	return ids
}
