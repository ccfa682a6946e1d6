package ledger

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fleetkey/policy"
)

// conformanceCases is the one table that every engine of Ledger runs (see TestConformance): what one engine does, all
// do. The cases marked shared run only on the engines that several processes can share, SQLite and PostgreSQL: the
// memory engine lives and dies with its one process, by design.
var conformanceCases = []struct {
	name   string
	shared bool
	run    func(t *testing.T, db *testDB)
}{
	{name: "gate at the boundary", run: testGate},
	{name: "concurrent grants", run: testConcurrentGrants},
	{name: "two processes (shared engines only)", shared: true, run: testTwoProcesses},
	{name: "crash after the grant (shared engines only)", shared: true, run: testCrash},
	{name: "failed outcome write (shared engines only)", shared: true, run: testFailedWrite},
	{name: "import every kind of record", run: testImport},
	{name: "since and cursor", run: testSince},
	{name: "lease", run: testLease},
	{name: "listing", run: testListing},
	{name: "newer schema refused (shared engines only)", shared: true, run: testNewerSchema},
	{name: "update rejects", run: testUpdateRejects},
	{name: "version 1 rows split (shared engines only)", shared: true, run: testSplitReadings},
	{name: "a lean write keeps the reading", run: testLeanWrite},
	{name: "concurrent first opens migrate once (shared engines only)", shared: true, run: testConcurrentOpen},
}

// testConcurrentOpen opens a new, empty database from 4 handles at once, as processes starting together do, several
// times: every open must succeed (the migration runs once, under its lock).
func testConcurrentOpen(t *testing.T, db *testDB) {
	for round := range 6 {
		loc := filepath.Join(t.TempDir(), fmt.Sprintf("round-%d.db", round))
		if db.pg != nil {
			loc = db.pg.URL(t)
		}
		start := make(chan struct{})
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				<-start
				l, err := openEngine(db.engine, loc)
				if err == nil {
					err = l.Close()
				}
				errs <- err
			}()
		}
		close(start)
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a concurrent first open = %v, want nil", round, err)
			}
		}
	}
}

// TestConformance runs conformanceCases on every engine, each case on a fresh, empty database: subtests are named
// engine/case. The engines run in parallel (they share nothing: each PostgreSQL case that kills the server kills
// its engine's own); the cases of one engine run in order.
func TestConformance(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fresh := e.start(t)
			for _, c := range conformanceCases {
				if c.shared && !e.shared {
					continue
				}
				t.Run(c.name, func(t *testing.T) { c.run(t, fresh(t)) })
			}
		})
	}
}

// mustGrant passes id's read through the gate on l at now and fails the test unless the result is want.
func mustGrant(t *testing.T, l Ledger, id string, now time.Time, want bool) {
	t.Helper()
	if got, err := tryGrant(l, id, paired, now); err != nil || got != want {
		t.Fatalf("grant %s at %v = %v, %v; want %v, nil", id, now, got, err, want)
	}
}

// wantState fails the test unless l's records of the ids of want are want.
func wantState(t *testing.T, l Ledger, want State, when string) {
	t.Helper()
	ids := slices.Collect(maps.Keys(want.Vehicles))
	got, err := l.Get(ids)
	if err != nil {
		t.Fatalf("Get(%v) %s: %v", ids, when, err)
	}
	if d := diffStates(got, want); len(d) > 0 {
		t.Errorf("Get(%v) %s differs:\n%s", ids, when, strings.Join(d, "\n"))
	}
}

