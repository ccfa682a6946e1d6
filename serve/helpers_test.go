package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
	"fleetkey/policy"
)

// wait bounds every wait of these tests.
const wait = 10 * time.Second

// person is a test user: a key pair and the comment that names it.
type person struct {
	comment string
	signer  gossh.Signer
}

func newPerson(t *testing.T, comment string) person {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return person{comment: comment, signer: s}
}

// line is p's authorized_keys line with the given options ("" for none).
func (p person) line(options string) string {
	key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(p.signer.PublicKey())))
	return strings.TrimSpace(options+" "+key) + " " + p.comment + "\n"
}

func (p person) fingerprint() string { return gossh.FingerprintSHA256(p.signer.PublicKey()) }

// harness is a running server with an operator (alice) and a viewer (bob).
type harness struct {
	srv          *Server
	addr         string
	alice, bob   person
	audit        string // the audit log's path
	log          *lockedBuffer
	cancel       context.CancelFunc
	served       chan error
	stopOnce     sync.Once
	stopErr      error
	hostKeyPath  string
	authKeysPath string
}

// startServer serves f with cfg's limits (zero fields take test defaults) until the test ends.
func startServer(t *testing.T, f *fleet.Fleet, cfg Config) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{alice: newPerson(t, "alice@laptop"), bob: newPerson(t, "bob@ops"),
		audit: filepath.Join(dir, "audit.jsonl"), log: &lockedBuffer{}}
	h.authKeysPath = filepath.Join(dir, "authorized_keys")
	writeFile(t, h.authKeysPath, "# the on-call rotation\n"+h.alice.line("role=operator")+h.bob.line(""))
	h.hostKeyPath = filepath.Join(dir, "host", "ssh_host_ed25519")
	cfg.Listen, cfg.AuthorizedKeys, cfg.HostKey = "127.0.0.1:0", h.authKeysPath, h.hostKeyPath
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 10
	}
	audit, err := OpenAudit(h.audit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = audit.Close() })
	h.srv, err = New(cfg, Deps{Fleet: f, Intervals: policy.DefaultIntervals(), Label: "test fleet", Audit: audit,
		Log: slog.New(slog.NewTextHandler(h.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.addr = h.srv.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.served = cancel, make(chan error, 1)
	go func() { h.served <- h.srv.Serve(ctx) }()
	t.Cleanup(func() {
		if err := h.stop(t); err != nil {
			t.Errorf("Serve after stop = %v, want nil", err)
		}
	})
	return h
}

// stop cancels Serve's context and returns what Serve returned, within wait.
func (h *harness) stop(t *testing.T) error {
	t.Helper()
	h.stopOnce.Do(func() {
		h.cancel()
		select {
		case h.stopErr = <-h.served:
		case <-time.After(wait):
			buf := make([]byte, 1<<20)
			t.Errorf("Serve did not return within %s of the stop\n%s", wait, buf[:runtime.Stack(buf, true)])
		}
	})
	return h.stopErr
}

// configFleet is a config-source fleet of two vehicles, never read.
func configFleet() *fleet.Fleet {
	cfg := config.Config{Intervals: policy.DefaultIntervals(), Vehicles: []fleet.Vehicle{
		{ID: "v-van", Name: "Depot van", Make: "Tesla", Model: "Model Y", Year: 2023, Key: policy.KeyPaired},
		{ID: "v-shuttle", Name: "Night shuttle", Make: "Tesla", Model: "Model S", Year: 2016},
	}}
	return fleet.New(cfg, ledger.NewMemoryStore(ledger.State{}))
}

// sshUser is the user name clients give; the server ignores it.
const sshUser = "ssh-user-name"

// dial connects with the given auth methods and records the host key the server showed.
func dial(addr string, hostKey *gossh.PublicKey, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: sshUser, Auth: auth, Timeout: wait,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			if hostKey != nil {
				*hostKey = key
			}
			return nil
		}})
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
