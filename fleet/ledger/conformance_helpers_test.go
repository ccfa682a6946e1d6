package ledger

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/ledger/pgtest"
	"fleetkey/policy"
)

// sendWindow is how far past its grant the scheduler reserves a read (package schedule's sendWindow).
const sendWindow = 30 * time.Second

// paired are the facts of a vehicle with its virtual key installed: one read per 30 minutes.
var paired = policy.Facts{Make: "Tesla", Model: "Model 3", Year: 2023, Key: policy.KeyPaired}

// engine is one implementation of Ledger under test.
type engine struct {
	name string
	// shared: several handles, in several processes, can open one database of the engine.
	shared bool
	// start readies the engine for a test (PostgreSQL: starts a server, or skips when there is none) and returns
	// what makes a fresh, empty database of it for a subtest, closed when that subtest ends.
	start func(t *testing.T) (fresh func(t *testing.T) *testDB)
}

// engines returns every engine of the conformance tests.
func engines() []engine {
	return []engine{
		{name: "memory", start: func(*testing.T) func(*testing.T) *testDB {
			return func(*testing.T) *testDB { return &testDB{Ledger: NewMemoryStore(State{}), engine: "memory"} }
		}},
		{name: "sqlite", shared: true, start: func(*testing.T) func(*testing.T) *testDB {
			return func(t *testing.T) *testDB {
				db := &testDB{engine: "sqlite", loc: filepath.Join(t.TempDir(), "ledger.db"), shared: true}
				db.Ledger = db.handle(t)
				return db
			}
		}},
		{name: "postgres", shared: true, start: func(t *testing.T) func(*testing.T) *testDB {
			srv := pgtest.Start(t) // one server for every case: a Start is a whole initdb
			return func(t *testing.T) *testDB {
				db := &testDB{engine: "postgres", loc: srv.URL(t), pg: srv, shared: true}
				db.Ledger = db.handle(t)
				return db
			}
		}},
	}
}

// testDB is one database of an engine under test, and its first handle.
type testDB struct {
	Ledger
	engine string
	loc    string         // the SQLite path or the PostgreSQL URL; "" for memory
	pg     *pgtest.Server // the PostgreSQL server, nil for the other engines
	shared bool           // see engine
}

// openEngine opens a handle on the database at loc of engine, as fleetkey would (but on the caller's clock).
func openEngine(engine, loc string) (Ledger, error) {
	switch engine {
	case "sqlite":
		return OpenSQLite(loc)
	case "postgres":
		return OpenPostgres(loc, PostgresOptions{CallerClock: true})
	}
	return nil, fmt.Errorf("engine %q has no database to open", engine)
}

