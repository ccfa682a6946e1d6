package smartcar

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// defaultTokenTTL is the lifetime assumed when the token response has no usable expires_in (Smartcar documents 1 h).
	defaultTokenTTL = time.Hour
	// maxTokenTTL bounds an absurd expires_in so the renewal time cannot overflow.
	maxTokenTTL = 24 * time.Hour
	// renewLead is how long before expiry a token is renewed; tokens living 2×renewLead or less renew at half-life.
	renewLead = 5 * time.Minute
	// tokenTimeout bounds one token request, which runs detached from any single caller's context.
	tokenTimeout = time.Minute
)

// tokenState is the application token, shared by all callers: at most one token request is in flight at a time.
type tokenState struct {
	mu      sync.Mutex
	value   string
	prev    string // the token before value, still redacted from errors
	renewAt time.Time
	expires time.Time  // when value stops being valid
	call    *tokenCall // the request in flight, nil when none
	onWait  func()     // test hook: called when a caller starts waiting for a token request
}

// tokenCall is one token request; done is closed when value and err are set.
type tokenCall struct {
	done  chan struct{}
	value string
	err   error
}

// token returns a valid application token, requesting one when none is held or the held one is due for renewal.
// Concurrent callers share one request; each stops waiting when its own ctx ends.
func (c *Client) token(ctx context.Context) (string, error) {
	t := &c.tok
	t.mu.Lock()
	if t.value != "" && c.cfg.Now().Before(t.renewAt) {
		v := t.value
		t.mu.Unlock()
		return v, nil
	}
	call := t.call
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		t.call = call
		go c.fetchToken(ctx, call)
	}
	onWait := t.onWait
	t.mu.Unlock()
	if onWait != nil {
		onWait()
	}
	select {
	case <-call.done:
		return call.value, call.err
	case <-ctx.Done():
		return "", fmt.Errorf("wait for smartcar token: %w", ctx.Err())
	}
}

// Ready makes sure the client holds a valid application token, requesting one when none is held or the held one is
// due for renewal, so that the reads that follow send at once (see Signals). It sends nothing to the vehicle API.
// An error says no read can be sent now: the token endpoint refused the credential (ErrTokenRefused) or could not
// be reached.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.token(ctx)
	return err
}

// heldToken returns the held token while it is valid, without requesting one.
func (c *Client) heldToken() (string, bool) {
	t := &c.tok
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value == "" || !c.cfg.Now().Before(t.expires) {
		return "", false
	}
	return t.value, true
}

// invalidate drops value if it is still the held token, so the next caller requests a new one.
func (c *Client) invalidate(value string) {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	if c.tok.value == value {
		c.tok.prev, c.tok.value = value, ""
	}
}

// fetchToken runs one token request for call. It is detached from ctx's cancellation (other callers may be waiting on
// it) but keeps its values, and is bounded by tokenTimeout.
func (c *Client) fetchToken(ctx context.Context, call *tokenCall) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
	defer cancel()
	sent := c.cfg.Now()
	value, ttl, err := c.requestToken(ctx)
	t := &c.tok
	t.mu.Lock()
	t.call = nil
	if err == nil {
		if t.value != "" {
			t.prev = t.value
		}
		t.value, t.renewAt, t.expires = value, sent.Add(renewAfter(ttl)), sent.Add(ttl)
	}
	t.mu.Unlock()
	call.value, call.err = value, err
	close(call.done)
}

// renewAfter returns how long after its request a token living ttl is renewed: renewLead before expiry, or at
// half-life when ttl is 2×renewLead or less.
func renewAfter(ttl time.Duration) time.Duration {
	if ttl > 2*renewLead {
		return ttl - renewLead
	}
	return ttl / 2
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string      `json:"access_token"`
	TokenType   string      `json:"token_type"`
	ExpiresIn   looseString `json:"expires_in"`
}

// requestToken asks the token endpoint for a token with the client-credentials grant (form body).
func (c *Client) requestToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("smartcar token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	a, err := c.send(req)
	if err != nil {
		return "", 0, fmt.Errorf("smartcar token request: %w", err)
	}
	if a.status != http.StatusOK {
		return "", 0, c.tokenError(a)
	}
	if a.tooLarge {
		return "", 0, fmt.Errorf("smartcar token response: %w", c.bodyTooLarge())
	}
	return parseToken(a.body)
}

// parseToken decodes a token response body into the token and its lifetime.
func parseToken(body []byte) (string, time.Duration, error) {
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("%w: token response is not the documented JSON: %w", ErrServer, err)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("%w: token response has no access_token", ErrServer)
	}
	return tr.AccessToken, tokenTTL(string(tr.ExpiresIn)), nil
}

// tokenTTL reads expires_in (seconds); a missing or unusable value means defaultTokenTTL.
func tokenTTL(s string) time.Duration {
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || !(secs > 0) {
		return defaultTokenTTL
	}
	if secs >= maxTokenTTL.Seconds() {
		return maxTokenTTL
	}
	return time.Duration(secs * float64(time.Second))
}
