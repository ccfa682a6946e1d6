package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestServeSIGTERM stops a real `fleetkey serve` process with SIGTERM while two sessions are open: both get the
// closing line, the process exits 0, the state file is intact and the owner lock is gone, so a local read works.
func TestServeSIGTERM(t *testing.T) {
	srv := startServe(t, 4)
	var outs [2]*bytes.Buffer
	var sessions [2]*gossh.Session
	for i := range sessions {
		c, err := gossh.Dial("tcp", srv.addr, &gossh.ClientConfig{User: "t", Auth: []gossh.AuthMethod{gossh.PublicKeys(srv.signer)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = &bytes.Buffer{}
		s.Stdout = outs[i]
		if err := s.RequestPty("xterm", 30, 100, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Shell(); err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
	}
	v, _ := procs.Load(srv.pid)
	cmd := v.(*exec.Cmd)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, s := range sessions {
		done := make(chan error, 1)
		go func() { done <- s.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session %d still open 10s after SIGTERM", i)
		}
		if !strings.Contains(outs[i].String(), "the server is stopping") {
			t.Errorf("session %d got no closing line; it saw %q", i, tail(outs[i].String()))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve exited with %v, want 0", err)
	}
	if st := readStateFile(t, filepath.Join(srv.dir, "state.json")); len(st.Vehicles) == 0 {
		t.Fatalf("ledger after the stop holds no vehicle, want the imported history")
	}
	t.Setenv("XDG_STATE_HOME", srv.dir)
	if r := runCLI(t, "--config", filepath.Join(srv.dir, "config.toml"), "state", "export"); r.code != 0 {
		t.Errorf("run(export) after the stop = %d, %q; want 0", r.code, r.stderr)
	}
}

func tail(s string) string {
	if len(s) > 200 {
		return s[len(s)-200:]
	}
	return s
}
