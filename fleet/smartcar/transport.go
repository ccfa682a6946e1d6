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

// get sends an authenticated GET of rawURL with the extra headers hdr. A 401 invalidates the token and the request is
// sent once more with a new one; a second 401 is an error saying the credential is refused. Any non-2xx answer is
// returned as an *APIError, an over-limit 2xx body as ErrBodyTooLarge.
func (c *Client) get(ctx context.Context, rawURL string, hdr http.Header) (answer, error) {
	a, used, err := c.getOnce(ctx, rawURL, hdr)
	if err == nil && a.status == http.StatusUnauthorized {
		c.invalidate(used)
		a, _, err = c.getOnce(ctx, rawURL, hdr)
		if err == nil && a.status == http.StatusUnauthorized {
			return a, fmt.Errorf("smartcar refused the application credential (401 after a token renewal): %w",
				c.apiError(a))
		}
	}
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

// getOnce sends one authenticated GET and returns the answer and the token it used.
func (c *Client) getOnce(ctx context.Context, rawURL string, hdr http.Header) (answer, string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return answer{}, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return answer{}, tok, fmt.Errorf("smartcar request: %w", err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	a, err := c.send(req)
	return a, tok, err
}

// send does req and reads the body through a limit. Transport failures (refused connections, timeouts, resets) wrap
// ErrNetwork and the underlying error, so errors.Is(err, context.DeadlineExceeded) holds for timeouts; a cancelled
// context is returned without ErrNetwork.
func (c *Client) send(req *http.Request) (answer, error) {
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return answer{}, netError(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.ContentLength > c.cfg.MaxBody {
		a.tooLarge = true
		return a, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return a, netError(err)
	}
	if int64(len(body)) > c.cfg.MaxBody {
		a.tooLarge = true
		return a, nil
	}
	a.body = body
	return a, nil
}

// netError classifies a transport error.
func netError(err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("smartcar request cancelled: %w", err)
	}
	return fmt.Errorf("%w: %w", ErrNetwork, err)
}

// bodyTooLarge is the error for a successful answer whose body is over the limit.
func (c *Client) bodyTooLarge() error {
	return fmt.Errorf("%w (limit %d bytes)", ErrBodyTooLarge, c.cfg.MaxBody)
}
