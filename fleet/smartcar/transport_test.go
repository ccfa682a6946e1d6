package smartcar

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const emptyConnections = `{"data":[],"meta":{"totalCount":0}}`

func TestUnauthorizedRenewsOnce(t *testing.T) {
	sent := make(chan string, 4)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		sent <- bearer(r)
		if bearer(r) == tokenValue(1) {
			writeJSON(w, 401, jsonAPIError(401, "AUTHENTICATION", "INVALID_TOKEN", "token revoked"))
			return
		}
		writeJSON(w, 200, emptyConnections)
	})
	if _, err := srv.client(t).Connections(context.Background(), ConnectionFilter{}); err != nil {
		t.Fatalf("Connections() after one 401 = %v, want nil", err)
	}
	if tokens, api := srv.counts(); tokens != 2 || api != 2 {
		t.Errorf("token, API requests = %d, %d, want 2, 2", tokens, api)
	}
	if first, second := <-sent, <-sent; first != tokenValue(1) || second != tokenValue(2) {
		t.Errorf("bearer tokens sent = %q, %q, want %q, then the renewed %q", first, second, tokenValue(1), tokenValue(2))
	}
}

func TestUnauthorizedTwiceIsRefused(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		// A server that echoes the token must not get it into the error.
		writeJSON(w, 401, jsonAPIError(401, "AUTHENTICATION", "INVALID_TOKEN", "token "+bearer(r)+" refused"))
	})
	_, err := srv.client(t).Connections(context.Background(), ConnectionFilter{})
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "refused the application credential") {
		t.Fatalf("Connections() after two 401s = %v, want ErrAuthentication saying the credential is refused", err)
	}
	assertNoSecrets(t, err)
	if tokens, api := srv.counts(); tokens != 2 || api != 2 {
		t.Errorf("token, API requests = %d, %d, want 2, 2 (renew once, then stop)", tokens, api)
	}
}

// A read answered 401 is never sent again: the resend would go out after the read's time was recorded, and would
// be a second read. The token is dropped, so the next Ready asks for a new one.
func TestUnauthorizedReadIsNotResent(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, jsonAPIError(401, "AUTHENTICATION", "INVALID_TOKEN", "token "+bearer(r)+" refused"))
	})
	c := srv.client(t)
	_, err := readSignals(c, context.Background(), "vehicle-1", "user-1")
	if !errors.Is(err, ErrAuthentication) || errors.Is(err, ErrNotSent) {
		t.Fatalf("Signals() answered 401 = %v, want ErrAuthentication, not ErrNotSent", err)
	}
	assertNoSecrets(t, err)
	if tokens, api := srv.counts(); tokens != 1 || api != 1 {
		t.Errorf("token, API requests = %d, %d, want 1, 1 (no resend)", tokens, api)
	}
	if _, err := c.Signals(context.Background(), "vehicle-1", "user-1"); !errors.Is(err, ErrNotSent) {
		t.Errorf("Signals() after the 401 without Ready = %v, want ErrNotSent (the token was dropped)", err)
	}
	if _, api := srv.counts(); api != 1 {
		t.Errorf("API requests = %d after a read with no token, want still 1", api)
	}
}

// countingTransport counts the response body bytes its caller reads.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil && strings.HasPrefix(r.URL.Path, "/v3/") {
		resp.Body = countingBody{resp.Body, &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestBodyLimit(t *testing.T) {
	const limit = 1024
	padded := func(n int) string { return emptyConnections + strings.Repeat(" ", n-len(emptyConnections)) }
	tests := []struct {
		name    string
		status  int
		body    string
		chunked bool
		wantIs  error // nil: success
	}{
		{"exactly at the limit", 200, padded(limit), false, nil},
		{"one byte over, with Content-Length", 200, padded(limit + 1), false, ErrBodyTooLarge},
		{"10 MiB, chunked", 200, padded(10 << 20), true, ErrBodyTooLarge},
		{"error body over the limit keeps its status", 429, padded(10 << 20), true, ErrRateLimitApp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				if tt.chunked {
					w.(http.Flusher).Flush() // headers out before the body: no Content-Length
				}
				_, _ = io.WriteString(w, tt.body)
			})
			ct := &countingTransport{base: srv.Client().Transport}
			c := srv.client(t, func(cfg *Config) { cfg.MaxBody = limit; cfg.HTTP = &http.Client{Transport: ct} })
			_, err := c.Connections(context.Background(), ConnectionFilter{})
			if (tt.wantIs == nil && err != nil) || !errors.Is(err, tt.wantIs) {
				t.Fatalf("Connections() = %v, want %v", err, tt.wantIs)
			}
			if got := ct.read.Load(); got > limit+1 {
				t.Errorf("body bytes read = %d, want at most %d", got, limit+1)
			}
		})
	}
}

func TestNetworkErrors(t *testing.T) {
	block := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	tests := []struct {
		name    string
		setup   func(t *testing.T) (*Client, context.Context)
		wantIs  []error
		wantNot error
	}{
		{"refused connection", func(t *testing.T) (*Client, context.Context) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			srv := newTestServer(t, nil)
			return srv.client(t, func(cfg *Config) { cfg.APIBase = "http://" + addr + "/v3" }), context.Background()
		}, []error{ErrNetwork}, nil},
		{"context deadline", func(t *testing.T) (*Client, context.Context) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return newTestServer(t, block).client(t), ctx
		}, []error{ErrNetwork, context.DeadlineExceeded}, nil},
		{"http.Client timeout", func(t *testing.T) (*Client, context.Context) {
			srv := newTestServer(t, block)
			return srv.client(t, func(cfg *Config) {
				cfg.HTTP = &http.Client{Transport: srv.Client().Transport, Timeout: 200 * time.Millisecond}
			}), context.Background()
		}, []error{ErrNetwork, context.DeadlineExceeded}, nil},
		{"cancelled by the caller", func(t *testing.T) (*Client, context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			return newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				cancel()
				<-r.Context().Done()
			}).client(t), ctx
		}, []error{context.Canceled}, ErrNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ctx := tt.setup(t)
			if _, err := c.token(context.Background()); err != nil { // the token first, so only the API call fails
				t.Fatalf("token() = %v, want nil", err)
			}
			_, err := readSignals(c, ctx, "vehicle-1", "user-1")
			for _, want := range tt.wantIs {
				if !errors.Is(err, want) {
					t.Errorf("Signals() = %v, want it to match %v", err, want)
				}
			}
			if tt.wantNot != nil && errors.Is(err, tt.wantNot) {
				t.Errorf("Signals() = %v, want it not to match %v", err, tt.wantNot)
			}
			assertNoSecrets(t, err)
		})
	}
}
