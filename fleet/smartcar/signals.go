package smartcar

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// signalsPageSize is the pageSize asked of GET /vehicles/{id}/signals. That the endpoint honours pageSize (and up to
// 100) is an assumption from its page links; the documentation gives no default or maximum.
const signalsPageSize = 100

// Signals is the answer of one vehicle read.
type Signals struct {
	Signals []Signal    // in the order sent; each judged by its own Status
	Errors  []*APIError // errors[] items that came with the 200 (e.g. VIRTUAL_KEY_REQUIRED), HTTPStatus 200
	// Pages is the number of pages asked for: 1 unless the answer was paged and links.next was followed. Each page
	// is one request.
	Pages int
	// Incomplete is set when the answer said there was more (links.next or meta.totalCount) than was fetched.
	Incomplete bool
}

// Find returns the signal with code, if the answer has it.
func (s Signals) Find(code string) (Signal, bool) {
	for _, sig := range s.Signals {
		if sig.Code == code {
			return sig, true
		}
	}
	return Signal{}, false
}

// Signals reads a vehicle's signals: GET /vehicles/{vehicleID}/signals?pageSize=100 with the sc-user-id and
// SC-Unit-System headers. An empty signal store is a 200 with no signals, not an error.
//
// A read is normally one request. If the answer is paged (links.next present), the next page is fetched with the
// paging parameters (page, pageSize) of links.next applied to this same URL — the token never goes to a host or path
// named by the response — up to Config.MaxSignalPages requests in all; Pages says how many were made. An error on a
// later page returns the signals gathered so far together with the error.
//
// Signals sends only with the token already held: call Ready first. It never waits for the token endpoint, so a
// caller that records the read's time just before calling it records a time no earlier than the send; without a
// held token it sends nothing and returns an error matching ErrNotSent, as it does for a refused dial or a failed
// TLS handshake. A 401 drops the token and is returned (matching ErrAuthentication), never sent again: the next read
// goes through its caller's gate. Both ids are required: without them no request is sent and the error matches
// ErrValidation.
func (c *Client) Signals(ctx context.Context, vehicleID, userID string) (Signals, error) {
	if vehicleID == "" || userID == "" {
		return Signals{}, fmt.Errorf("%w: read signals needs a vehicle id and a user id (vehicle %q, user %q)",
			ErrValidation, vehicleID, userID)
	}
	hdr := http.Header{"Sc-User-Id": {userID}, "Sc-Unit-System": {c.cfg.UnitSystem}}
	query := url.Values{"pageSize": {strconv.Itoa(signalsPageSize)}}.Encode()
	asked := map[string]bool{}
	var out Signals
	for {
		asked[query] = true
		a, err := c.getHeld(ctx, c.endpoint(query, "vehicles", vehicleID, "signals"), hdr)
		out.Pages++
		if err != nil {
			return out, fmt.Errorf("read signals of vehicle %s, page %d: %w", vehicleID, out.Pages, err)
		}
		p, err := c.decodeSignalsPage(a.body)
		if err != nil {
			return out, fmt.Errorf("read signals of vehicle %s, page %d: %w", vehicleID, out.Pages, err)
		}
		out.Signals = append(out.Signals, p.signals...)
		out.Errors = append(out.Errors, p.errors...)
		next := nextPageQuery(p.next)
		if next == "" || asked[next] || out.Pages >= c.cfg.MaxSignalPages {
			out.Incomplete = (next != "" && !asked[next]) || (p.total != nil && len(out.Signals) < *p.total)
			return out, nil
		}
		query = next
	}
}

// nextPageQuery returns the paging parameters of a links.next value as a query, or "" when there is no next page.
func nextPageQuery(next string) string {
	if next == "" {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil {
		return ""
	}
	in, out := u.Query(), url.Values{}
	for _, k := range []string{"page", "pageSize", "page[number]", "page[size]"} {
		if v := in.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

// signalsPage is one decoded page of GET /vehicles/{id}/signals.
type signalsPage struct {
	signals []Signal
	errors  []*APIError
	next    string
	total   *int
}

// decodeSignalsPage decodes a signals answer. Only a body that is not a JSON object, or whose data is neither an
// array nor null, is an error; each signal decodes on its own (see decodeSignal), and malformed meta, links and
// errors are ignored, so one odd field cannot lose a read that was already spent.
func (c *Client) decodeSignalsPage(body []byte) (signalsPage, error) {
	var top struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
		Meta   json.RawMessage `json:"meta"`
		Links  json.RawMessage `json:"links"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return signalsPage{}, fmt.Errorf("%w: signals answer is not a JSON object: %w", ErrServer, err)
	}
	var items []json.RawMessage
	if len(top.Data) > 0 {
		if err := json.Unmarshal(top.Data, &items); err != nil {
			return signalsPage{}, fmt.Errorf("%w: signals answer's data is not an array: %w", ErrServer, err)
		}
	}
	var p signalsPage
	for _, raw := range items {
		p.signals = append(p.signals, c.cleanSignal(decodeSignal(raw)))
	}
	for _, w := range errorItems(top.Errors) {
		p.errors = append(p.errors, c.fromWire(http.StatusOK, w))
	}
	var meta struct {
		TotalCount *int `json:"totalCount"`
	}
	var links struct {
		Next *string `json:"next"`
	}
	if json.Unmarshal(top.Meta, &meta) == nil {
		p.total = meta.TotalCount
	}
	if json.Unmarshal(top.Links, &links) == nil && links.Next != nil {
		p.next = *links.Next
	}
	return p, nil
}

// cleanSignal cleans the server-given text of s (see clean).
func (c *Client) cleanSignal(s Signal) Signal {
	s.Code, s.Status = c.clean(s.Code), c.clean(s.Status)
	s.ErrType, s.ErrCode, s.ErrDetail = c.clean(s.ErrType), c.clean(s.ErrCode), c.clean(s.ErrDetail)
	return s
}
