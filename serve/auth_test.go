package serve

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// TestOnlyAuthorizedKeys: the server offers public keys only, and of those only the allowlist's.
func TestOnlyAuthorizedKeys(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	mallory := newPerson(t, "mallory@elsewhere")
	var asked atomic.Int32 // password or keyboard-interactive prompts the client was given
	password := gossh.PasswordCallback(func() (string, error) { asked.Add(1); return "hunter2", nil })
	interactive := gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		asked.Add(1)
		return []string{"hunter2"}, nil
	})
	tests := []struct {
		name string
		auth []gossh.AuthMethod
	}{
		{name: "unknown key", auth: []gossh.AuthMethod{gossh.PublicKeys(mallory.signer)}},
		{name: "password", auth: []gossh.AuthMethod{gossh.Password("hunter2")}},
		{name: "password callback", auth: []gossh.AuthMethod{password}},
		{name: "keyboard-interactive", auth: []gossh.AuthMethod{interactive}},
		{name: "no auth", auth: nil},
		{name: "unknown key then password", auth: []gossh.AuthMethod{gossh.PublicKeys(mallory.signer), password}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dial(h.addr, nil, tt.auth...)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded, want it refused")
			}
			if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Errorf("dial error = %v, want an authentication failure", err)
			}
		})
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the client was asked for a password or an answer %d times; the server must not offer either", n)
	}
	if !strings.Contains(h.log.String(), mallory.fingerprint()) {
		t.Errorf("the refused key is not in the server log:\n%s", h.log.String())
	}
}

// session is the part of an SSH session authorize looks at: the key used, the permissions the key handler left,
// and the connection's context.
type session struct {
	ssh.Session
	key    ssh.PublicKey
	perms  ssh.Permissions
	ctx    *sshContext
	stderr strings.Builder
	exit   int
}

func (s *session) PublicKey() ssh.PublicKey                { return s.key }
func (s *session) Permissions() ssh.Permissions            { return s.perms }
func (s *session) Context() ssh.Context                    { return s.ctx }
func (s *session) Stderr() io.ReadWriter                   { return struct{ io.ReadWriter }{rw{&s.stderr}} }
func (s *session) Exit(code int) error                     { s.exit = code; return nil }
func (s *session) Pty() (ssh.Pty, <-chan ssh.Window, bool) { return ssh.Pty{}, nil, false }

type rw struct{ w io.Writer }

func (r rw) Read([]byte) (int, error)    { return 0, io.EOF }
func (r rw) Write(p []byte) (int, error) { return r.w.Write(p) }

// sshContext is a connection's context: values only.
type sshContext struct {
	ssh.Context
	vals map[any]any
}

func (c *sshContext) Value(k any) any             { return c.vals[k] }
func (c *sshContext) SetValue(k, v any)           { c.vals[k] = v }
func (c *sshContext) Done() <-chan struct{}       { return nil }
func (c *sshContext) Err() error                  { return nil }
func (c *sshContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// TestAuthorizeOnTheKeyUsed: the role comes from the key the session was authenticated with, and only when that is
// the key the key handler accepted; a mismatch (CVE-2024-45337: the handler was asked about another key) is refused.
func TestAuthorizeOnTheKeyUsed(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	mallory := newPerson(t, "mallory@elsewhere")
	tests := []struct {
		name    string
		used    ssh.PublicKey
		checked string // the fingerprint the key handler accepted
		want    string // the role admitted, or "" for refused
	}{
		{name: "viewer", used: h.bob.signer.PublicKey(), checked: h.bob.fingerprint(), want: "viewer"},
		{name: "operator", used: h.alice.signer.PublicKey(), checked: h.alice.fingerprint(), want: "operator"},
		{name: "viewer's key, operator's checked", used: h.bob.signer.PublicKey(), checked: h.alice.fingerprint()},
		{name: "operator's key, viewer's checked", used: h.alice.signer.PublicKey(), checked: h.bob.fingerprint()},
		{name: "unknown key, its own checked", used: mallory.signer.PublicKey(), checked: mallory.fingerprint()},
		{name: "no key", used: nil, checked: h.alice.fingerprint()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := &session{key: tt.used, ctx: &sshContext{vals: map[any]any{}}, perms: ssh.Permissions{
				Permissions: &gossh.Permissions{Extensions: map[string]string{fingerprintExt: tt.checked}}}}
			got := ""
			h.srv.authorize(func(s ssh.Session) {
				k, _ := keyOf(s.Context())
				got = k.Role.String()
			})(sess)
			if got != tt.want {
				t.Errorf("authorize admitted %q, want %q", got, tt.want)
			}
			if tt.want == "" && (sess.exit != 1 || !strings.Contains(sess.stderr.String(), "fleetkey:")) {
				t.Errorf("refused session: exit %d, stderr %q; want 1 and a reason", sess.exit, sess.stderr.String())
			}
		})
	}
}
