//go:build unix

package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fleetkey/fleet/config"
)

// TestLoadConfigRefusesNonRegular: a FIFO, a directory or a character device as the config is refused at once, with
// an error naming the file and what it is; a link to a regular file is read. A FIFO with no writer would block a read
// forever, so each load runs under a deadline and a hang fails the test instead of stopping it.
func TestLoadConfigRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	regular := filepath.Join(dir, "fleet.toml")
	if err := os.WriteFile(regular, []byte("state_file = \"s.json\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantIn string // wantIn "" means the load succeeds
	}{
		{"FIFO", fifo, fifo + " is a named pipe (FIFO)"},
		{"directory", dir, dir + " is a directory"},
		{"dev null", os.DevNull, os.DevNull + " is a character device"},
		{"dev zero never ends", "/dev/zero", "/dev/zero is a character device"},
		{"regular file", regular, ""},
		{"link to a regular file", link, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadWithin(t, tt.path, 5*time.Second)
			switch {
			case tt.wantIn == "" && err != nil:
				t.Errorf("LoadConfig(%q) = %v, want no error", tt.path, err)
			case tt.wantIn == "":
			case err == nil || !errors.Is(err, config.ErrNotRegular) || !strings.Contains(err.Error(), tt.wantIn):
				t.Errorf("LoadConfig(%q) = %v, want an error wrapping ErrNotRegular saying %q", tt.path, err, tt.wantIn)
			}
		})
	}
}

// loadWithin runs LoadConfig(path) and fails the test if it has not returned within d.
func loadWithin(t *testing.T, path string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := config.Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("LoadConfig(%q) still blocked after %v", path, d)
		return nil
	}
}

// TestLoadConfigTooLarge: a regular file larger than any config is refused without reading it all.
func TestLoadConfigTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.toml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(128 << 20); err != nil { // sparse: no disk spent
		t.Fatal(err)
	}
	f.Close()
	if _, err := config.Load(path); err == nil || !strings.Contains(err.Error(), path+" is larger than") {
		t.Errorf("LoadConfig(128 MiB file) = %v, want an error saying it is too large", err)
	}
}
