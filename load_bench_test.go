package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"fleetkey/fleet/config"
	"fleetkey/fleet/config/configtest"
	"fleetkey/fleet/ledger"
)

// BenchmarkServeLoad runs the real `fleetkey serve` as its own process and opens idle SSH sessions (PTY 100×30) on
// loopback, countdowns ticking, one case per fleet and number of sessions:
//
//   - demo/50sessions: the demo fleet's 12 vehicles (config.example.toml), 50 sessions, a 30 s window: the case
//     measured before the others existed, kept as it was so its figures stay comparable.
//   - 10000vehicles/200sessions: 10 000 vehicles in the TOML (configtest.Fleet; source "config", no API), 200
//     sessions, a 15 s window.
//   - 100000vehicles/20sessions: 100 000 such vehicles, 20 sessions, a 15 s window.
//
// Every vehicle has a read in the ledger, so that the rows in view tick: the demo's i-th 1+i minutes ago, as
// before, and a big fleet's 1 to 60 seconds ago, none older, so that no row is ready (and so still) for the 4
// minutes a case may take before its window ends; a ready row sorts first. A case opens one session and waits for
// its first frame (the first output that, stripped of its escape codes, shows a vehicle's name), then opens the
// others, a few at a time (dialers), and waits for all their first frames; then it measures the window, a sleep. It
// reports:
//
//   - cpu-%: the server's CPU in the window, in percent of one core;
//   - MB-rss: the server's resident memory at the end of the window;
//   - B/session/s: the bytes sent per session per second in the window;
//   - MB-rss-1: the server's resident memory once the first session has its first frame (the fleet open and, since
//     the first session builds the rows every session shares, those rows too);
//   - MB/session: the resident memory each further session added, measured once all first frames were in:
//     (rss with every session − MB-rss-1) / (sessions − 1);
//   - MB/session-end: the same with MB-rss, at the end of the window: what the sessions hold once they have idled,
//     their garbage not yet collected included, as resident memory counts it;
//   - s-first-frame: from the first session's dial to its first frame;
//   - s-all-frames: from the second session's dial to the last session's first frame.
//
// Bounded in time: each case waits at most a few minutes for its first frames (frames), and the whole run takes
// about two minutes; run it with -benchtime 1x. One case alone: -bench 'ServeLoad/^10000vehicles'.
//
//	go test -run '^$' -bench ServeLoad -benchtime 1x .
//	go test -run '^$' -bench 'ServeLoad/^10000vehicles' -benchtime 1x .
func BenchmarkServeLoad(b *testing.B) {
	for _, c := range []loadCase{
		{sessions: 50, window: 30 * time.Second, frames: 20 * time.Second},
		{vehicles: 10_000, sessions: 200, window: 15 * time.Second, frames: 3 * time.Minute},
		{vehicles: 100_000, sessions: 20, window: 15 * time.Second, frames: 3 * time.Minute},
	} {
		cfg, shows := c.fleet(b)
		b.Run(c.name(), func(b *testing.B) {
			for b.Loop() {
				c.run(b, cfg, shows)
			}
		})
	}
}

// loadCase is one case of BenchmarkServeLoad.
type loadCase struct {
	vehicles int // of configtest.Fleet; 0 for the demo's
	sessions int
	window   time.Duration // measured after the first frames
	frames   time.Duration // the longest wait for every first frame
}

func (c loadCase) name() string {
	if c.vehicles == 0 {
		return fmt.Sprintf("demo/%dsessions", c.sessions)
	}
	return fmt.Sprintf("%dvehicles/%dsessions", c.vehicles, c.sessions)
}

