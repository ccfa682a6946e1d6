package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"fleetkey/fleet/smartcar/fakeserver"
	"fleetkey/policy"
)

// TestServeHugeTerminal runs the real `fleetkey serve`: a client asks for a 4294967295×1 PTY, then resizes it to
// 65535×65535 (sizes OpenSSH cannot send, so the attacker is an in-process client). The server clamps both, its
// console says so, and a real OpenSSH client, in a tmux pane, still gets its console; then SIGTERM stops the server
// with exit 0. Before the clamp, the first frame's buffer of 481 GB killed the process.
func TestServeHugeTerminal(t *testing.T) {
	requireTmux(t)
	fake := fakeserver.New(fakeserver.Options{Intervals: policy.Intervals{Legacy: 10 * time.Second,
		KeyInstalled: 10 * time.Second, Keyless: 8 * time.Hour}}, timingCars(2)...)
	base, token := fake.Start()
	defer fake.Close()
	cmd, proc := liveServeCmd(t, buildFleetkey(t), base, token)
	viewerKey := writeViewerKey(t, proc.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	addr := startProc(t, cmd)

	attackHugeTerminal(t, addr, proc.signer)

	ssh := startConsole(t, "ssh", testFleet{dir: proc.dir}, 100, 30, nil, "-tt", "-F", "/dev/null", "-i", viewerKey,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-p", portOf(addr), "viewer@127.0.0.1")
	ssh.waitScreen("the console over OpenSSH", func(s string) bool {
		return strings.Contains(s, "veh-1") && strings.Contains(s, "read-only")
	})
	ssh.keys("q")
	if status := ssh.waitExit(); status != 0 {
		t.Errorf("OpenSSH session beside the huge one exited %d, want 0", status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v, want exit 0; stderr %q", err, stderr.String())
	}
}

// attackHugeTerminal opens a console in a 4294967295×1 PTY, resizes it to 65535×65535 once it has drawn, and waits
// for the console, clamped to 512×256, to tell of it in its status line.
func attackHugeTerminal(t *testing.T, addr string, signer gossh.Signer) {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "t", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: startWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", 1, 4294967295, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	em := vt.NewEmulator(512, 256) // the most the server draws; one of the size asked for would not fit in memory
	go func() { _, _ = io.Copy(io.Discard, em) }()
	chunks := make(chan []byte, 64)
	go readChunks(out, chunks)
	resized := false
	deadline := time.After(startWait)
	for !strings.Contains(em.String(), "the console draws at most 512×256") {
		select {
		case b, ok := <-chunks:
			if !ok {
				t.Fatalf("the huge session ended; the server is down? screen:\n%s", em.String())
			}
			_, _ = em.Write(b)
			if !resized { // after the first frame: the SSH library writes a new size where the handler reads it
				resized = true
				if err := s.WindowChange(65535, 65535); err != nil {
					t.Fatal(err)
				}
			}
		case <-deadline:
			t.Fatalf("no notice of the clamped size within %s; screen:\n%s", startWait, em.String())
		}
	}
}

// readChunks sends r's chunks to ch and closes it at the end.
func readChunks(r io.Reader, ch chan<- []byte) {
	defer close(ch)
	for {
		b := make([]byte, 32<<10)
		n, err := r.Read(b)
		if n > 0 {
			ch <- b[:n]
		}
		if err != nil {
			return
		}
	}
}

// startProc starts a `fleetkey serve` command, kills it at the end of the test if it still runs, and returns the
// address of its "listening on" line.
func startProc(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // the test did not wait for it
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on ") {
		t.Fatalf("serve did not start: %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return strings.Fields(strings.SplitN(line, "listening on ", 2)[1])[0]
}

// writeViewerKey writes a private key for OpenSSH (mode 0600) in dir, adds it as a viewer to dir's
// authorized_keys, and returns its path.
func writeViewerKey(t *testing.T, dir string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_viewer")
	writeFileTB(t, path, string(pem.EncodeToMemory(block)))
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := "role=viewer " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " viewer@tmux\n"
	appendFile(t, filepath.Join(dir, "authorized_keys"), line)
	return path
}

// portOf is the port of a host:port address.
func portOf(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }
