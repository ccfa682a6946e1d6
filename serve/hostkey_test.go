package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// TestHostKeyFirstStart: the key is generated 0600, its fingerprint recorded, and it is the key clients see.
func TestHostKeyFirstStart(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	fi, err := os.Stat(h.hostKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("host key mode = %04o, want 0600", perm)
	}
	recorded, err := os.ReadFile(h.hostKeyPath + ".fingerprint")
	if err != nil {
		t.Fatal(err)
	}
	var seen gossh.PublicKey
	c, err := dial(h.addr, &seen, gossh.PublicKeys(h.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got, want := strings.TrimSpace(string(recorded)), gossh.FingerprintSHA256(seen); got != want {
		t.Errorf("recorded fingerprint = %s, want the served key's %s", got, want)
	}
	if got := h.srv.HostKeyFingerprint(); got != gossh.FingerprintSHA256(seen) {
		t.Errorf("HostKeyFingerprint() = %s, want %s", got, gossh.FingerprintSHA256(seen))
	}
}

func TestHostKeyKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host_key")
	_, first, err := loadHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	_, again, err := loadHostKey(path)
	if err != nil {
		t.Fatalf("second start with the same key: %v", err)
	}
	if again != first {
		t.Errorf("fingerprint after restart = %s, want %s", again, first)
	}
}

// TestHostKeyChangedRefused: a key that is not the recorded one stops the start, saying both fingerprints and what
// to do; deleting the record accepts the new key.
func TestHostKeyChangedRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "host_key")
	_, old, err := loadHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	replaced := filepath.Join(dir, "other")
	_, fresh, err := loadHostKey(replaced)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(replaced, path); err != nil {
		t.Fatal(err)
	}
	_, _, err = loadHostKey(path)
	if err == nil {
		t.Fatal("loadHostKey with a replaced key succeeded, want an error")
	}
	for _, want := range []string{old, fresh, "delete " + path + ".fingerprint"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("loadHostKey error %q lacks %q", err, want)
		}
	}
	if err := os.Remove(path + ".fingerprint"); err != nil {
		t.Fatal(err)
	}
	if _, got, err := loadHostKey(path); err != nil || got != fresh {
		t.Errorf("loadHostKey after deleting the record = %s, %v; want %s, nil", got, err, fresh)
	}
}

func TestHostKeyRefusedWhenOthersCanRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host_key")
	if _, _, err := loadHostKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := loadHostKey(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("loadHostKey of a 0644 key = %v, want an error saying chmod 600", err)
	}
}

// TestNewRefusesChangedHostKey: New itself fails, before listening, on a changed host key.
func TestNewRefusesChangedHostKey(t *testing.T) {
	h := startServer(t, configFleet(), Config{})
	other := filepath.Join(t.TempDir(), "other")
	if _, _, err := loadHostKey(other); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, h.hostKeyPath, string(b))
	_, err = New(Config{Listen: "127.0.0.1:0", AuthorizedKeys: h.authKeysPath, HostKey: h.hostKeyPath, MaxSessions: 1},
		Deps{Fleet: configFleet(), Audit: mustAudit(t)})
	if err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("New with a changed host key = %v, want an error saying it changed", err)
	}
}

func TestDefaultServePaths(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	tests := []struct {
		name string
		fn   func() (string, error)
		want string
	}{
		{"host key", DefaultHostKeyPath, filepath.Join(state, "fleetkey", "ssh_host_ed25519")},
		{"audit log", DefaultAuditPath, filepath.Join(state, "fleetkey", "audit.jsonl")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := tt.fn(); got != tt.want || err != nil {
				t.Errorf("Default path = %q, %v, want %q, nil", got, err, tt.want)
			}
		})
	}
}
