package smartcar

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// elsewhere is a server that a redirect points to; it counts what reaches it and whether a secret or a token did.
type elsewhere struct {
	*httptest.Server
	hits, leaks atomic.Int32
}

func newElsewhere(t *testing.T) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		_ = r.ParseForm()
		if bearer(r) != "" || r.PostFormValue("client_secret") != "" {
			e.leaks.Add(1)
		}
		writeJSON(w, 200, signalsDoc)
	}))
	t.Cleanup(e.Close)
	return e
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	tests := []struct {
		name   string
		status int
		token  bool // the token endpoint redirects, else /signals does
		loop   bool // the redirect points back at the same URL
	}{
		{name: "302 from signals", status: http.StatusFound},
		{name: "301 from signals", status: http.StatusMovedPermanently},
		{name: "a redirect loop on signals", status: http.StatusFound, loop: true},
		{name: "307 from the token endpoint", status: http.StatusTemporaryRedirect, token: true},
		{name: "308 from the token endpoint", status: http.StatusPermanentRedirect, token: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newElsewhere(t)
			redirect := func(w http.ResponseWriter, r *http.Request) {
				to := other.URL + r.URL.Path
				if tt.loop {
					to = r.URL.String()
				}
				http.Redirect(w, r, to, tt.status)
			}
			api := func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, signalsDoc) }
			var hook func(w http.ResponseWriter, r *http.Request) bool
			if tt.token {
				hook = func(w http.ResponseWriter, r *http.Request) bool { redirect(w, r); return true }
			} else {
				api = redirect
			}
			srv := newTestServer(t, api, func(s *testServer) { s.tokenHook = hook })
			_, err := readSignals(srv.client(t), context.Background(), "v", "u")
			if !errors.Is(err, ErrRedirect) {
				t.Fatalf("Signals() = %v, want ErrRedirect", err)
			}
			assertNoSecrets(t, err)
			if n := other.hits.Load(); n != 0 {
				t.Errorf("the redirect's target got %d requests (%d with a secret or token), want 0", n, other.leaks.Load())
			}
			if _, api := srv.counts(); !tt.token && api != 1 {
				t.Errorf("API requests = %d, want 1: a redirect is never followed", api)
			}
		})
	}
}

func TestNotSent(t *testing.T) {
	tests := []struct {
		name    string
		client  func(t *testing.T) *Client
		notSent bool
	}{
		{"refused connection", func(t *testing.T) *Client {
			return newTestServer(t, nil).client(t, func(cfg *Config) { cfg.APIBase = "http://" + closedAddr(t) + "/v3" })
		}, true},
		{"TLS handshake fails", func(t *testing.T) *Client {
			tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
			t.Cleanup(tlsSrv.Close)
			// the test server's own client trusts no certificate of tlsSrv's: the handshake fails
			return newTestServer(t, nil).client(t, func(cfg *Config) { cfg.APIBase = tlsSrv.URL + "/v3" })
		}, true},
		{"timeout after the request was read", func(t *testing.T) *Client {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			return srv.client(t, func(cfg *Config) {
				cfg.HTTP = &http.Client{Transport: srv.Client().Transport, Timeout: 200 * time.Millisecond}
			})
		}, false},
		{"connection cut after the request was read", func(t *testing.T) *Client {
			addr := cutAfterRequest(t)
			return newTestServer(t, nil).client(t, func(cfg *Config) { cfg.APIBase = "http://" + addr + "/v3" })
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSignals(tt.client(t), context.Background(), "v", "u")
			if err == nil || errors.Is(err, ErrNotSent) != tt.notSent {
				t.Fatalf("Signals() = %v; ErrNotSent %v, want %v", err, errors.Is(err, ErrNotSent), tt.notSent)
			}
			if !errors.Is(err, ErrNetwork) {
				t.Errorf("Signals() = %v, want it to match ErrNetwork too", err)
			}
		})
	}
}

