package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
)

// The `fleetkey connect` tests run the command in this process, against the fake Smartcar, with pipes for its stdin
// and stdout: the test reads what the operator would see and types what the operator would type. Every wait has a
// deadline of waitLimit and fails with the output seen so far.

const waitLimit = 10 * time.Second

// connectRun is one `fleetkey connect` running in a goroutine.
type connectRun struct {
	t       *testing.T
	in      *os.File      // the write end of its stdin
	lines   chan string   // its stdout, line by line; closed at EOF
	seen    []string      // the lines read so far, for the failure messages
	done    chan struct{} // closed when run has returned
	code    int           // run's exit code, once done is closed
	stderr  bytes.Buffer
	started time.Time
}

// startConnect runs `fleetkey --config cfg connect`. The command reads os.Stdin rather than run's stdin, so the
// pipe is both until that is fixed: see TestConnectReadsRunStdin.
func startConnect(t *testing.T, cfg string) *connectRun {
	t.Helper()
	return startConnectOn(t, cfg, true)
}

// startConnectOn runs `fleetkey --config cfg connect` with a pipe as run's stdin; os.Stdin is that pipe too when
// alsoOSStdin, else a pipe at its end.
func startConnectOn(t *testing.T, cfg string, alsoOSStdin bool) *connectRun {
	t.Helper()
	stdinR, stdinW := pipe(t)
	stdoutR, stdoutW := pipe(t)
	r := &connectRun{t: t, in: stdinW, lines: make(chan string, 1024), done: make(chan struct{})}
	saved := os.Stdin
	os.Stdin = stdinR
	if !alsoOSStdin {
		endR, endW := pipe(t)
		endW.Close()
		os.Stdin = endR
	}
	t.Cleanup(func() { r.stop(saved) })
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	r.started = time.Now()
	go func() {
		r.code = run([]string{"--config", cfg, "connect"}, stdinR, stdoutW, &r.stderr)
		stdoutW.Close()
		close(r.done)
	}()
	return r
}

// pipe returns an os.Pipe that is closed at the end of the test.
func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// stop ends the command if it still runs (its stdin closes) and gives os.Stdin back once it has returned.
func (r *connectRun) stop(saved *os.File) {
	r.in.Close()
	select {
	case <-r.done:
		os.Stdin = saved
	case <-time.After(waitLimit):
		r.t.Errorf("fleetkey connect still runs %v after its stdin closed", waitLimit)
	}
}

// send types a line.
func (r *connectRun) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatalf("write %q to stdin: %v", line, err)
	}
}

// waitLine reads stdout until a line satisfies pred and returns it.
func (r *connectRun) waitLine(what string, pred func(string) bool) string {
	r.t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				<-r.done // stdout closes when run has returned
				r.t.Fatalf("stdout ended without %s: exit %d; stdout:\n%s\nstderr:\n%s",
					what, r.code, r.out(), r.stderr.String())
			}
			r.seen = append(r.seen, l)
			if pred(l) {
				return l
			}
		case <-deadline:
			r.t.Fatalf("stdout never showed %s within %v; stdout:\n%s", what, waitLimit, r.out())
		}
	}
}

// wait waits for the command to return, reads the rest of its stdout, and returns its exit code.
func (r *connectRun) wait() int {
	r.t.Helper()
	select {
	case <-r.done:
		for l := range r.lines {
			r.seen = append(r.seen, l)
		}
		return r.code
	case <-time.After(waitLimit):
		r.t.Fatalf("fleetkey connect did not return within %v; stdout:\n%s", waitLimit, r.drain())
		return 0
	}
}

// drain takes the lines already read from stdout, without waiting for more, and returns all seen so far.
func (r *connectRun) drain() string {
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				return r.out()
			}
			r.seen = append(r.seen, l)
		default:
			return r.out()
		}
	}
}

func (r *connectRun) out() string { return strings.Join(r.seen, "\n") }

// state waits for the Connect link (the last line of its QR block) and returns the state it carries.
func (r *connectRun) state() string {
	r.t.Helper()
	link := r.waitLine("the Connect link", func(l string) bool { return strings.HasPrefix(l, connectBase+"?") })
	u, err := url.Parse(link)
	if err != nil || !stateRe.MatchString(u.Query().Get("state")) {
		r.t.Fatalf("the Connect link %q has no state of 26 base32 characters (%v)", link, err)
	}
	if w := widestFullBlockRun(r.out()); w < 29 {
		r.t.Errorf("the Connect link's QR: widest full-block run = %d cells, want >= 29; stdout:\n%s", w, r.out())
	}
	return u.Query().Get("state")
}

