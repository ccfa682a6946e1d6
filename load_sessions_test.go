package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"fleetkey/serve"
)

// dialers is how many sessions are opened at once: half the server's limit on connections still authenticating, so
// none is refused at its door however slowly the server answers.
const dialers = serve.DefaultMaxUnauthenticated / 2

// fakeCarName matches what a console on timingCars shows of a vehicle: its id, veh-N.
var fakeCarName = regexp.MustCompile(`veh-\d`)

// loadClients are idle PTY sessions (100×30) on one server that count every byte the server sends them.
type loadClients struct {
	addr   string
	signer gossh.Signer
	shows  *regexp.Regexp // what a session's first frame shows: a vehicle's name

	total  atomic.Int64  // bytes received by every session
	framed atomic.Int64  // sessions that have shown their first frame
	ended  atomic.Int64  // sessions whose output ended before their first frame
	event  chan struct{} // a session has framed or ended; one pending signal stands for any number

	mu      sync.Mutex
	clients []*gossh.Client
	last    string // the last words of a session that ended before its first frame
}

// openSessions opens n sessions on a console of timingCars' vehicles.
func openSessions(b *testing.B, addr string, signer gossh.Signer, n int) *loadClients {
	return dialSessions(b, addr, signer, n, fakeCarName)
}

// dialSessions opens n sessions whose first frame is the first output that matches shows.
func dialSessions(b *testing.B, addr string, signer gossh.Signer, n int, shows *regexp.Regexp) *loadClients {
	l := &loadClients{addr: addr, signer: signer, shows: shows, event: make(chan struct{}, 1)}
	l.open(b, n)
	return l
}

// open opens n more sessions, dialers at a time.
func (l *loadClients) open(b *testing.B, n int) {
	b.Helper()
	next := make(chan int)
	errs := make(chan error, dialers)
	var wg sync.WaitGroup
	for range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			for range next {
				if err == nil {
					err = l.dial()
				}
			}
			errs <- err
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		b.Fatal(err)
	}
}

// dial opens one session and starts reading it.
func (l *loadClients) dial() error {
	c, err := gossh.Dial("tcp", l.addr, &gossh.ClientConfig{User: "load", Auth: []gossh.AuthMethod{gossh.PublicKeys(l.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("dial %s: %w", l.addr, err)
	}
	l.mu.Lock()
	l.clients = append(l.clients, c)
	l.mu.Unlock()
	s, err := c.NewSession()
	if err != nil {
		return fmt.Errorf("new session: %w", err)
	}
	if err := s.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	if err := s.Shell(); err != nil {
		return fmt.Errorf("shell: %w", err)
	}
	go l.read(stdout)
	return nil
}

// read counts the session's output until it ends, and signals its first frame: the moment the output so far,
// stripped of its escape sequences, shows what l.shows matches.
func (l *loadClients) read(stdout io.Reader) {
	var head []byte // the output up to the first frame
	framed := false
	buf := make([]byte, 32<<10)
	for {
		k, err := stdout.Read(buf)
		l.total.Add(int64(k))
		if !framed {
			head = append(head, buf[:k]...)
			if framed = l.shows.MatchString(ansi.Strip(string(head))); framed {
				head = nil
				l.framed.Add(1)
				l.signal()
			}
		}
		if err != nil {
			if !framed {
				l.mu.Lock()
				l.last = tail(ansi.Strip(string(head)))
				l.mu.Unlock()
				l.ended.Add(1)
				l.signal()
			}
			return
		}
	}
}

func (l *loadClients) signal() {
	select {
	case l.event <- struct{}{}:
	default:
	}
}

// awaitFirstFrames waits, at most 20 s, until n sessions have shown their first frame.
func (l *loadClients) awaitFirstFrames(b *testing.B, n int) {
	b.Helper()
	l.awaitFrames(b, n, 20*time.Second)
}

// awaitFrames waits, at most within, until n sessions have shown their first frame, so that a window after it
// measures the idle console, not its start. It fails b at once when a session ends before its first frame.
func (l *loadClients) awaitFrames(b *testing.B, n int, within time.Duration) {
	b.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for l.framed.Load() < int64(n) {
		if l.ended.Load() > 0 {
			l.mu.Lock()
			defer l.mu.Unlock()
			b.Fatalf("%d sessions ended before their first frame; the last saw %q", l.ended.Load(), l.last)
		}
		select {
		case <-l.event:
		case <-deadline.C:
			b.Fatalf("after %s, %d of %d sessions had shown their first frame (%d bytes in all)", within,
				l.framed.Load(), n, l.total.Load())
		}
	}
}

func (l *loadClients) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.clients {
		c.Close()
	}
}
