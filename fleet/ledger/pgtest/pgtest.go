// Package pgtest starts real, throwaway PostgreSQL servers for tests.
//
// Start initialises a cluster in a fresh temporary directory, starts it on a free loopback TCP port
// (listen_addresses 127.0.0.1, the unix socket in the same directory, trust authentication, fsync off) and stops it
// and removes the directory when the test ends, passed or failed. URL hands out a new empty database per call.
//
// The server binaries (initdb, pg_ctl, postgres) are looked up on PATH first, then in /usr/lib/postgresql/*/bin,
// newest version first. When none are found Start skips the test, loudly: besides t.Skip's message, which go test
// shows only with -v, it writes a line to the controlling terminal (/dev/tty) when there is one and -v is off, because
// go test prints nothing but "ok" for a passing package. With FLEETKEY_REQUIRE_POSTGRES=1 (as in CI) missing
// binaries fail the test instead.
//
// FLEETKEY_PGTEST_BIN_DIRS, when set, replaces /usr/lib/postgresql/*/bin by its own list of directories (separated
// by the OS path list separator; empty: none). It exists for pgtest's own test of the missing-binaries case.
//
// Run as root, as in CI, initdb and pg_ctl run as the postgres user through runuser, and the temporary directory is
// made over to that user. A test process that is killed leaves its server behind; the next Start in any test process
// stops such orphans (directories fleetkey-pgtest-* in the temp dir whose owning process is gone) and removes them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv is the environment variable that, set to 1, turns a missing PostgreSQL into a test failure.
const RequireEnv = "FLEETKEY_REQUIRE_POSTGRES"

// BinDirsEnv is the environment variable that, when set, replaces the /usr/lib/postgresql/*/bin search.
const BinDirsEnv = "FLEETKEY_PGTEST_BIN_DIRS"

// startTimeout bounds initdb plus the wait for the server to accept connections, on a loaded machine.
const startTimeout = 2 * time.Minute

// dirPrefix names the temporary directories, so that orphans of killed test processes can be found.
const dirPrefix = "fleetkey-pgtest-"

// Server is a running throwaway PostgreSQL. Its methods are not safe for concurrent use, except URL.
type Server struct {
	bin     string // directory holding initdb, pg_ctl and postgres
	runuser string // runuser's path when the commands must run as the postgres user (we are root), else ""
	dir     string // the temporary directory: data/, the unix socket, server.log
	port    int
	running bool
	dbs     atomic.Int64 // databases made by URL
}

// Start starts a server for the test (or benchmark) and registers its stop with tb.Cleanup. When no PostgreSQL
// binaries can be found it calls tb.Skip with a loud message naming what is missing — unless the environment variable
// FLEETKEY_REQUIRE_POSTGRES=1, then tb.Fatal. Any other failure to start is tb.Fatal with the server's log tail.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, looked := findBin()
	if bin == "" {
		msg := "no PostgreSQL server binaries (initdb, pg_ctl, postgres): looked in " + strings.Join(looked, ", ")
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("pgtest: %s; %s=1 requires them", msg, RequireEnv)
		}
		tellTerminal(tb.Name(), msg)
		tb.Skipf("pgtest: SKIP: %s; install PostgreSQL to run this test (%s=1 makes this a failure)", msg, RequireEnv)
	}
	s := &Server{bin: bin}
	if err := s.init(); err != nil {
		s.remove()
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(s.stop)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// The port is picked free, but another process may take it before the server binds it: try a few.
	var err error
	for range 4 {
		if err = s.pickPort(); err != nil {
			break
		}
		if err = s.start(ctx); err == nil || !strings.Contains(s.logTail(), "could not bind") {
			break
		}
	}
	if err != nil {
		tb.Fatalf("pgtest: start %s: %v\n%s", s.dir, err, s.logTail())
	}
	return s
}

// URL returns a postgres:// URL of a new empty database on the server: each call creates one, as the server's
// superuser postgres, who needs no password from 127.0.0.1. It is safe to call from parallel tests.
func (s *Server) URL(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("db%d", s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: connect to make database %s: %v", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.url(name)
}

// Kill stops the server immediately (pg_ctl stop -m immediate), dropping every connection: for tests of a lost
// connection. The data stays; Restart brings it back.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	if !s.running {
		tb.Fatal("pgtest: Kill: the server is not running")
	}
	if out, err := s.pgctl("stop", "-m", "immediate"); err != nil {
		tb.Fatalf("pgtest: pg_ctl stop: %v\n%s\n%s", err, out, s.logTail())
	}
	s.running = false
}

// Restart starts a killed server again, on the same port and data directory, and waits until it accepts connections.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if s.running {
		tb.Fatal("pgtest: Restart: the server is running; Kill it first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.start(ctx); err != nil {
		tb.Fatalf("pgtest: restart %s: %v\n%s", s.dir, err, s.logTail())
	}
}

