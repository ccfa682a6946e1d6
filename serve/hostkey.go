package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fleetkey/fleet/ledger"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// loadHostKey returns the host key at path and its SHA256 fingerprint. On first start it generates an ed25519 key
// there (0600) and records its fingerprint in path+".fingerprint"; later starts refuse a key whose fingerprint is not
// the recorded one, since every client would then warn of a man in the middle and the server must not make that
// silent.
func loadHostKey(path string) (gossh.Signer, string, error) {
	if path == "" {
		return nil, "", errors.New("host key: no path")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = generateHostKey(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("host key: %w", err)
	}
	if err := checkPrivate(path); err != nil {
		return nil, "", err
	}
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, "", fmt.Errorf("host key %s: %w", path, err)
	}
	fp := gossh.FingerprintSHA256(signer.PublicKey())
	if err := checkFingerprint(path, fp); err != nil {
		return nil, "", err
	}
	return signer, fp, nil
}

// generateHostKey writes a new ed25519 key to path, whole or not at all, mode 0600, and returns its PEM.
func generateHostKey(path string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "fleetkey host key")
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	b := pem.EncodeToMemory(block)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".hostkey-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	err = errors.Join(err, tmp.Chmod(0o600), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Link(tmp.Name(), path) // never over a key another process has just made
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return b, nil
}

// checkPrivate refuses a host key that its group or others may read, as sshd does.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("host key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("host key %s is open to its group or others (mode %04o): make it private with `chmod 600 %s`",
			path, perm, path)
	}
	return nil
}

// checkFingerprint compares fp with the fingerprint recorded beside the key, recording it when there is none.
func checkFingerprint(keyPath, fp string) error {
	path := keyPath + ".fingerprint"
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(path, []byte(fp+"\n"), 0o600); err != nil {
			return fmt.Errorf("record host key fingerprint: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("host key fingerprint: %w", err)
	}
	if was := strings.TrimSpace(string(b)); was != fp {
		return fmt.Errorf("host key %s changed: its fingerprint is %s, but %s records %s; every client will warn of "+
			"a possible man in the middle. If you replaced the key on purpose, delete %s to accept the new key and tell "+
			"your users its fingerprint; otherwise put the old key back", keyPath, fp, path, was, path)
	}
	return nil
}

// DefaultHostKeyPath returns the default host key file: ssh_host_ed25519 in DefaultStateDir.
func DefaultHostKeyPath() (string, error) {
	dir, err := ledger.DefaultStateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ssh_host_ed25519"), nil
}
