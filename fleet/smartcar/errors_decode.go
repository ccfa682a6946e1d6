package smartcar

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// maxRetryAfter caps a Retry-After far beyond any documented wait, so adding it to a time cannot overflow.
	maxRetryAfter = 30 * 24 * time.Hour
	// maxText is the longest server-given text kept in an error, in bytes.
	maxText = 500
)

// wireError is one item of a v3 errors[] body; the same fields also read the older flat v2 body.
type wireError struct {
	Status               looseString `json:"status"`
	Type                 string      `json:"type"`
	Code                 string      `json:"code"`
	Title                string      `json:"title"`
	Detail               string      `json:"detail"`
	Description          string      `json:"description"`
	SuggestedUserMessage string      `json:"suggestedUserMessage"`
	Links                *struct {
		About string `json:"about"`
	} `json:"links"`
	Resolution *struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"resolution"`
}

// decodeErrorItems decodes the items of an error answer's body: its errors[] or, when it has none, the body itself as
// one flat (v2-style) item. A body that is not a JSON object has no items.
func decodeErrorItems(body []byte) []wireError {
	var top struct {
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	if items := errorItems(top.Errors); len(items) > 0 {
		return items
	}
	return errorItems(json.RawMessage("[" + string(body) + "]"))
}

// errorItems decodes a JSON array of error items. Items that do not decode, or say nothing, are skipped; anything
// but an array has no items.
func errorItems(raw json.RawMessage) []wireError {
	var raws []json.RawMessage
	if json.Unmarshal(raw, &raws) != nil {
		return nil
	}
	var items []wireError
	for _, r := range raws {
		var w wireError
		if json.Unmarshal(r, &w) == nil && w.Type+w.Code+w.Title+w.Detail+w.Description != "" {
			items = append(items, w)
		}
	}
	return items
}

// apiError builds the error of a non-2xx answer from the first item of its body, or a generic one from its status.
func (c *Client) apiError(a answer) *APIError {
	var e *APIError
	if items := decodeErrorItems(a.body); len(items) > 0 {
		e = c.fromWire(a.status, items[0])
	} else {
		e = &APIError{HTTPStatus: a.status, Status: strconv.Itoa(a.status), Detail: genericDetail(a)}
	}
	e.RequestID = c.clean(requestID(a.header))
	e.RetryAfter = retryAfter(a.header.Get("Retry-After"), c.cfg.Now())
	return e
}

// genericDetail describes an error answer whose body says nothing we can read.
func genericDetail(a answer) string {
	switch {
	case a.tooLarge:
		return "error body over the size limit, not read"
	case a.status/100 == 3:
		return "redirect, not followed"
	case len(bytes.TrimSpace(a.body)) == 0:
		return "empty error body"
	}
	return "error body is not a JSON:API error"
}

// fromWire converts one decoded item into an APIError, cleaning every text field.
func (c *Client) fromWire(httpStatus int, w wireError) *APIError {
	e := &APIError{
		HTTPStatus:           httpStatus,
		Status:               c.clean(string(w.Status)),
		Type:                 c.clean(w.Type),
		Code:                 c.clean(w.Code),
		Title:                c.clean(w.Title),
		Detail:               c.clean(firstOf(w.Detail, w.Description)),
		SuggestedUserMessage: c.clean(w.SuggestedUserMessage),
	}
	if w.Links != nil {
		e.About = c.clean(w.Links.About)
	}
	if w.Resolution != nil {
		e.ResolutionType, e.ResolutionURL = c.clean(w.Resolution.Type), c.clean(w.Resolution.URL)
	}
	return e
}

// tokenError builds the error of a non-200 token answer from its OAuth-style body.
func (c *Client) tokenError(a answer) *TokenError {
	var body struct {
		Error       looseString `json:"error"`
		Description looseString `json:"error_description"`
	}
	_ = json.Unmarshal(a.body, &body) // a body that is not OAuth-style leaves both empty: the status still says it
	return &TokenError{
		HTTPStatus:  a.status,
		Code:        c.clean(string(body.Error)),
		Description: c.clean(string(body.Description)),
		RequestID:   c.clean(requestID(a.header)),
		RetryAfter:  retryAfter(a.header.Get("Retry-After"), c.cfg.Now()),
	}
}

// requestID returns the request id header Smartcar sends under either name.
func requestID(h http.Header) string {
	return firstOf(h.Get("Sc-Request-Id"), h.Get("X-Request-Id"))
}

// retryAfter parses a Retry-After value: delay seconds (also as a decimal, "1e9", or an integer too large for int64)
// or an HTTP date (relative to now). Missing, unparsable, negative and past values are 0; values beyond
// maxRetryAfter, infinity included, are capped there: a long hold, never a shorter one.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case !(secs > 0): // NaN, zero, negative
			return 0
		case secs >= maxRetryAfter.Seconds():
			return maxRetryAfter
		}
		return time.Duration(math.Ceil(secs * float64(time.Second)))
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// clean makes server-given text safe to show: the client secret and the held token are redacted, control characters
// become spaces, and the text is cut to maxText bytes.
func (c *Client) clean(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, secret := range c.secrets() {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}

// secrets returns the strings no error may contain: the client secret and the held and previous tokens.
func (c *Client) secrets() []string {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	out := []string{c.cfg.ClientSecret}
	for _, t := range []string{c.tok.value, c.tok.prev} {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// looseString reads a JSON string or number (v3 sends status as a string, other servers as a number); null is "".
type looseString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		err := json.Unmarshal(b, &v)
		*s = looseString(v)
		return err
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var n json.Number
	err := json.Unmarshal(b, &n)
	*s = looseString(n)
	return err
}