func testGate(t *testing.T, db *testDB) {
	read := stateBase.Add(-time.Hour) // the last read, answered
	unknown := policy.Facts{Make: "Tesla", Model: "Model Y", Year: 2024}
	tests := []struct {
		name  string
		facts policy.Facts
		rec   Record
		next  time.Time // the first instant the read is granted; zero: never
	}{
		{name: "key installed", facts: paired, rec: Record{LastReadAt: read}, next: read.Add(30 * time.Minute)},
		{name: "legacy", facts: policy.Facts{Make: "Tesla", Model: "Model S", Year: 2020}, rec: Record{LastReadAt: read},
			next: read.Add(5 * time.Minute)},
		{name: "keyless", facts: policy.Facts{Make: "Tesla", Model: "Model 3", Year: 2021, Key: policy.KeyMissing},
			rec: Record{LastReadAt: read}, next: read.Add(8 * time.Hour)},
		{name: "unknown key counts as keyless", facts: unknown, rec: Record{LastReadAt: read}, next: read.Add(8 * time.Hour)},
		{name: "key learned by a read", facts: unknown, rec: Record{LastReadAt: read, Key: "installed"},
			next: read.Add(30 * time.Minute)},
		{name: "reservation not ended", facts: paired, rec: Record{LastReadAt: read, ReservedAt: stateBase.Add(sendWindow)},
			next: stateBase.Add(sendWindow + 30*time.Minute)},
		{name: "retry-after hold", facts: paired, rec: Record{LastReadAt: read, NotBefore: read.Add(45 * time.Minute)},
			next: read.Add(45 * time.Minute)},
		{name: "billing stop", facts: paired, rec: Record{LastReadAt: read, Stopped: "billing limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.name
			if err := Put(db, State{Vehicles: map[string]Record{id: tt.rec}}, read); err != nil {
				t.Fatal(err)
			}
			before, err := db.Get([]string{id})
			if err != nil {
				t.Fatal(err)
			}
			cursor, err := db.Cursor()
			if err != nil {
				t.Fatal(err)
			}
			refuseAt := tt.next.Add(-time.Nanosecond)
			if tt.next.IsZero() {
				refuseAt = read.Add(1000 * time.Hour)
			}
			var granted bool
			if _, err := db.Update([]string{id}, refuseAt, grant(id, tt.facts, &granted)); err != nil || granted {
				t.Fatalf("gate at %v (1 ns before the next read) = %v, %v; want refused", refuseAt, granted, err)
			}
			wantState(t, db, before, "after a refused read")
			if got, err := db.Cursor(); err != nil || got != cursor {
				t.Errorf("Cursor() after a refused read = %d, %v; want %d: a refused gate leaves no trace", got, err, cursor)
			}
			if tt.next.IsZero() {
				return
			}
			st, err := db.Update([]string{id}, tt.next, grant(id, tt.facts, &granted))
			if err != nil || !granted {
				t.Fatalf("gate at %v (the next read) = %v, %v; want granted", tt.next, granted, err)
			}
			if got, want := st.Vehicles[id].ReservedAt, tt.next.Add(sendWindow); !got.Equal(want) {
				t.Errorf("ReservedAt after the grant = %v, want %v", got, want)
			}
		})
	}
}

