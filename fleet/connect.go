package fleet

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ConnectConfig is the [connect] table of the config: how the console sends a vehicle owner through Smartcar Connect
// and where the owner's browser comes back to. Config.Connect has every default filled in; see DefaultConnectConfig.
type ConnectConfig struct {
	// ClientID is the application id Connect is opened for: [connect] client_id, else [smartcar] client_id.
	ClientID string
	// RedirectURI is where Connect sends the browser back to, with the result in its query.
	RedirectURI string
	// Base is the Connect authorization URL the flow's URL is built on.
	Base string
	// Mode is the Connect mode, [smartcar] mode: "live", "test" or "simulated"; "" leaves it to Connect.
	Mode string
	// Scopes are the permissions asked for; empty leaves them to the Dashboard's defaults (no scope parameter).
	Scopes []string
	// TeslaOnly skips Connect's brand picker (make=TESLA).
	TeslaOnly bool
	// Timeout is how long a flow waits for its redirect.
	Timeout time.Duration
}

// The ways a Connect redirect is refused. Accept and Listen wrap them with what went wrong; test with errors.Is.
var (
	// ErrConnectExpired: the redirect came after the flow's deadline, or none came before it.
	ErrConnectExpired = errors.New("the Connect flow timed out")
	// ErrConnectState: the redirect's state is missing or is not this flow's, so it answers another (or a forged)
	// request.
	ErrConnectState = errors.New("the redirect does not belong to this Connect flow")
	// ErrConnectReused: the flow has already completed; a state is good for one redirect only.
	ErrConnectReused = errors.New("this Connect flow has already completed")
	// ErrConnectDenied: Connect came back with an error instead of access; see ConnectDeniedError.
	ErrConnectDenied = errors.New("access was not granted in Connect")
	// ErrConnectNoUser: the redirect has no user_id, so there is no user to list vehicles of.
	ErrConnectNoUser = errors.New("the redirect has no user_id")
)

// ConnectDeniedError is the error parameter of a Connect redirect: the owner declined, or Connect could not connect
// the vehicle. errors.Is(err, ErrConnectDenied) is true for it.
type ConnectDeniedError struct {
	Code        string // the error parameter, e.g. "access_denied", "vehicle_incompatible"
	Description string // the error_description parameter, may be ""
}

// Error reads "the owner declined access: <description>" for access_denied, and names the code otherwise.
func (e *ConnectDeniedError) Error() string {
	var msg string
	switch e.Code {
	case "access_denied":
		msg = "the owner declined access"
	case "vehicle_incompatible":
		msg = "the vehicle is not compatible with Smartcar (vehicle_incompatible)"
	default:
		msg = "the Connect flow ended with the error " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Is makes errors.Is(e, ErrConnectDenied) true.
func (e *ConnectDeniedError) Is(target error) bool {
	return target == ErrConnectDenied
}

// ConnectFlow is one Connect attempt: its URL, its random state and its deadline. It completes at most once, with
// Connect's answer: the first valid redirect, or Connect's error redirect. It is safe for concurrent use, so the
// callback listener and a pasted redirect may race; whichever Accept completes the flow is the only one that gets its
// answer.
type ConnectFlow struct {
	cfg      ConnectConfig
	state    string
	url      string
	deadline time.Time
	// bound, when set, is told the listener's address once Listen has bound it (tests wait on it).
	bound func(addr string)

	done chan struct{} // closed when the flow completes
	mu   sync.Mutex
	// Once done is closed, the answer the flow completed with: the accepted redirect, or the denial.
	answer Redirect
	err    error
}

// NewConnectFlow starts a Connect attempt at now: a fresh random state and the Connect URL. It fails when the config
// cannot make a URL: no client id, a malformed base URL, or a timeout that is not positive.
func NewConnectFlow(c ConnectConfig, now time.Time) (*ConnectFlow, error) {
	if strings.TrimSpace(c.ClientID) == "" {
		return nil, errors.New("connect: no client id: set [connect] client_id or [smartcar] client_id")
	}
	if c.Timeout <= 0 {
		return nil, fmt.Errorf("connect: timeout %s is not positive", c.Timeout)
	}
	base, err := url.Parse(c.Base)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("connect: base %q is not an absolute URL", c.Base)
	}
	// rand.Text has 130 random bits in 26 base32 characters, which need no escaping in a URL.
	f := &ConnectFlow{cfg: c, state: rand.Text(), deadline: now.Add(c.Timeout), done: make(chan struct{})}
	base.RawQuery = f.query()
	f.url = base.String()
	return f, nil
}

// query builds the Connect query in a fixed, readable order. Spaces are %20 rather than '+': the scope list is
// space-separated, and %20 reads the same to every decoder.
func (f *ConnectFlow) query() string {
	params := [][2]string{{"response_type", "code"}, {"client_id", f.cfg.ClientID},
		{"redirect_uri", f.cfg.RedirectURI}}
	if len(f.cfg.Scopes) > 0 {
		params = append(params, [2]string{"scope", strings.Join(f.cfg.Scopes, " ")})
	}
	params = append(params, [2]string{"state", f.state})
	if f.cfg.Mode != "" {
		params = append(params, [2]string{"mode", f.cfg.Mode})
	}
	if f.cfg.TeslaOnly {
		params = append(params, [2]string{"make", "TESLA"})
	}
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p[0] + "=" + strings.ReplaceAll(url.QueryEscape(p[1]), "+", "%20")
	}
	return strings.Join(parts, "&")
}

