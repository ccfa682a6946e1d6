package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// startWait bounds how long a `fleetkey serve` that cannot start may take to say so and exit.
const startWait = 10 * time.Second

// TestServeStartupErrors starts the real `fleetkey serve` over the fake Smartcar with something in its way: each
// start-up error ends the process at once, exit 1, with the reason on stderr, before the scheduler has made any read.
// It must neither hang (holding the owner lock while its scheduler keeps reading) nor spend a read budget.
func TestServeStartupErrors(t *testing.T) {
	bin := buildFleetkey(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string) (args []string)
		want  string
	}{
		{name: "port in use", want: "the port is in use", spoil: func(*testing.T, string) []string {
			return []string{"--listen", busy.Addr().String()}
		}},
		{name: "host key changed", want: "changed: its fingerprint is", spoil: func(t *testing.T, dir string) []string {
			writeFileTB(t, filepath.Join(dir, "host_key.fingerprint"), "SHA256:the-key-users-trusted\n")
			return nil
		}},
		{name: "bad authorized_keys line", want: "authorized_keys:2: not a public key", spoil: func(t *testing.T, dir string) []string {
			appendFile(t, filepath.Join(dir, "authorized_keys"), "ssh-ed25519 AAAA-not-base64 typo@laptop\n")
			return nil
		}},
		{name: "authorized_keys missing", want: "no such file", spoil: func(t *testing.T, dir string) []string {
			if err := os.Remove(filepath.Join(dir, "authorized_keys")); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeserver.New(fakeserver.Options{Intervals: policy.Intervals{Legacy: 10 * time.Second,
				KeyInstalled: 10 * time.Second, Keyless: 8 * time.Hour}}, timingCars(2)...)
			base, token := fake.Start()
			defer fake.Close()
			cmd, proc := liveServeCmd(t, bin, base, token)
			cmd.Args = append(cmd.Args, tt.spoil(t, proc.dir)...)
			code, stderr, took := runBounded(t, cmd)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("serve exited %d after %s with stderr %q; want 1 with %q", code, took, stderr, tt.want)
			}
			for _, id := range []string{"veh-0", "veh-1"} {
				if n := fake.ReadCount(id); n != 0 {
					t.Errorf("the fake saw %d reads of %s from a serve that could not start, want 0", n, id)
				}
			}
		})
	}
}

// runBounded runs cmd to its end and returns its exit code, stderr and how long it ran; a command still running
// after startWait is killed, fails the test and counts as exit -1.
func runBounded(t *testing.T, cmd *exec.Cmd) (int, string, time.Duration) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String(), time.Since(start)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String(), time.Since(start)
	case <-time.After(startWait):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("serve still running %s after it started; stderr %q", startWait, stderr.String())
		return -1, stderr.String(), time.Since(start)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