// raceGrants passes the reads of 10 vehicles through the gate from 8 goroutines at once, goroutine g on handles[g],
// all at one instant, and fails the test unless each vehicle's read was granted exactly once.
func raceGrants(t *testing.T, handles []Ledger, prefix string) {
	const vehicles = 10
	var mu sync.Mutex
	wins := map[string]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, l := range handles {
		wg.Go(func() {
			<-start
			for v := range vehicles {
				id := fmt.Sprintf("%s-%d", prefix, v)
				ok, err := tryGrant(l, id, paired, stateBase)
				if err != nil {
					t.Errorf("grant %s: %v", id, err)
				}
				if ok {
					mu.Lock()
					wins[id]++
					mu.Unlock()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for v := range vehicles {
		if id := fmt.Sprintf("%s-%d", prefix, v); wins[id] != 1 {
			t.Errorf("vehicle %s granted %d times by %d racing goroutines, want exactly 1", id, wins[id], len(handles))
		}
	}
}

func testConcurrentGrants(t *testing.T, db *testDB) {
	t.Run("one handle", func(t *testing.T) {
		raceGrants(t, slices.Repeat([]Ledger{db.Ledger}, 8), "one")
	})
	if !db.shared {
		return // one process, one handle
	}
	t.Run("a handle each", func(t *testing.T) {
		var handles []Ledger
		for range 8 {
			handles = append(handles, db.handle(t))
		}
		raceGrants(t, handles, "own")
	})
}

func testTwoProcesses(t *testing.T, db *testDB) {
	children := []*child{spawn(t, db, "race"), spawn(t, db, "race")}
	for _, c := range children {
		c.start(t)
	}
	wins := map[string]int{}
	for _, c := range children {
		for _, id := range c.granted(t) {
			wins[id]++
		}
	}
	for i := range raceVehicles {
		if id := raceID(i); wins[id] != 1 {
			t.Errorf("vehicle %s granted %d times by 2 racing processes, want exactly 1", id, wins[id])
		}
	}
	st, err := db.Load()
	if err != nil || len(st.Vehicles) != raceVehicles {
		t.Fatalf("Load() after the race = %d records, %v; want %d", len(st.Vehicles), err, raceVehicles)
	}
	for id, r := range st.Vehicles {
		if !r.ReservedAt.Equal(stateBase.Add(sendWindow)) {
			t.Errorf("vehicle %s ReservedAt = %v, want %v", id, r.ReservedAt, stateBase.Add(sendWindow))
		}
	}
}

// wantReservationHolds fails the test unless l still counts the read of id reserved at reserved: refused until
// one interval after it, granted then.
func wantReservationHolds(t *testing.T, l Ledger, id string, reserved time.Time) {
	t.Helper()
	st, err := l.Get([]string{id})
	if got := st.Vehicles[id].ReservedAt; err != nil || !got.Equal(reserved) {
		t.Fatalf("ReservedAt after the crash = %v, %v; want %v", got, err, reserved)
	}
	next := reserved.Add(30 * time.Minute)
	mustGrant(t, l, id, stateBase.Add(sendWindow), false)
	mustGrant(t, l, id, next.Add(-time.Nanosecond), false)
	mustGrant(t, l, id, next, true)
}

func testCrash(t *testing.T, db *testDB) {
	t.Run("closed after the grant", func(t *testing.T) {
		l := db.handle(t)
		mustGrant(t, l, "closed", stateBase, true)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		wantReservationHolds(t, db.handle(t), "closed", stateBase.Add(sendWindow))
	})
	t.Run("process killed after the grant", func(t *testing.T) {
		c := spawn(t, db, "grant-and-wait")
		c.start(t)
		if line, err := c.next(); line != "granted "+crashID {
			t.Fatalf("child said %q (%v), want %q; stderr:\n%s", line, err, "granted "+crashID, c.stderr.Bytes())
		}
		c.kill()
		wantReservationHolds(t, db.handle(t), crashID, stateBase.Add(sendWindow))
	})
}

// breakWrites makes every write to db fail for real, and returns what repairs it: for SQLite, a full disk (db must
// live on the tmpfs of sqliteOnTmpfs); for PostgreSQL, a dead server.
func breakWrites(t *testing.T, db *testDB) (repair func()) {
	t.Helper()
	if db.pg != nil {
		db.pg.Kill(t)
		return func() { db.pg.Restart(t) }
	}
	path := filepath.Join(filepath.Dir(db.loc), "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{64 << 10, 4 << 10} { // tmpfs allocates pages: fill to the last one
		for err == nil {
			_, err = f.Write(make([]byte, size))
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("fill the disk: %v", err)
		}
		err = nil
	}
	return func() {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// sqliteOnTmpfs returns a SQLite database on a tmpfs of its own, small enough to fill.
func sqliteOnTmpfs(t *testing.T) *testDB {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v: %s): a write failing on a full disk is not tested here", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	db := &testDB{engine: "sqlite", loc: filepath.Join(dir, "ledger.db"), shared: true}
	db.Ledger = db.handle(t)
	return db
}

func testFailedWrite(t *testing.T, db *testDB) {
	if db.engine == "sqlite" {
		db = sqliteOnTmpfs(t) // a disk that can be filled
	}
	mustGrant(t, db, "v", stateBase, true)
	before, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	cursor, err := db.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	repair := breakWrites(t, db)
	if _, err := endRead(db, "v", stateBase.Add(2*time.Second)); err == nil {
		t.Errorf("outcome write with writes broken: nil error, want one")
	} else {
		t.Logf("outcome write with writes broken: %v", err)
	}
	if ok, err := tryGrant(db, "w", paired, stateBase); err == nil || ok {
		t.Errorf("grant with writes broken = %v, %v; want false and an error", ok, err)
	}
	repair()
	after := db.handle(t)
	wantState(t, after, before, "after the failed writes")
	if got, err := after.Cursor(); err != nil || got != cursor {
		t.Errorf("Cursor() after the failed writes = %d, %v; want %d", got, err, cursor)
	}
	if _, err := endRead(db, "v", stateBase.Add(3*time.Second)); err != nil {
		t.Errorf("outcome write on the first handle once repaired: %v", err)
	}
	if _, err := endRead(after, "v", stateBase.Add(4*time.Second)); err != nil {
		t.Errorf("outcome write on a new handle once repaired: %v", err)
	}
}

// importFixture is a JSON state of version 3 holding every kind of record.
const importFixture = "testdata/import-every-kind.json"

func testImport(t *testing.T, db *testDB) {
	raw, err := os.ReadFile(importFixture)
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadState(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if unset := unsetFields(slices.Collect(maps.Values(want.Vehicles))); len(unset) > 0 {
		t.Fatalf("%s sets no %v: add a record that does", importFixture, unset)
	}
	now := stateBase.Add(time.Hour)
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	n, backup, err := Import(db, path, now)
	if wantBackup := path + ".imported-20250301T130000Z"; err != nil || n != len(want.Vehicles) || backup != wantBackup {
		t.Fatalf("Import() = %d, %q, %v; want %d, %q, nil", n, backup, err, len(want.Vehicles), wantBackup)
	}
	if b, err := os.ReadFile(backup); err != nil || !bytes.Equal(b, raw) {
		t.Errorf("backup %s holds %d bytes (%v), want the fixture's %d", backup, len(b), err, len(raw))
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) after Import = %v, want not exist", path, err)
	}
	wantLoad(t, db.other(t), want, "after Import")
	if n, backup, err := Import(db, path, now); n != 0 || backup != "" || err != nil {
		t.Errorf("second Import() = %d, %q, %v; want 0, \"\", nil", n, backup, err)
	}
	wantLoad(t, db, want, "after the second Import")
	var out bytes.Buffer
	if err := Export(db, &out); err != nil {
		t.Fatal(err)
	}
	exported, err := LoadState(&out)
	if err != nil {
		t.Fatalf("LoadState(Export()): %v", err)
	}
	if d := diffStates(exported, want); len(d) > 0 {
		t.Errorf("LoadState(Export()) differs from the fixture:\n%s", strings.Join(d, "\n"))
	}
}

// wantLoad fails the test unless l.Load() is want and l.Lean() is want's lean copy.
func wantLoad(t *testing.T, l Ledger, want State, when string) {
	t.Helper()
	got, err := l.Load()
	if err != nil {
		t.Fatalf("Load() %s: %v", when, err)
	}
	if d := diffStates(got, want); len(d) > 0 {
		t.Errorf("Load() %s differs:\n%s", when, strings.Join(d, "\n"))
	}
	lean := State{Vehicles: map[string]Record{}}
	for id, r := range want.Vehicles {
		lean.Vehicles[id] = r.Lean()
	}
	if got, err = l.Lean(); err != nil {
		t.Fatalf("Lean() %s: %v", when, err)
	}
	if d := diffStates(got, lean); len(d) > 0 {
		t.Errorf("Lean() %s differs:\n%s", when, strings.Join(d, "\n"))
	}
}

// wantNoChange fails the test unless Since(cursor) on l returns no record.
func wantNoChange(t *testing.T, l Ledger, cursor uint64, when string) uint64 {
	t.Helper()
	st, next, err := l.Since(cursor)
	if err != nil || len(st.Vehicles) != 0 || next < cursor {
		t.Fatalf("Since(%d) %s = %d records, %d, %v; want none, ≥ %d, nil", cursor, when, len(st.Vehicles), next, err,
			cursor)
	}
	return next
}

// sinceWithin polls Since(cursor) on l until it returns a record, for at most d, and returns it and the next cursor.
func sinceWithin(t *testing.T, l Ledger, cursor uint64, d time.Duration) (State, uint64, int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for calls := 1; ; calls++ {
		st, next, err := l.Since(cursor)
		if err != nil {
			t.Fatalf("Since(%d): %v", cursor, err)
		}
		if len(st.Vehicles) > 0 || time.Now().After(deadline) {
			return st, next, calls
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testSince(t *testing.T, db *testDB) {
	readers := map[string]Ledger{"same handle": db.Ledger}
	if db.shared {
		readers["another handle"] = db.handle(t)
	}
	for _, name := range slices.Sorted(maps.Keys(readers)) {
		reader := readers[name]
		t.Run(name, func(t *testing.T) {
			mustGrant(t, db, name+" old", stateBase, true)
			cursor, err := reader.Cursor()
			if err != nil {
				t.Fatal(err)
			}
			cursor = wantNoChange(t, reader, cursor, "before any change")
			cursor = wantNoChange(t, reader, cursor, "called again")
			mustGrant(t, db, name+" new", stateBase, true)
			wait := time.Duration(0) // SQLite and memory: the first call sees it
			if db.pg != nil {
				wait = 2 * time.Second // PostgreSQL: once the NOTIFY came
			}
			st, next, calls := sinceWithin(t, reader, cursor, wait)
			want, err := db.Get([]string{name + " new"})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffStates(st, want); len(d) > 0 || next <= cursor {
				t.Fatalf("Since(%d) after a write = %v, %d (%d calls); want only the new record, > %d:\n%s",
					cursor, st, next, calls, cursor, strings.Join(d, "\n"))
			}
			cursor = wantNoChange(t, reader, next, "after reading the change")
			mustGrant(t, db, name+" new", stateBase, false)
			wantNoChange(t, reader, cursor, "after a refused read")
		})
	}
}

func testLease(t *testing.T, db *testDB) {
	const ttl = time.Minute
	steps := []struct {
		name   string
		holder string
		ttl    time.Duration
		at     time.Duration // after stateBase
		want   string        // the holder after the call
		until  time.Duration // when the lease then expires, after stateBase
	}{
		{"first holder gets it", "a", ttl, 0, "a", 60 * time.Second},
		{"asking as nobody changes nothing", "", 0, 10 * time.Second, "a", 60 * time.Second},
		{"second is refused while it lives", "b", ttl, 30 * time.Second, "a", 60 * time.Second},
		{"holder renews", "a", ttl, 30 * time.Second, "a", 90 * time.Second},
		{"refused 1 ns before expiry", "b", ttl, 90*time.Second - 1, "a", 90 * time.Second},
		{"second gets it at expiry", "b", ttl, 90 * time.Second, "b", 150 * time.Second},
		{"release by another does nothing", "a", 0, 100 * time.Second, "b", 150 * time.Second},
		{"release by the holder frees it", "b", 0, 100 * time.Second, "", 0},
		{"free lease is granted", "a", ttl, 100 * time.Second, "a", 160 * time.Second},
		{"expired lease is nobody's", "c", 0, 200 * time.Second, "", 0},
		{"asking as nobody when nobody holds it", "", 0, 200 * time.Second, "", 0},
	}
	handles := map[string]Ledger{"a": db.Ledger, "b": db.other(t), "c": db.other(t), "": db.other(t)}
	for _, s := range steps {
		want := Lease{Holder: s.want, Mine: s.want != "" && s.want == s.holder}
		if s.want != "" {
			want.Until = stateBase.Add(s.until)
		}
		at := stateBase.Add(s.at)
		got, err := handles[s.holder].Lease(s.holder, s.ttl, at)
		if err != nil || got.Holder != want.Holder || !got.Until.Equal(want.Until) || got.Mine != want.Mine {
			t.Fatalf("%s: Lease(%q, %v, %v) = %+v, %v; want %+v", s.name, s.holder, s.ttl, at, got, err, want)
		}
	}
}

// listed returns a page of the listing: the vehicles ids, each encoded as its id and version.
func listed(version string, ids ...string) []Listed {
	var out []Listed
	for _, id := range ids {
		out = append(out, Listed{ID: id, Data: []byte(id + version)})
	}
	return out
}

func testListing(t *testing.T, db *testDB) {
	at1, at2 := stateBase, stateBase.Add(time.Hour)
	steps := []struct {
		name  string
		page  []Listed
		at    time.Time
		final bool
		want  Listing
	}{
		{"first page", listed("1", "a", "b"), at1, false, Listing{Items: listed("1", "a", "b"), At: at1}},
		{"last page", listed("1", "c"), at1, true, Listing{Items: listed("1", "a", "b", "c"), At: at1, Complete: true}},
		{"newer refresh restarts", listed("2", "c", "a"), at2, false,
			Listing{Items: append(listed("2", "c", "a"), listed("1", "b")...), At: at2}},
		{"late last page of the older refresh", listed("1", "e"), at1, true,
			Listing{Items: append(listed("2", "c", "a"), listed("1", "b", "e")...), At: at2}},
		{"its last page drops the unseen", listed("2", "d"), at2, true,
			Listing{Items: listed("2", "c", "a", "d"), At: at2, Complete: true}},
	}
	reader := db.other(t)
	if got, err := reader.Listing(); err != nil || len(got.Items) != 0 || !got.At.IsZero() || got.Complete {
		t.Fatalf("Listing() of a new ledger = %+v, %v; want empty", got, err)
	}
	for _, s := range steps {
		if err := db.PutListing(s.page, s.at, s.final); err != nil {
			t.Fatalf("%s: PutListing: %v", s.name, err)
		}
		got, err := reader.Listing()
		if err != nil || !slices.EqualFunc(got.Items, s.want.Items, func(a, b Listed) bool {
			return a.ID == b.ID && bytes.Equal(a.Data, b.Data)
		}) || !got.At.Equal(s.want.At) || got.Complete != s.want.Complete {
			t.Fatalf("%s: Listing() = %s, %v; want %s", s.name, showListing(got), err, showListing(s.want))
		}
	}
}

// showListing writes l for a failure message.
func showListing(l Listing) string {
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, string(it.Data))
	}
	return fmt.Sprintf("%v at %v complete %v", ids, l.At.UTC(), l.Complete)
}

// rawDB opens db's database with its bare driver, as another program (or a newer fleetkey) would.
func rawDB(t *testing.T, db *testDB) *sql.DB {
	t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[db.engine]
	raw, err := sql.Open(driver, db.loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func testNewerSchema(t *testing.T, db *testDB) {
	mustGrant(t, db, "v", stateBase, true)
	before, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, db)
	if _, err := raw.Exec(fmt.Sprintf("UPDATE fk_schema SET version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string { return schemaSnapshot(t, raw, db) }
	was := snapshot()
	if l, err := openEngine(db.engine, db.loc); !errors.Is(err, ErrNewerSchema) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("open a ledger of schema version %d = %v, want ErrNewerSchema", SchemaVersion+1, err)
	}
	if now := snapshot(); now != was {
		t.Errorf("open refused, but the database changed:\nbefore %s\nafter  %s", was, now)
	}
	if _, err := raw.Exec(fmt.Sprintf("UPDATE fk_schema SET version = %d", SchemaVersion)); err != nil {
		t.Fatal(err)
	}
	wantLoad(t, db.handle(t), before, "once the schema is back")
}

// schemaSnapshot describes what a refused open must not change: the schema version and every row of the records,
// and for SQLite the bytes of the file and its write-ahead log as well.
func schemaSnapshot(t *testing.T, raw *sql.DB, db *testDB) string {
	t.Helper()
	var b strings.Builder
	var v int
	if err := raw.QueryRow("SELECT version FROM fk_schema").Scan(&v); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "version %d", v)
	rows, err := raw.Query("SELECT id, rec, seq FROM fk_records ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, rec string
		var seq int64
		if err := rows.Scan(&id, &rec, &seq); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "; %s %d %s", id, seq, rec)
	}
	if db.engine == "sqlite" {
		for _, path := range []string{db.loc, db.loc + "-wal"} {
			file, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "; %s %x", filepath.Base(path), file)
		}
	}
	return b.String()
}

func TestSQLiteGarbageFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	garbage := make([]byte, 16<<10)
	rng := rand.NewChaCha8([32]byte{7})
	_, _ = rng.Read(garbage)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := OpenSQLite(path)
	if err == nil {
		l.Close()
		t.Fatalf("OpenSQLite(random bytes) = nil error, want one")
	}
	if !strings.Contains(err.Error(), "will not reset it") || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenSQLite(random bytes) error = %q, want it to name the file and say it will not reset it", err)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, garbage) {
		t.Errorf("the refused file changed (%d bytes, %v), want it as it was", len(b), err)
	}
}

func testUpdateRejects(t *testing.T, db *testDB) {
	rec := Record{LastReadAt: stateBase.Add(time.Hour)}
	tests := []struct {
		name    string
		ids     []string
		returns []string // the ids whose records fn returns
		want    error    // nil: any error
	}{
		{name: "a record not asked for", ids: []string{"a"}, returns: []string{"a", "b"}, want: ErrForeignIDs},
		{name: "only a record not asked for", ids: []string{"a"}, returns: []string{"b"}, want: ErrForeignIDs},
		{name: "an empty id", ids: []string{""}, returns: []string{""}},
		{name: "an empty id beside a good one", ids: []string{"a", "", "c"}, returns: []string{"a", "", "c"}},
	}
	mustGrant(t, db, "a", stateBase, true)
	before, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	cursor, err := db.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		_, err := db.Update(tt.ids, stateBase, func(State, time.Time) State {
			out := State{Vehicles: map[string]Record{}}
			for _, id := range tt.returns {
				out.Vehicles[id] = rec
			}
			return out
		})
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Update() error = %v, want an error (wrapping %v when not nil)", tt.name, err, tt.want)
		}
		wantLoad(t, db, before, "after Update with "+tt.name)
		wantNoChange(t, db, cursor, "after Update with "+tt.name)
	}
}
