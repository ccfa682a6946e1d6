package connect

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pasteInstead ends the messages of a listener that cannot run: the other way to finish the flow.
const pasteInstead = "paste the redirect URL from the browser's address bar instead"

// Listen receives the flow's redirect in a callback listener, for the browser Connect sends back to RedirectURI, and
// returns the flow's answer: the accepted redirect, or Connect's denial. It binds only a loopback address, on the
// host and port of RedirectURI ("localhost" binds 127.0.0.1): a redirect URI on another host, or an https one, is
// refused, as is a port in use, each with an error that suggests the paste path.
//
// It serves the redirect path only: other paths (a browser's /favicon.ico) get 404, a method other than GET 405, and
// a Host header that is not loopback (a web page reaching it through DNS rebinding) 421. Each GET on the path is
// parsed (ParseRedirect) and Accepted at now(), and the browser gets a small page: "fleetkey: you can close this
// tab", or the reason the redirect was refused. A refusal that leaves the flow open (another flow's state, a
// malformed redirect; see Ends) is passed to refused, unless it is nil, and the listener keeps waiting for
// the right redirect. refused is called from the listener's goroutines and must not block.
//
// Listen ends, and closes the listener, when the flow completes, whether by a request or by a redirect pasted and
// Accepted meanwhile (it then returns that answer); with ErrExpired at the flow's deadline; and with
// ctx.Err() when ctx is cancelled. It logs nothing. now nil means time.Now; it is called from the listener's
// goroutines. Call Listen once per flow.
func (f *Flow) Listen(ctx context.Context, now func() time.Time, refused func(error)) (Redirect, error) {
	addr, path, err := callbackAddr(f.cfg.RedirectURI)
	if err != nil {
		return Redirect{}, err
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return Redirect{}, fmt.Errorf("callback listener: %s is in use by another program; free it, or %s: %w",
			addr, pasteInstead, err)
	}
	if err != nil {
		return Redirect{}, fmt.Errorf("callback listener on %s: %w; %s", addr, err, pasteInstead)
	}
	if f.bound != nil {
		f.bound(ln.Addr().String())
	}
	return f.serve(ctx, ln, path, now, refused)
}

// callbackAddr returns the loopback address to bind for redirectURI, and the path to serve.
func callbackAddr(redirectURI string) (addr, path string, err error) {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("callback listener: redirect_uri %q is not an absolute URL", redirectURI)
	}
	if u.Scheme != "http" {
		return "", "", fmt.Errorf("callback listener: redirect_uri %s is not plain http, which is all the listener "+
			"serves; %s", redirectURI, pasteInstead)
	}
	host := u.Hostname()
	if !isLoopback(host) {
		return "", "", fmt.Errorf("callback listener: redirect_uri host %q is not loopback; the listener binds only "+
			"127.0.0.1, localhost or [::1] (from an ops box, forward the port with ssh -L); %s", host, pasteInstead)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	if !validPort(port) {
		return "", "", fmt.Errorf("callback listener: redirect_uri %s has no usable port", redirectURI)
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return net.JoinHostPort(host, port), path, nil
}

// serve runs the callback server on ln until the flow completes, a request finds it expired, the deadline passes or
// ctx ends, and closes it.
func (f *Flow) serve(ctx context.Context, ln net.Listener, path string, now func() time.Time,
	refused func(error)) (Redirect, error) {
	if now == nil {
		now = time.Now
	}
	if refused == nil {
		refused = func(error) {}
	}
	expired := make(chan error, 1)
	srv := &http.Server{
		Handler:           f.callbackHandler(path, now, refused, expired),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	// The timer reads the clock before the server can: a fake clock in a test sees the timer's call first.
	timer := time.NewTimer(f.deadline.Sub(now()))
	defer timer.Stop()
	go srv.Serve(ln) // its error, once shut down, is http.ErrServerClosed
	defer shutdown(srv)
	select {
	case <-f.done:
		return f.outcome()
	case err := <-expired:
		return Redirect{}, err
	case <-timer.C:
		if f.completed() { // an answer at the last instant wins over the timer
			return f.outcome()
		}
		return Redirect{}, fmt.Errorf("%w: no redirect came in %s; start a new one", ErrExpired, f.cfg.Timeout)
	case <-ctx.Done():
		return Redirect{}, ctx.Err()
	}
}

// shutdown closes srv once its requests are answered, so the browser gets its page; a client that holds on for
// longer is cut off.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}

// callbackHandler answers the redirects on path. Accept completes the flow at most once, which ends serve through
// f.done; a request that finds the flow expired goes to expired; the other refusals to refused.
func (f *Flow) callbackHandler(path string, now func() time.Time, refused func(error),
	expired chan<- error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.EscapedPath() != path {
			http.NotFound(w, req)
			return
		}
		if !loopbackHost(req.Host) {
			// A browser sent back by Connect names a loopback host; another name is a web page reaching the
			// listener through DNS rebinding, which must not end the flow.
			http.Error(w, "fleetkey: wrong host", http.StatusMisdirectedRequest)
			return
		}
		if req.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r, err := ParseRedirect("?" + req.URL.RawQuery)
		if err == nil {
			_, err = f.Accept(r, now())
		}
		writePage(w, err)
		switch {
		case err == nil, errors.Is(err, ErrDenied), errors.Is(err, ErrReused):
			// The flow has its answer: serve returns it once f.done is closed.
		case errors.Is(err, ErrExpired):
			select {
			case expired <- err:
			default: // serve has one already
			}
		default:
			refused(err)
		}
	})
}

// loopbackHost reports whether a Host header names a loopback host, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return isLoopback(strings.ToLower(strings.Trim(host, "[]")))
}

// writePage answers the browser: close the tab on success or when the flow has completed already, the reason on
// failure. The reason names no identifier beyond what the URL in the browser already shows.
func writePage(w http.ResponseWriter, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	msg, status := "fleetkey: you can close this tab.", http.StatusOK
	switch {
	case errors.Is(err, ErrReused):
		msg, status = "fleetkey: this Connect flow has already completed; you can close this tab.", http.StatusGone
	case err != nil:
		msg, status = "fleetkey: vehicle access was not set up: "+strings.TrimRight(err.Error(), ".")+". Tell the fleetkey operator; "+
			"they can start again.", http.StatusBadRequest
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>fleetkey</title></head>"+
		"<body><p>%s</p></body></html>\n", html.EscapeString(msg))
}

// isLoopback reports whether host is one of the loopback names a callback listener may bind.
func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// validPort reports whether p is "" (the scheme's port) or a port number from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
