package smartcar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// answer is a response read within the body limit.
type answer struct {
	status   int
	header   http.Header
	body     []byte // nil when tooLarge
	tooLarge bool   // the body was over Config.MaxBody and was not read whole
}

// get sends an authenticated GET of rawURL with the extra headers hdr, with the held token or a new one. A 401
// invalidates the token and the request is sent once more with a new one; a second 401 is an error saying the
// credential is refused. Only for requests that spend no read budget: a read uses getHeld. Any non-2xx answer is
// returned as an *APIError, an over-limit 2xx body as ErrBodyTooLarge.
func (c *Client) get(ctx context.Context, rawURL string, hdr http.Header) (answer, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return answer{}, err
	}
	a, err := c.getWith(ctx, tok, rawURL, hdr, true)
	if err == nil && a.status == http.StatusUnauthorized {
		c.invalidate(tok)
		if tok, err = c.token(ctx); err != nil {
			return answer{}, err
		}
		a, err = c.getWith(ctx, tok, rawURL, hdr, true)
		if err == nil && a.status == http.StatusUnauthorized {
			return a, fmt.Errorf("smartcar refused the application credential (401 after a token renewal): %w",
				c.apiError(a))
		}
	}
	return c.judge(a, err)
}

// getHeld sends an authenticated GET with the token already held (see Ready), never waiting for the token endpoint,
// so that a caller who recorded the time of a read just before calling it recorded a time no earlier than the send.
// Without a usable held token nothing is sent and the error matches ErrNotSent. A 401 drops the token and is
// returned, never sent again: a new read goes through its caller's gate.
func (c *Client) getHeld(ctx context.Context, rawURL string, hdr http.Header) (answer, error) {
	tok, ok := c.heldToken()
	if !ok {
		return answer{}, fmt.Errorf("%w: no application token is held (Ready was not called, or the token was "+
			"dropped since)", ErrNotSent)
	}
	a, err := c.getWith(ctx, tok, rawURL, hdr, false)
	if err == nil && a.status == http.StatusUnauthorized {
		c.invalidate(tok)
		return a, fmt.Errorf("smartcar refused the application token (401; not sent again): %w", c.apiError(a))
	}
	return c.judge(a, err)
}

// judge turns an answer that is not a 2xx into its error.
func (c *Client) judge(a answer, err error) (answer, error) {
	switch {
	case err != nil:
		return a, err
	case a.status/100 != 2:
		return a, c.apiError(a)
	case a.tooLarge:
		return a, c.bodyTooLarge()
	}
	return a, nil
}

// getWith sends one GET authenticated with tok. Unless replay is true, net/http may not send it again by itself: its
// transport re-sends an idempotent request whose reused connection broke before the answer, when the server may
// well have read it, and for a read that would be a second read.
func (c *Client) getWith(ctx context.Context, tok, rawURL string, hdr http.Header, replay bool) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return answer{}, fmt.Errorf("%w: smartcar request: %w", ErrNotSent, err)
	}
	if !replay {
		req.Body = noReplay{} // a body without GetBody makes the request not replayable; an empty one sends nothing
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	return c.send(req)
}

// noReplay is an empty request body that net/http cannot rewind.
type noReplay struct{}

func (noReplay) Read([]byte) (int, error) { return 0, io.EOF }
func (noReplay) Close() error             { return nil }

// send does req and reads the body through a limit. Redirects are never followed (see New): a 3xx is the answer.
// Transport failures (refused connections, timeouts, resets) wrap ErrNetwork and the underlying error, so
// errors.Is(err, context.DeadlineExceeded) holds for timeouts; a cancelled context is returned without ErrNetwork.
// A failure before any connection was had for the request (a refused dial, a failed TLS handshake, a context that
// ended first, the send-by time of WithSendBy) also wraps ErrNotSent: the request provably never reached the network.
func (c *Client) send(req *http.Request) (answer, error) {
	var w connWatch
	ctx, stop := w.trace(req.Context())
	defer stop()
	resp, err := c.cfg.HTTP.Do(req.WithContext(ctx))
	if err != nil {
		return answer{}, netError(err, w.unsent())
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.ContentLength > c.cfg.MaxBody {
		a.tooLarge = true
		return a, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return a, netError(err, false)
	}
	if int64(len(body)) > c.cfg.MaxBody {
		a.tooLarge = true
		return a, nil
	}
	a.body = body
	return a, nil
}

// netError classifies a transport error; notSent says no connection was had for the request.
func netError(err error, notSent bool) error {
	if notSent {
		err = fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("smartcar request cancelled: %w", err)
	}
	return fmt.Errorf("%w: %w", ErrNetwork, err)
}

// bodyTooLarge is the error for a successful answer whose body is over the limit.
func (c *Client) bodyTooLarge() error {
	return fmt.Errorf("%w (limit %d bytes)", ErrBodyTooLarge, c.cfg.MaxBody)
}
