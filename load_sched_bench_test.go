package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// BenchmarkServeSchedulerTiming measures whether 50 idle sessions disturb the scheduler: the real `fleetkey serve`
// reads 8 vehicles of the fake Smartcar automatically with a 10 s interval, for 40 s without sessions and 40 s with
// 50 sessions open. It reports, for each phase, the worst lateness of an automatic read (the time from the moment the
// rules allowed it to the moment the fake received it); the scheduler's own jitter allows up to 20 s. The fake
// enforces the rules: any early read fails the benchmark.
//
//	go test -run '^$' -bench ServeSchedulerTiming -benchtime 1x .
func BenchmarkServeSchedulerTiming(b *testing.B) {
	const interval, phase = 10 * time.Second, 40 * time.Second
	iv := policy.Intervals{Legacy: interval, KeyInstalled: interval, Keyless: 8 * time.Hour}
	for b.Loop() {
		srv := fakeserver.New(fakeserver.Options{Intervals: iv}, timingCars(8)...)
		base, token := srv.Start()
		proc := startLiveServe(b, base, token)
		time.Sleep(phase) // the measured phase without sessions
		idle, n0 := maxLateness(srv, 8, interval, time.Time{}, time.Now())
		mark := time.Now()
		clients := openSessions(b, proc.addr, proc.signer, 50)
		clients.awaitFirstFrames(b, 50)
		time.Sleep(phase) // the measured phase with 50 sessions
		loaded, n50 := maxLateness(srv, 8, interval, mark, time.Now())
		if n0 < 8 || n50 < 8 {
			b.Fatalf("too few automatic reads to judge: %d without sessions, %d with", n0, n50)
		}
		clients.close()
		if v := srv.Violations(); len(v) != 0 {
			b.Fatalf("early reads: %+v", v)
		}
		b.ReportMetric(idle.Seconds(), "s-late-0-sessions")
		b.ReportMetric(loaded.Seconds(), "s-late-50-sessions")
		b.ReportMetric(float64(n0), "reads-0-sessions")
		b.ReportMetric(float64(n50), "reads-50-sessions")
		srv.Close()
	}
}

func timingCars(n int) []fakeserver.Car {
	yes := true
	cars := make([]fakeserver.Car, n)
	for i := range cars {
		cars[i] = fakeserver.Car{VehicleID: fmt.Sprintf("veh-%d", i), UserID: "u", Make: "TESLA", Model: "Model 3",
			Year: 2023, KeyPaired: &yes, Battery: 50}
	}
	return cars
}

// maxLateness is the worst delay, among the n repeat reads received in [from, to), between a read and the moment its
// vehicle's previous read plus the interval allowed it.
func maxLateness(srv *fakeserver.Server, cars int, interval time.Duration, from, to time.Time) (worst time.Duration, n int) {
	for i := range cars {
		reads := srv.Reads(fmt.Sprintf("veh-%d", i))
		for j := 1; j < len(reads); j++ {
			if reads[j].Before(from) || !reads[j].Before(to) {
				continue
			}
			worst = max(worst, reads[j].Sub(reads[j-1].Add(interval)))
			n++
		}
	}
	return worst, n
}

// startLiveServe starts `fleetkey serve` on a live config over the fake, every badge of its cars automatic.
func startLiveServe(b *testing.B, base, token string) serveProc {
	cmd, proc := liveServeCmd(b, buildFleetkey(b), base, token)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on ") {
		b.Fatalf("serve did not start: %q, %v", line, err)
	}
	go io.Copy(io.Discard, out)
	proc.addr = strings.Fields(strings.SplitN(line, "listening on ", 2)[1])[0]
	proc.pid = cmd.Process.Pid
	return proc
}

// liveServeCmd writes, in a new directory, a live config over the fake whose every badge is read automatically (10 s
// apart), its authorized_keys with one operator, and returns the unstarted `bin serve` on it, listening on a free
// loopback port unless args say otherwise.
func liveServeCmd(tb testing.TB, bin, base, token string, args ...string) (*exec.Cmd, serveProc) {
	dir := tb.TempDir()
	proc := serveProc{dir: dir}
	keys := operatorKey(tb, &proc)
	writeFileTB(tb, filepath.Join(dir, "authorized_keys"), keys)
	cfg := fmt.Sprintf(`state_file = "state.json"
[fleet]
source = "smartcar"
[smartcar]
client_id = "client_fake"
client_secret_env = "FAKE_SECRET"
api_base = %q
token_url = %q
[read]
auto = ["key-installed", "legacy", "unknown"]
[policy]
legacy_interval = "10s"
key_installed_interval = "10s"
[serve]
authorized_keys = "authorized_keys"
host_key = "host_key"
max_sessions = 60
`, base, token)
	writeFileTB(tb, filepath.Join(dir, "config.toml"), cfg)
	args = append([]string{"--config", filepath.Join(dir, "config.toml"), "serve", "--listen", "127.0.0.1:0"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+dir, "HOME="+dir, "FAKE_SECRET=fake-secret")
	return cmd, proc
}