// URL returns the Connect URL to open in a browser or show as a QR code.
func (f *ConnectFlow) URL() string { return f.url }

// State returns the flow's random state, which the redirect must carry back.
func (f *ConnectFlow) State() string { return f.state }

// RedirectURI returns where Connect sends the browser back to: the flow's [connect] redirect_uri.
func (f *ConnectFlow) RedirectURI() string { return f.cfg.RedirectURI }

// Deadline returns the last instant a redirect is accepted at: the start plus the timeout.
func (f *ConnectFlow) Deadline() time.Time { return f.deadline }

// Accept checks a redirect received at now and, when it is Connect's answer to this flow, completes the flow with it.
// The checks, in order: the flow has expired (now after Deadline) → ErrConnectExpired; the state is missing or not
// this flow's → ErrConnectState; the flow has completed already → ErrConnectReused; an error parameter →
// *ConnectDeniedError, which completes the flow (the owner answered); no user_id → ErrConnectNoUser. A redirect that
// passes them all completes the flow and is returned. Any other refusal leaves the flow open, so a stray request
// cannot spend it: EndsConnect tells the two kinds apart.
func (f *ConnectFlow) Accept(r Redirect, now time.Time) (Redirect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(r, now); err != nil {
		return Redirect{}, err
	}
	if r.Error != "" {
		f.complete(Redirect{}, &ConnectDeniedError{Code: r.Error, Description: r.ErrorDescription})
		return Redirect{}, f.err
	}
	if r.UserID == "" {
		return Redirect{}, fmt.Errorf("%w: Connect did not say which user granted access", ErrConnectNoUser)
	}
	f.complete(r, nil)
	return r, nil
}

// check refuses a redirect that is not, or no longer, an answer to this flow. f.mu is held.
func (f *ConnectFlow) check(r Redirect, now time.Time) error {
	switch {
	case now.After(f.deadline):
		return fmt.Errorf("%w: it was open for %s; start a new one", ErrConnectExpired, f.cfg.Timeout)
	case r.State == "":
		return fmt.Errorf("%w: it has no state", ErrConnectState)
	case subtle.ConstantTimeCompare([]byte(r.State), []byte(f.state)) != 1:
		return fmt.Errorf("%w: its state is another flow's; use the URL of the flow on screen", ErrConnectState)
	case f.completed():
		return ErrConnectReused
	}
	return nil
}

// complete records the flow's answer and closes done. f.mu is held.
func (f *ConnectFlow) complete(r Redirect, err error) {
	f.answer, f.err = r, err
	close(f.done)
}

// completed reports whether the flow has its answer.
func (f *ConnectFlow) completed() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// outcome returns the answer the flow completed with; call it once done is closed.
func (f *ConnectFlow) outcome() (Redirect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.answer, f.err
}

// EndsConnect reports whether err, from Accept or Listen, ends the Connect flow for good: Connect's denial
// (ErrConnectDenied) or the deadline (ErrConnectExpired). Any other refusal (a stray request's state, a malformed or
// incomplete redirect, a listener that could not start) leaves the flow open for the right redirect, pasted or sent
// by the browser. ErrConnectReused is neither: the flow has ended, but with an answer another path has taken.
func EndsConnect(err error) bool {
	return errors.Is(err, ErrConnectDenied) || errors.Is(err, ErrConnectExpired)
}