// waitInstall waits for the one new vehicle to be added, then for its install QR and instructions, up to the
// question to the operator; it returns the lines from the one after "Added 1 vehicles." on.
func (r *connectRun) waitInstall() []string {
	r.t.Helper()
	added := r.waitLine(`"Added … vehicles."`, func(l string) bool { return strings.HasPrefix(l, "Added ") })
	if added != "Added 1 vehicles." {
		r.t.Fatalf("after the redirect, stdout says %q, want \"Added 1 vehicles.\" (the new user's car); stdout:\n%s",
			added, r.out())
	}
	from := len(r.seen)
	r.waitLine("the install instructions", func(l string) bool { return strings.HasPrefix(l, "Phone: open the link.") })
	return r.seen[from:]
}

// connectCLIConfig writes a live config for srv whose callback listener is on a free loopback port, plus extra
// [connect] lines; it returns the config's path and the redirect URI.
func connectCLIConfig(t *testing.T, srv *fakeserver.Server, extra string) (string, string) {
	t.Helper()
	redirectURI := "http://127.0.0.1:" + freePort(t) + "/callback"
	return liveConfig(t, srv, "[connect]\nredirect_uri = \""+redirectURI+"\"\n"+extra), redirectURI
}

// redirectTo is the redirect Connect sends the browser to, with the given query.
func redirectTo(redirectURI string, query ...string) string {
	return redirectURI + "?" + strings.Join(query, "&")
}