// handle opens another handle on db, as another process would; it is closed when the test ends.
func (db *testDB) handle(t *testing.T) Ledger {
	t.Helper()
	l, err := openEngine(db.engine, db.loc)
	if err != nil {
		t.Fatalf("open %s %s: %v", db.engine, db.loc, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// other returns another handle on db, or db's own when the engine has no other (memory: one process, one handle).
func (db *testDB) other(t *testing.T) Ledger {
	t.Helper()
	if !db.shared {
		return db.Ledger
	}
	return db.handle(t)
}

// grant is the scheduler's gate in miniature, as Update's fn: at the ledger's now it asks vehicle id's record for its
// next read under facts f and the default intervals and, when now is not before it, reserves the read in the same
// transaction (ReservedAt = now + sendWindow). *granted says whether the last run granted it: fn may run again when
// a transaction is retried.
func grant(id string, f policy.Facts, granted *bool) func(State, time.Time) State {
	return func(st State, now time.Time) State {
		*granted = false
		rec := st.Vehicles[id]
		at, ok := rec.NextRead(rec.Facts(f), rec.ReadAt(), policy.DefaultIntervals(), now)
		if !ok || now.Before(at) {
			return State{}
		}
		rec.ReservedAt = now.Add(sendWindow)
		*granted = true
		return State{Vehicles: map[string]Record{id: rec.Touch(now)}}
	}
}

// tryGrant passes id's read through the gate on l at now and reports whether it was granted.
func tryGrant(l Ledger, id string, f policy.Facts, now time.Time) (bool, error) {
	var granted bool
	_, err := l.Update([]string{id}, now, grant(id, f, &granted))
	return granted && err == nil, err
}

// endRead records the outcome of id's read, answered at at, as the scheduler does: the reservation becomes a read.
func endRead(l Ledger, id string, at time.Time) (State, error) {
	return l.Update([]string{id}, at, func(st State, now time.Time) State {
		rec := st.Vehicles[id]
		rec.LastReadAt, rec.ReservedAt = later(rec.LastReadAt, at), time.Time{}
		return State{Vehicles: map[string]Record{id: rec.Touch(now)}}
	})
}

// Environment of the child processes of the conformance tests (see TestLedgerHelperProcess).
const (
	childJobEnv    = "FLEETKEY_TEST_LEDGER_JOB" // "race" or "grant-and-wait"
	childEngineEnv = "FLEETKEY_TEST_LEDGER_ENGINE"
	childLocEnv    = "FLEETKEY_TEST_LEDGER_LOC"
)

// raceVehicles is how many vehicles the children of a race each try to grant; crashID is the vehicle whose read
// a child grants before it is killed.
const (
	raceVehicles = 50
	crashID      = "crash"
)

// raceID names the i-th vehicle of a race.
func raceID(i int) string { return fmt.Sprintf("v-%03d", i) }

// TestLedgerHelperProcess is the body of the child processes of the conformance tests: another fleetkey on the
// same database. It opens the ledger, says "ready", waits for a line on stdin, does its job, saying "granted ID" for
// each read it was granted, and exits. Run directly, it has nothing to do.
func TestLedgerHelperProcess(t *testing.T) {
	job := os.Getenv(childJobEnv)
	if job == "" {
		return
	}
	if err := childJob(job, os.Getenv(childEngineEnv), os.Getenv(childLocEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func childJob(job, engine, loc string) error {
	l, err := openEngine(engine, loc)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println("ready")
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return fmt.Errorf("wait for go: %w", err)
	}
	ids := []string{crashID}
	if job == "race" {
		ids = ids[:0]
		for i := range raceVehicles {
			ids = append(ids, raceID(i))
		}
	}
	for _, id := range ids {
		ok, err := tryGrant(l, id, paired, stateBase)
		if err != nil {
			return err
		}
		if ok {
			fmt.Println("granted", id)
		}
	}
	if job == "grant-and-wait" {
		_, _ = io.Copy(io.Discard, in) // until killed
	}
	return nil
}

// child is a child process of a conformance test, running TestLedgerHelperProcess.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
}

// spawn starts a child doing job on db and returns once it has opened the ledger; it is killed when the test ends.
func spawn(t *testing.T, db *testDB, job string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestLedgerHelperProcess$")}
	c.cmd.Env = append(os.Environ(), childJobEnv+"="+job, childEngineEnv+"="+db.engine, childLocEnv+"="+db.loc)
	c.cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.kill)
	c.out = bufio.NewReader(stdout)
	if line, err := c.out.ReadString('\n'); line != "ready\n" {
		t.Fatalf("child %s said %q (%v), want \"ready\"; stderr:\n%s", job, line, err, c.stderr.Bytes())
	}
	return c
}

// start tells the child to do its job.
func (c *child) start(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		t.Fatalf("start child: %v", err)
	}
}

// next returns the child's next line of output, without its newline.
func (c *child) next() (string, error) {
	line, err := c.out.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// granted waits for the child to end and returns the vehicles it said it was granted.
func (c *child) granted(t *testing.T) []string {
	t.Helper()
	rest, _ := io.ReadAll(c.out)
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stderr:\n%s", err, c.stderr.Bytes())
	}
	var ids []string
	for line := range strings.Lines(string(rest)) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "granted "); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// kill ends the child with SIGKILL, as a crash or an OOM kill would: no deferred code, no Close.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
}

var timeType = reflect.TypeFor[time.Time]()

// diffStates lists every field in which got and want differ, vehicle by vehicle, comparing times with Equal.
func diffStates(got, want State) []string {
	var out []string
	for id, w := range want.Vehicles {
		g, ok := got.Vehicles[id]
		if !ok {
			out = append(out, fmt.Sprintf("vehicle %q missing", id))
			continue
		}
		out = append(out, diffValues(id, reflect.ValueOf(g), reflect.ValueOf(w))...)
	}
	for id := range got.Vehicles {
		if _, ok := want.Vehicles[id]; !ok {
			out = append(out, fmt.Sprintf("vehicle %q not wanted", id))
		}
	}
	slices.Sort(out)
	return out
}

func diffValues(path string, got, want reflect.Value) []string {
	mismatch := []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
	switch {
	case got.Type() == timeType:
		if !got.Interface().(time.Time).Equal(want.Interface().(time.Time)) {
			return mismatch
		}
	case got.Kind() == reflect.Struct:
		var out []string
		for i := range got.NumField() {
			out = append(out, diffValues(path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))...)
		}
		return out
	case got.Kind() == reflect.Pointer && !got.IsNil() && !want.IsNil():
		return diffValues(path, got.Elem(), want.Elem())
	case !reflect.DeepEqual(got.Interface(), want.Interface()):
		return mismatch
	}
	return nil
}

// unsetFields lists the fields (as paths like "Reading.Battery", or "Value.Unit" for a field of any signal) that no
// value of vs sets: a fixture that claims to hold every kind of record must set each of them in some record.
func unsetFields[T any](vs []T) []string {
	set := map[string]bool{}
	for _, v := range vs {
		markSet("", reflect.ValueOf(v), set)
	}
	var out []string
	for path, ok := range set {
		if !ok {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// markSet records in set, for every leaf field under v, whether v sets it; a nil pointer's fields count as unset.
func markSet(path string, v reflect.Value, set map[string]bool) {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v = reflect.Zero(t.Elem())
		} else {
			v = v.Elem()
		}
		markSet(path, v, set)
	case t.Kind() == reflect.Struct && t != timeType:
		if strings.HasPrefix(t.Name(), "Value[") { // a signal: set when read; its fields, in any signal
			set[path] = set[path] || !v.IsZero()
			path = "Value"
		}
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("json") == "-" { // not in the file (Record.ReadingAt: a lean copy's)
				continue
			}
			markSet(strings.TrimPrefix(path+"."+t.Field(i).Name, "."), v.Field(i), set)
		}
	default:
		set[path] = set[path] || !v.IsZero()
	}
}
