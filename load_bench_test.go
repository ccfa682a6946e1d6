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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
)

// BenchmarkServeLoad runs the real `fleetkey serve` as its own process on the demo fleet's vehicles and opens 50
// concurrent SSH sessions (PTY 100×30) on loopback that sit idle, countdowns ticking, for 30 s. It reports the
// server's CPU (percent of one core), its resident memory, and the bytes sent per session per second. Bounded in time:
// run it with -benchtime 1x.
//
//	go test -run '^$' -bench ServeLoad -benchtime 1x .
func BenchmarkServeLoad(b *testing.B) {
	const sessions, window = 50, 30 * time.Second
	for b.Loop() {
		srv := startServe(b, sessions)
		clients := openSessions(b, srv.addr, srv.signer, sessions)
		clients.awaitFirstFrames(b, sessions)
		cpu0, bytes0 := procCPU(b, srv.pid), clients.total.Load()
		time.Sleep(window) // the measured idle window itself, not a synchronisation
		cpu, sent := procCPU(b, srv.pid)-cpu0, clients.total.Load()-bytes0
		b.ReportMetric(100*cpu.Seconds()/window.Seconds(), "cpu-%")
		b.ReportMetric(procRSSMB(b, srv.pid), "MB-rss")
		b.ReportMetric(float64(sent)/sessions/window.Seconds(), "B/session/s")
		clients.close()
	}
}

type serveProc struct {
	addr   string
	pid    int
	signer gossh.Signer
	dir    string
}

// procs maps a started serve's pid to its command, so a test can wait for its exit.
var procs sync.Map

// startServe writes a config with the demo's vehicles and one operator key, starts `fleetkey serve` and waits for
// its "listening on" line.
func startServe(b testing.TB, sessions int) serveProc {
	dir := b.TempDir()
	var p serveProc
	keys := operatorKey(b, &p)
	writeFileTB(b, filepath.Join(dir, "authorized_keys"), keys)
	example, err := os.ReadFile("config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	serve := fmt.Sprintf("[serve]\nauthorized_keys = %q\nhost_key = %q\nmax_sessions = %d\n",
		filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "host_key"), sessions+5)
	cfg := fmt.Sprintf("state_file = %q\n", filepath.Join(dir, "state.json")) +
		strings.Replace(string(example), "[serve]\n", serve, 1)
	writeFileTB(b, filepath.Join(dir, "config.toml"), cfg)
	writeHistory(b, example, filepath.Join(dir, "state.json"))
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

// writeHistory gives every vehicle a read a few minutes ago, so every row's countdown ticks during the window.
func writeHistory(b testing.TB, cfgData []byte, path string) {
	c, err := config.Parse("example", cfgData)
	if err != nil {
		b.Fatal(err)
	}
	st := ledger.State{Vehicles: map[string]ledger.Record{}}
	for i, v := range c.Vehicles {
		st.Vehicles[v.ID] = ledger.Record{LastReadAt: time.Now().Add(-time.Duration(i+1) * time.Minute)}
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

type loadClients struct {
	total   atomic.Int64
	clients []*gossh.Client
}

// awaitFirstFrames waits (bounded) until every session has had at least its first full frame, so the window
// measures the idle console, not the start-up.
func (l *loadClients) awaitFirstFrames(b *testing.B, n int) {
	deadline := time.Now().Add(20 * time.Second)
	for l.total.Load() < int64(n)*1000 { // a first frame of even a small fleet is over 1 KB
		if time.Now().After(deadline) {
			b.Fatalf("after 20s the sessions had %d bytes; the first frames did not arrive", l.total.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *loadClients) close() {
	for _, c := range l.clients {
		c.Close()
	}
}

// openSessions opens n PTY sessions that count every byte the server sends them.
func openSessions(b *testing.B, addr string, signer gossh.Signer, n int) *loadClients {
	l := &loadClients{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range n {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "load", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		s, err := c.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
			b.Fatal(err)
		}
		stdout, _ := s.StdoutPipe()
		if err := s.Shell(); err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		l.clients = append(l.clients, c)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for {
				k, err := stdout.Read(buf)
				l.total.Add(int64(k))
				if err != nil {
					return
				}
			}
		}()
	}
	return l
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