// TestConnectPaste: the redirect pasted on stdin lists the new user's car without a read; y reads it exactly once
// and prints the badge it learned.
func TestConnectPaste(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	srv.SetCar(newCar())
	r.send(redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x", "virtual_key_url="+connectKeyURL))
	install := r.waitInstall()
	if !hasLine(install, connectKeyURL) || widestFullBlockRun(strings.Join(install, "\n")) < 29 {
		t.Errorf("the new vehicle: want its install QR and under it the redirect's virtual_key_url %s; stdout:\n%s",
			connectKeyURL, r.out())
	}
	if n := srv.ReadCount(newCarID); n != 0 {
		t.Errorf("reads of %s before the operator's y = %d, want 0", newCarID, n)
	}
	r.send("y")
	if code := r.wait(); code != 0 {
		t.Fatalf("fleetkey connect = exit %d, want 0; stderr: %s", code, r.stderr.String())
	}
	if !strings.Contains(r.out(), "badge: key-installed") {
		t.Errorf("stdout after y: want \"badge: key-installed\", the badge the one read taught; stdout:\n%s", r.out())
	}
	assertReads(t, srv, map[string]int{newCarID: 1, "veh-keyless": 0, "veh-paired": 0, "veh-legacy": 0})
}

// TestConnectCallback: the browser's request on the listener completes the flow; n skips the vehicle without a read.
func TestConnectCallback(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	srv.SetCar(newCar())
	status, body := getCallback(t, redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x"))
	if status != http.StatusOK || !strings.Contains(body, "you can close this tab") {
		t.Errorf("GET the redirect = %d %q, want 200 and \"you can close this tab\"", status, body)
	}
	r.waitInstall()
	r.send("n")
	if code := r.wait(); code != 0 {
		t.Fatalf("fleetkey connect = exit %d, want 0; stderr: %s", code, r.stderr.String())
	}
	if !strings.Contains(r.out(), "skipped: not read") {
		t.Errorf("stdout: want \"skipped: not read\"; stdout:\n%s", r.out())
	}
	assertReads(t, srv, map[string]int{newCarID: 0, "veh-keyless": 0, "veh-paired": 0, "veh-legacy": 0})
}

// TestConnectWrongStateThenRight: a pasted redirect with another flow's state is reported and spends nothing; the
// right one pasted next is accepted.
func TestConnectWrongStateThenRight(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	srv.SetCar(newCar())
	r.send(redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state), "code=x"))
	r.waitLine(`"does not belong to this Connect flow"`, func(l string) bool {
		return strings.Contains(l, "does not belong to this Connect flow")
	})
	if n := srv.Requests(""); n != 0 {
		t.Errorf("requests to the fake after the wrong state = %d, want 0", n)
	}
	r.send(redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x"))
	r.waitInstall()
	r.send("n")
	if code := r.wait(); code != 0 {
		t.Fatalf("fleetkey connect = exit %d, want 0; stderr: %s", code, r.stderr.String())
	}
	assertReads(t, srv, map[string]int{newCarID: 0})
}

// TestConnectAccessDenied: Connect's access_denied ends the command with exit 1 and its error_description.
func TestConnectAccessDenied(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnect(t, cfg)
	state := r.state()

	r.send(redirectTo(redirectURI, "error=access_denied", "error_description=The+owner+said+no", "state="+state))
	if code := r.wait(); code != 1 || !strings.Contains(r.stderr.String(), "The owner said no") {
		t.Errorf("fleetkey connect after access_denied = exit %d, stderr %q; want 1 and the error_description",
			code, r.stderr.String())
	}
	if n := srv.Requests(""); n != 0 {
		t.Errorf("requests to the fake after access_denied = %d, want 0", n)
	}
}

// TestConnectNoSecret: without the client secret the Connect link is still shown; only after the redirect does the
// command fail, naming the variable to set.
func TestConnectNoSecret(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	t.Setenv("FLEETKEY_TEST_SECRET", "")
	r := startConnect(t, cfg)
	state := r.state()
	if n := srv.Requests(""); n != 0 {
		t.Errorf("requests to the fake before the redirect = %d, want 0", n)
	}

	r.send(redirectTo(redirectURI, "user_id="+newUser, "state="+state, "code=x"))
	code := r.wait()
	if stderr := r.stderr.String(); code != 1 || !strings.Contains(stderr, "FLEETKEY_TEST_SECRET") {
		t.Errorf("fleetkey connect without the secret = exit %d, stderr %q; want 1 and the variable's name", code, stderr)
	}
	if strings.Contains(r.out(), "Added") {
		t.Errorf("stdout without the secret: want nothing added; stdout:\n%s", r.out())
	}
}

// TestConnectTimeout: with nothing pasted and no callback, the flow ends at its deadline with exit 1.
func TestConnectTimeout(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, _ := connectCLIConfig(t, srv, "timeout = \"300ms\"\n")
	r := startConnect(t, cfg)
	r.state()
	code := r.wait()
	elapsed := time.Since(r.started)
	if stderr := r.stderr.String(); code != 1 || !strings.Contains(stderr, "the Connect flow timed out") {
		t.Errorf("fleetkey connect left alone = exit %d, stderr %q; want 1 and \"the Connect flow timed out\"",
			code, stderr)
	}
	if elapsed < 300*time.Millisecond {
		t.Errorf("fleetkey connect timed out after %v, want no sooner than its 300ms", elapsed)
	}
	if n := srv.Requests(""); n != 0 {
		t.Errorf("requests to the fake = %d, want 0", n)
	}
}

// TestConnectReadsRunStdin: the command reads what the operator types from run's stdin, like every other input of
// run, and not from the process's os.Stdin.
func TestConnectReadsRunStdin(t *testing.T) {
	isolate(t)
	srv := liveFake(t)
	cfg, redirectURI := connectCLIConfig(t, srv, "")
	r := startConnectOn(t, cfg, false)
	state := r.state()
	r.send(redirectTo(redirectURI, "user_id="+newUser, "state="+otherState(state), "code=x"))
	r.waitLine(`"does not belong to this Connect flow" (the line typed on run's stdin)`, func(l string) bool {
		return strings.Contains(l, "does not belong to this Connect flow")
	})
}

// getCallback GETs the redirect on the callback listener, retrying while nothing listens yet on its port.
func getCallback(t *testing.T, u string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := http.Get(u)
		if err == nil {
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", u, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// otherState is a well-formed state that is not state.
func otherState(state string) string {
	if other := strings.Repeat("A", len(state)); other != state {
		return other
	}
	return strings.Repeat("B", len(state))
}

// hasLine reports whether one of lines is want, but for spaces around it.
func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// assertReads checks how many reads of each vehicle the fake saw, and that it saw none the rules forbid.
func assertReads(t *testing.T, srv *fakeserver.Server, want map[string]int) {
	t.Helper()
	for id, n := range want {
		if got := srv.ReadCount(id); got != n {
			t.Errorf("reads of %s = %d, want %d", id, got, n)
		}
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Errorf("the fake saw reads the rules forbid: %+v", v)
	}
}
