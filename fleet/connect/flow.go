// Package connect decides how a vehicle owner is sent through Smartcar Connect and how the answer is taken back: the
// authorization URL with a one-time state, the redirect's parsing (from the loopback listener or pasted from the
// browser), and when a flow has ended. It does not list or read vehicles: the fleet adds the user the redirect names.
package connect

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

// The defaults of the [connect] table.
const (
	// DefaultBase is Smartcar Connect's authorization page.
	DefaultBase = "https://connect.smartcar.com/oauth/authorize"
	// DefaultRedirectURI is where Connect sends the owner back to: the console's own loopback listener.
	DefaultRedirectURI = "http://localhost:8000/callback"
	// DefaultTimeout is how long a Connect flow waits for its redirect.
	DefaultTimeout = 10 * time.Minute
)

// DefaultScopes returns the permissions the console asks Connect for: what its reads need, and nothing else.
func DefaultScopes() []string {
	return []string{"read_vehicle_info", "read_vin", "read_battery", "read_charge", "read_location", "read_odometer"}
}

// Config is the [connect] table of the config: how the console sends a vehicle owner through Smartcar Connect
// and where the owner's browser comes back to. config.Config.Connect has every default filled in.
type Config struct {
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
	// ErrExpired: the redirect came after the flow's deadline, or none came before it.
	ErrExpired = errors.New("the Connect flow timed out")
	// ErrState: the redirect's state is missing or is not this flow's, so it answers another (or a forged)
	// request.
	ErrState = errors.New("the redirect does not belong to this Connect flow")
	// ErrReused: the flow has already completed; a state is good for one redirect only.
	ErrReused = errors.New("this Connect flow has already completed")
	// ErrDenied: Connect came back with an error instead of access; see DeniedError.
	ErrDenied = errors.New("access was not granted in Connect")
	// ErrNoUser: the redirect has no user_id, so there is no user to list vehicles of.
	ErrNoUser = errors.New("the redirect has no user_id")
)

// DeniedError is the error parameter of a Connect redirect: the owner declined, or Connect could not connect
// the vehicle. errors.Is(err, ErrDenied) is true for it.
type DeniedError struct {
	Code        string // the error parameter, e.g. "access_denied", "vehicle_incompatible"
	Description string // the error_description parameter, may be ""
}

// Error reads "the owner declined access: <description>" for access_denied, and names the code otherwise.
func (e *DeniedError) Error() string {
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

// Is makes errors.Is(e, ErrDenied) true.
func (e *DeniedError) Is(target error) bool {
	return target == ErrDenied
}

// Flow is one Connect attempt: its URL, its random state and its deadline. It completes at most once, with
// Connect's answer: the first valid redirect, or Connect's error redirect. It is safe for concurrent use, so the
// callback listener and a pasted redirect may race; whichever Accept completes the flow is the only one that gets its
// answer.
type Flow struct {
	cfg      Config
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

// NewFlow starts a Connect attempt at now: a fresh random state and the Connect URL. It fails when the config
// cannot make a URL: no client id, a malformed base URL, or a timeout that is not positive.
func NewFlow(c Config, now time.Time) (*Flow, error) {
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
	f := &Flow{cfg: c, state: rand.Text(), deadline: now.Add(c.Timeout), done: make(chan struct{})}
	base.RawQuery = f.query()
	f.url = base.String()
	return f, nil
}

// query builds the Connect query in a fixed, readable order. Spaces are %20 rather than '+': the scope list is
// space-separated, and %20 reads the same to every decoder.
func (f *Flow) query() string {
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
func (f *Flow) URL() string { return f.url }

// State returns the flow's random state, which the redirect must carry back.
func (f *Flow) State() string { return f.state }

// RedirectURI returns where Connect sends the browser back to: the flow's [connect] redirect_uri.
func (f *Flow) RedirectURI() string { return f.cfg.RedirectURI }

// Deadline returns the last instant a redirect is accepted at: the start plus the timeout.
func (f *Flow) Deadline() time.Time { return f.deadline }

// Accept checks a redirect received at now and, when it is Connect's answer to this flow, completes the flow with it.
// The checks, in order: the flow has expired (now after Deadline) → ErrExpired; the state is missing or not
// this flow's → ErrState; the flow has completed already → ErrReused; an error parameter →
// *DeniedError, which completes the flow (the owner answered); no user_id → ErrNoUser. A redirect that
// passes them all completes the flow and is returned. Any other refusal leaves the flow open, so a stray request
// cannot spend it: Ends tells the two kinds apart.
func (f *Flow) Accept(r Redirect, now time.Time) (Redirect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(r, now); err != nil {
		return Redirect{}, err
	}
	if r.Error != "" {
		f.complete(Redirect{}, &DeniedError{Code: r.Error, Description: r.ErrorDescription})
		return Redirect{}, f.err
	}
	if r.UserID == "" {
		return Redirect{}, fmt.Errorf("%w: Connect did not say which user granted access", ErrNoUser)
	}
	f.complete(r, nil)
	return r, nil
}

// check refuses a redirect that is not, or no longer, an answer to this flow. f.mu is held.
func (f *Flow) check(r Redirect, now time.Time) error {
	switch {
	case now.After(f.deadline):
		return fmt.Errorf("%w: it was open for %s; start a new one", ErrExpired, f.cfg.Timeout)
	case r.State == "":
		return fmt.Errorf("%w: it has no state", ErrState)
	case subtle.ConstantTimeCompare([]byte(r.State), []byte(f.state)) != 1:
		return fmt.Errorf("%w: its state is another flow's; use the URL of the flow on screen", ErrState)
	case f.completed():
		return ErrReused
	}
	return nil
}

// complete records the flow's answer and closes done. f.mu is held.
func (f *Flow) complete(r Redirect, err error) {
	f.answer, f.err = r, err
	close(f.done)
}

// completed reports whether the flow has its answer.
func (f *Flow) completed() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// outcome returns the answer the flow completed with; call it once done is closed.
func (f *Flow) outcome() (Redirect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.answer, f.err
}

// Ends reports whether err, from Accept or Listen, ends the Connect flow for good: Connect's denial
// (ErrDenied) or the deadline (ErrExpired). Any other refusal (a stray request's state, a malformed or
// incomplete redirect, a listener that could not start) leaves the flow open for the right redirect, pasted or sent
// by the browser. ErrReused is neither: the flow has ended, but with an answer another path has taken.
func Ends(err error) bool {
	return errors.Is(err, ErrDenied) || errors.Is(err, ErrExpired)
}