// fleet returns the case's config without [serve] settings and what its first frame shows: one of its names.
func (c loadCase) fleet(b *testing.B) ([]byte, *regexp.Regexp) {
	if c.vehicles > 0 {
		return configtest.Fleet(c.vehicles), regexp.MustCompile(`Depot \d+ – Van \d`)
	}
	example, err := os.ReadFile("config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := config.Parse("config.example.toml", example)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(parsed.Vehicles))
	for i, v := range parsed.Vehicles {
		names[i] = regexp.QuoteMeta(v.Name)
	}
	return example, regexp.MustCompile(strings.Join(names, "|"))
}

// run is one op of the case: a server on cfg, its sessions, their first frames and the window.
func (c loadCase) run(b *testing.B, cfg []byte, shows *regexp.Regexp) {
	step := time.Second
	if c.vehicles == 0 {
		step = time.Minute
	}
	srv := startServeOn(b, cfg, c.sessions, step)
	began := time.Now()
	clients := dialSessions(b, srv.addr, srv.signer, 1, shows)
	defer clients.close()
	clients.awaitFrames(b, 1, c.frames)
	first, rss1 := time.Since(began), procRSSMB(b, srv.pid)
	began = time.Now()
	clients.open(b, c.sessions-1)
	clients.awaitFrames(b, c.sessions, c.frames)
	all, rssN := time.Since(began), procRSSMB(b, srv.pid)
	cpu0, bytes0 := procCPU(b, srv.pid), clients.total.Load()
	time.Sleep(c.window) // the measured idle window itself, not a synchronisation
	cpu, sent, rss := procCPU(b, srv.pid)-cpu0, clients.total.Load()-bytes0, procRSSMB(b, srv.pid)
	others := float64(max(c.sessions-1, 1))
	b.ReportMetric(100*cpu.Seconds()/c.window.Seconds(), "cpu-%")
	b.ReportMetric(rss, "MB-rss")
	b.ReportMetric(float64(sent)/float64(c.sessions)/c.window.Seconds(), "B/session/s")
	b.ReportMetric(rss1, "MB-rss-1")
	b.ReportMetric((rssN-rss1)/others, "MB/session")
	b.ReportMetric((rss-rss1)/others, "MB/session-end")
	b.ReportMetric(first.Seconds(), "s-first-frame")
	b.ReportMetric(all.Seconds(), "s-all-frames")
}

type serveProc struct {
	addr   string
	pid    int
	signer gossh.Signer
	dir    string
}

// procs maps a started serve's pid to its command, so a test can wait for its exit.
var procs sync.Map

// startServe starts `fleetkey serve` on the demo's vehicles (see startServeOn).
func startServe(b testing.TB, sessions int) serveProc {
	example, err := os.ReadFile("config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	return startServeOn(b, example, sessions, time.Minute)
}

// startServeOn writes a config of fleet, with one operator key and room for the sessions (its [serve] table, if
// it has one, replaced) and a history of reads step apart (see writeHistory), starts `fleetkey serve` on it and
// waits for its "listening on" line.
func startServeOn(b testing.TB, fleet []byte, sessions int, step time.Duration) serveProc {
	dir := b.TempDir()
	var p serveProc
	keys := operatorKey(b, &p)
	writeFileTB(b, filepath.Join(dir, "authorized_keys"), keys)
	serve := fmt.Sprintf("[serve]\nauthorized_keys = %q\nhost_key = %q\nmax_sessions = %d\n",
		filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "host_key"), sessions+5)
	text := string(fleet)
	if strings.Contains(text, "\n[serve]\n") {
		text = strings.Replace(text, "\n[serve]\n", "\n"+serve, 1)
	} else {
		text += "\n" + serve
	}
	cfg := fmt.Sprintf("state_file = %q\n", filepath.Join(dir, "state.json")) + text
	writeFileTB(b, filepath.Join(dir, "config.toml"), cfg)
	writeHistory(b, fleet, filepath.Join(dir, "state.json"), step)
	cmd := exec.Command(buildFleetkey(b), "--config", filepath.Join(dir, "config.toml"), "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+dir, "HOME="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	procs.Store(cmd.Process.Pid, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on ") {
		b.Fatalf("serve did not start: %q, %v", line, err)
	}
	go io.Copy(io.Discard, out)
	addr := strings.Fields(strings.SplitN(line, "listening on ", 2)[1])[0]
	return serveProc{addr: addr, pid: cmd.Process.Pid, signer: p.signer, dir: dir}
}

// operatorKey makes a key for p and returns its authorized_keys line with the operator role.
func operatorKey(b testing.TB, p *serveProc) string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	p.signer, _ = gossh.NewSignerFromKey(priv)
	return "role=operator " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(p.signer.PublicKey()))) + " load@test\n"
}

// writeHistory gives the i-th vehicle a read (1 + i%60) steps ago, so that the countdowns tick during the window.
func writeHistory(b testing.TB, cfgData []byte, path string, step time.Duration) {
	c, err := config.Parse("example", cfgData)
	if err != nil {
		b.Fatal(err)
	}
	st := ledger.State{Vehicles: map[string]ledger.Record{}}
	for i, v := range c.Vehicles {
		st.Vehicles[v.ID] = ledger.Record{LastReadAt: time.Now().Add(-time.Duration(i%60+1) * step)}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := st.Save(f); err != nil {
		b.Fatal(err)
	}
}

func writeFileTB(b testing.TB, path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
}

// procCPU is the process's user+system CPU time from /proc/PID/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

func procRSSMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
