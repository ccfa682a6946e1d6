package pgtest

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestServer(t *testing.T) {
	t0 := time.Now()
	s := Start(t)
	t.Logf("Start took %v", time.Since(t0))
	ctx := context.Background()

	u1, u2 := s.URL(t), s.URL(t)
	if u1 == u2 {
		t.Fatalf("two URL calls gave the same database %s", u1)
	}
	c1, c2 := connect(t, u1), connect(t, u2)
	for _, x := range []struct {
		u string
		c *pgx.Conn
	}{{u1, c1}, {u2, c2}} {
		pu, err := url.Parse(x.u)
		if err != nil {
			t.Fatal(err)
		}
		var db string
		if err := x.c.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimPrefix(pu.Path, "/"); db != want {
			t.Errorf("connected to %s with %s, want %s", db, x.u, want)
		}
	}
	if _, err := c1.Exec(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Exec(ctx, "SELECT n FROM t"); err == nil {
		t.Error("the second database sees the first one's table: the databases are not separate")
	}

	s.Kill(t)
	if err := c1.Ping(ctx); err == nil {
		t.Fatal("a connection still answers after Kill")
	}
	s.Restart(t)
	c := connect(t, u1)
	var n int
	if err := c.QueryRow(ctx, "SELECT n FROM t").Scan(&n); err != nil || n != 42 {
		t.Fatalf("after Restart: n = %d, %v; want the committed 42", n, err)
	}
}

// childEnv marks the run of this test binary, by TestMissingPostgres, in which the PostgreSQL binaries are hidden.
const childEnv = "FLEETKEY_PGTEST_CHILD"

// TestMissingPostgres runs this test binary again with PostgreSQL hidden (an empty PATH directory, no search dirs):
// Start must skip, and fail with FLEETKEY_REQUIRE_POSTGRES=1.
func TestMissingPostgres(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		Start(t)
		t.Fatal("Start returned although no PostgreSQL binaries can be found")
	}
	env := []string{childEnv + "=1", "PATH=" + t.TempDir(), BinDirsEnv + "="}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != RequireEnv && k != BinDirsEnv && k != childEnv {
			env = append(env, kv)
		}
	}
	run := func(env []string) (string, int) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingPostgres$", "-test.v", "-test.count=1")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("run the test binary: %v", err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	out, code := run(env)
	if code != 0 || !strings.Contains(out, "--- SKIP: TestMissingPostgres") ||
		!strings.Contains(out, "no PostgreSQL server binaries (initdb, pg_ctl, postgres)") {
		t.Errorf("without PostgreSQL: exit %d, want 0 and a skip naming the missing binaries; output:\n%s", code, out)
	}

	out, code = run(append(env, RequireEnv+"=1"))
	if code == 0 || !strings.Contains(out, "--- FAIL: TestMissingPostgres") ||
		!strings.Contains(out, RequireEnv+"=1 requires them") {
		t.Errorf("without PostgreSQL, %s=1: exit %d, want a failure; output:\n%s", RequireEnv, code, out)
	}
}

func TestNewer(t *testing.T) {
	dirs := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/10/bin"}
	for i, a := range dirs {
		for j, b := range dirs {
			want := map[string]int{"9.6": 0, "10": 1, "15": 2, "16": 3}
			va := want[strings.Split(a, "/")[4]]
			vb := want[strings.Split(b, "/")[4]]
			if got := newer(a, b); got != (va > vb) {
				t.Errorf("newer(%s, %s) = %v (%d %d)", a, b, got, i, j)
			}
		}
	}
}

// BenchmarkStart measures a Start (initdb, start, first connection) and the stop that follows.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		Start(b).stop()
	}
}