func (s *Server) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// init makes the temporary directory, hands it to the postgres user if we are root, and runs initdb in it.
func (s *Server) init() error {
	reapOnce.Do(func() { reapOrphans(s.bin) })
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return err
	}
	s.dir = dir
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if s.runuser, err = runuserPath(); err != nil {
			return err
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, initdb must run as the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := s.command(ctx, "initdb", "--no-sync", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb -D %s: %v\n%s", data, err, out)
	}
	// initdb made postgresql.conf, owned by postgres: appending (even as root) keeps it so.
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "\n# pgtest\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 100\n", dir)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// pickPort writes a free loopback port into the configuration. The last port line wins.
func (s *Server) pickPort() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "data", "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "port = %d\n", s.port)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// start starts the server and waits until a real connection succeeds, or ctx ends.
func (s *Server) start(ctx context.Context) error {
	secs := strconv.Itoa(int(time.Until(deadline(ctx)).Seconds()) + 1)
	if out, err := s.pgctlContext(ctx, "start", "-w", "-t", secs, "-l", filepath.Join(s.dir, "server.log")); err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	s.running = true
	// pg_ctl -w waits for the postmaster to say it is ready; a connection proves it.
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		conn, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the server does not accept connections: %v", err)
		case <-t.C:
		}
	}
}

// stop stops the server, if it runs, and removes its directory. It is idempotent.
func (s *Server) stop() {
	if s.dir == "" {
		return
	}
	// Not only when running: a start that timed out may have left a postmaster behind.
	if _, err := os.Stat(filepath.Join(s.dir, "data", "postmaster.pid")); err == nil {
		_, _ = s.pgctl("stop", "-m", "immediate") // best effort: the directory goes anyway
	}
	s.running = false
	s.remove()
}

func (s *Server) remove() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}

func (s *Server) pgctl(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return s.pgctlContext(ctx, args...)
}

func (s *Server) pgctlContext(ctx context.Context, args ...string) ([]byte, error) {
	return s.command(ctx, "pg_ctl", append([]string{"-D", filepath.Join(s.dir, "data")}, args...)...).CombinedOutput()
}

// command runs one of the server binaries, as the postgres user when we are root, in the server's directory (which
// that user can enter, unlike perhaps the test's), without the PG* variables that could point it elsewhere.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.runuser != "" {
		cmd = exec.CommandContext(ctx, s.runuser, append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = s.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// logTail is the end of the server's log, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "server log tail:\n" + strings.Join(lines, "\n")
}

func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(startTimeout)
}

func runuserPath() (string, error) {
	if p, err := exec.LookPath("runuser"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"} {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New("running as root, initdb must run as the postgres user, but runuser is not found")
}

// findBin returns the first directory holding initdb, pg_ctl and postgres — initdb's on PATH (symlinks followed), then
// /usr/lib/postgresql/*/bin newest first (or FLEETKEY_PGTEST_BIN_DIRS) — or "" and where it looked.
func findBin() (string, []string) {
	var dirs, looked []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real)) // a symlink's target has pg_ctl and postgres beside it
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	looked = append(looked, "PATH")
	if env, ok := os.LookupEnv(BinDirsEnv); ok {
		for _, d := range filepath.SplitList(env) {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
		looked = append(looked, fmt.Sprintf("%s=%q (instead of /usr/lib/postgresql/*/bin)", BinDirsEnv, env))
	} else {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.SliceStable(found, func(i, j int) bool { return newer(found[i], found[j]) })
		dirs = append(dirs, found...)
		looked = append(looked, "/usr/lib/postgresql/*/bin")
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) &&
			isExecutable(filepath.Join(d, "postgres")) {
			return d, looked
		}
	}
	return "", looked
}

// newer reports whether /usr/lib/postgresql/A/bin is a newer version than /usr/lib/postgresql/B/bin (16 > 9.6).
func newer(a, b string) bool {
	va := strings.Split(filepath.Base(filepath.Dir(a)), ".")
	vb := strings.Split(filepath.Base(filepath.Dir(b)), ".")
	for i := 0; i < len(va) && i < len(vb); i++ {
		x, errx := strconv.Atoi(va[i])
		y, erry := strconv.Atoi(vb[i])
		if errx != nil || erry != nil {
			if va[i] != vb[i] {
				return va[i] > vb[i]
			}
			continue
		}
		if x != y {
			return x > y
		}
	}
	return len(va) > len(vb)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

var (
	ttyMu   sync.Mutex
	ttyHint bool
)

// tellTerminal writes the skip of test to the controlling terminal, when there is one and go test runs without -v:
// go test shows a passing package's output only with -v, so t.Skip's message alone is never seen.
func tellTerminal(test, msg string) {
	if testing.Verbose() {
		return // t.Skip's message shows
	}
	ttyMu.Lock()
	defer ttyMu.Unlock()
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return // no terminal: nobody to tell
	}
	defer tty.Close()
	wd, _ := os.Getwd() // go test runs a test binary in its package's directory
	fmt.Fprintf(tty, "pgtest: SKIP %s in %s: %s\n", test, wd, msg)
	if !ttyHint {
		ttyHint = true
		fmt.Fprintf(tty, "pgtest: install PostgreSQL (apt-get install postgresql) to run these tests, then "+
			"go clean -testcache (a cached skip would stay); %s=1 turns the skips into failures\n", RequireEnv)
	}
}

var reapOnce sync.Once

// reapOrphans stops the servers of test processes that were killed before their cleanup ran and removes their
// directories: those fleetkey-pgtest-* whose owner.pid names a process that is gone.
func reapOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue // not ours, or its owner has not written it yet
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		s := &Server{bin: bin, dir: dir}
		if os.Geteuid() == 0 {
			s.runuser, _ = runuserPath()
		}
		s.stop()
	}
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