// A read never waits for the token endpoint: without a held token it sends nothing and says so.
func TestSignalsSendOnlyWithAHeldToken(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, signalsDoc) })
	clock := newTestClock()
	c := srv.client(t, func(cfg *Config) { cfg.Now = clock.Now })
	if _, err := c.Signals(context.Background(), "v", "u"); !errors.Is(err, ErrNotSent) {
		t.Fatalf("Signals() before Ready = %v, want ErrNotSent", err)
	}
	if err := c.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Signals(context.Background(), "v", "u"); err != nil {
		t.Fatalf("Signals() after Ready = %v, want nil", err)
	}
	clock.Set(t0.Add(time.Hour)) // the token lived 3600 s: expired now, and Signals must not renew it
	if _, err := c.Signals(context.Background(), "v", "u"); !errors.Is(err, ErrNotSent) {
		t.Fatalf("Signals() with an expired token = %v, want ErrNotSent", err)
	}
	if tokens, api := srv.counts(); tokens != 1 || api != 1 {
		t.Errorf("token, API requests = %d, %d, want 1, 1", tokens, api)
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serveRaw listens on loopback and hands every connection to handle, in its own goroutine; it returns the address.
func serveRaw(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(conn)
		}
	}()
	return ln.Addr().String()
}

// readHead reads one request head from br; it returns false when the connection ends first.
func readHead(br *bufio.Reader) bool {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if strings.TrimSpace(line) == "" {
			return true
		}
	}
}

// cutAfterRequest listens on loopback and closes every connection once it has read a whole request head.
func cutAfterRequest(t *testing.T) string {
	return serveRaw(t, func(conn net.Conn) {
		readHead(bufio.NewReader(conn))
		conn.Close()
	})
}

// net/http re-sends a GET whose reused connection breaks after the server read it; a read must not be re-sent.
func TestReadIsNotReplayedOnABrokenReusedConnection(t *testing.T) {
	var heads atomic.Int32
	addr := serveRaw(t, func(conn net.Conn) { serveOnceThenCut(conn, &heads) })
	srv := newTestServer(t, nil)
	c := srv.client(t, func(cfg *Config) { cfg.APIBase = "http://" + addr + "/v3" })
	if _, err := readSignals(c, context.Background(), "v", "u"); err != nil {
		t.Fatalf("first Signals() = %v, want nil", err)
	}
	_, err := c.Signals(context.Background(), "v", "u")
	if err == nil || errors.Is(err, ErrNotSent) {
		t.Fatalf("second Signals() on the cut connection = %v, want an error that is not ErrNotSent", err)
	}
	if n := heads.Load(); n != 2 {
		t.Errorf("the server read %d requests, want 2: the second read was sent again", n)
	}
}

// serveOnceThenCut answers the first request on conn with a keep-alive 200 and closes conn after reading the next.
func serveOnceThenCut(conn net.Conn, heads *atomic.Int32) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := 0; ; i++ {
		if !readHead(br) {
			return
		}
		heads.Add(1)
		if i > 0 {
			return
		}
		body := `{"data":[]}`
		_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	}
}

// A read that has no connection by its send-by time is abandoned unsent: here the TLS handshake never ends.
func TestSendByAbandonsUnsent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	held := make(chan net.Conn, 1)
	go func() {
		if conn, err := ln.Accept(); err == nil {
			held <- conn // never answers the ClientHello
		}
	}()
	t.Cleanup(func() {
		select {
		case conn := <-held:
			conn.Close()
		default:
		}
	})
	c := newTestServer(t, nil).client(t, func(cfg *Config) { cfg.APIBase = "https://" + ln.Addr().String() + "/v3" })
	if err := c.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := WithSendBy(context.Background(), time.Now().Add(100*time.Millisecond))
	_, err = c.Signals(ctx, "v", "u")
	if !errors.Is(err, ErrNotSent) {
		t.Fatalf("Signals() past its send-by time = %v, want ErrNotSent", err)
	}
}
