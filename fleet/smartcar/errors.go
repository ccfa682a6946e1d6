package smartcar

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels for errors.Is. An *APIError or *TokenError matches the ones its status, type and code imply; transport and
// body-limit failures wrap ErrNetwork and ErrBodyTooLarge.
var (
	ErrRateLimitVehicle   = errors.New("smartcar vehicle rate limit")                // 429 RATE_LIMIT:VEHICLE; see RetryAfter
	ErrRateLimitApp       = errors.New("smartcar application rate limit")            // any other 429 (RATE_LIMIT:SMARTCAR_API)
	ErrAsleep             = errors.New("vehicle asleep")                             // VEHICLE_STATE:ASLEEP
	ErrBilling            = errors.New("smartcar billing limit")                     // 430, or type BILLING
	ErrValidation         = errors.New("smartcar rejected the request as invalid")   // type VALIDATION, or a bare 400
	ErrAuthentication     = errors.New("smartcar authentication failed")             // 401, or type AUTHENTICATION
	ErrVirtualKeyRequired = errors.New("virtual key required")                       // code VIRTUAL_KEY_REQUIRED
	ErrServer             = errors.New("smartcar server or upstream failure")        // 5xx (not COMPATIBILITY), SERVER, UPSTREAM
	ErrTokenRefused       = errors.New("smartcar token request refused")             // token endpoint 400/401
	ErrNetwork            = errors.New("smartcar unreachable")                       // refused connection, timeout, reset
	ErrBodyTooLarge       = errors.New("smartcar response body over the size limit") // see Config.MaxBody
	ErrRedirect           = errors.New("smartcar answered with a redirect")          // any 3xx: never followed
	// ErrNotSent: the request provably never reached the network (no token held, a refused dial, a failed TLS
	// handshake), so it cannot have spent anything. A request that may have been sent never matches it.
	ErrNotSent = errors.New("request not sent")
)

// APIError is an error answer of the v3 API: one item of a JSON:API errors[] body (the first, when a non-2xx answer
// carries several), or a generic error built from the HTTP status when the body is not one. Its text fields come from
// the server, cleaned of control characters and of the client's secret and token.
type APIError struct {
	HTTPStatus           int    // the answer's HTTP status (200 for errors[] items that came with a 200)
	Status               string // the item's own status, a string in v3 ("429")
	Type, Code           string // e.g. RATE_LIMIT, VEHICLE; older bodies have only a lower-case code (not_found)
	Title, Detail        string
	About                string // links.about
	ResolutionType       string // RETRY_LATER, REAUTHENTICATE, CONTACT_SUPPORT, ACTION_REQUIRED or ""
	ResolutionURL        string // e.g. the Tesla virtual key URL for ACTION_REQUIRED
	SuggestedUserMessage string
	RequestID            string        // the sc-request-id (or x-request-id) response header
	RetryAfter           time.Duration // from the Retry-After header (seconds or HTTP date); 0 when absent
}

// Error returns "smartcar <status> <TYPE:CODE>: <detail> (request <id>)".
func (e *APIError) Error() string {
	var b strings.Builder
	st := e.status()
	fmt.Fprintf(&b, "smartcar %d", st)
	if k := e.kind(); k != "" {
		b.WriteString(" " + k)
	}
	if msg := firstOf(e.Detail, e.Title, http.StatusText(st)); msg != "" {
		b.WriteString(": " + msg)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// kind returns "TYPE:CODE", or whichever of the two is present.
func (e *APIError) kind() string {
	if e.Type != "" && e.Code != "" {
		return e.Type + ":" + e.Code
	}
	return e.Type + e.Code
}

// status is the status the error is judged by: the item's own status for items that came with a 2xx answer, else the
// HTTP status.
func (e *APIError) status() int {
	n, err := strconv.Atoi(e.Status)
	if (e.HTTPStatus == 0 || e.HTTPStatus/100 == 2) && err == nil {
		return n
	}
	return e.HTTPStatus
}

// Is reports whether e is of the kind target names (see the sentinels). Type and code compare case-insensitively.
func (e *APIError) Is(target error) bool {
	st, typ, code := e.status(), strings.ToUpper(e.Type), strings.ToUpper(e.Code)
	rateLimited := st == http.StatusTooManyRequests || typ == "RATE_LIMIT"
	switch target {
	case ErrRateLimitVehicle:
		return rateLimited && code == "VEHICLE"
	case ErrRateLimitApp:
		return rateLimited && code != "VEHICLE"
	case ErrAsleep:
		return typ == "VEHICLE_STATE" && code == "ASLEEP"
	case ErrBilling:
		return st == 430 || typ == "BILLING"
	case ErrValidation:
		return typ == "VALIDATION" || (st == http.StatusBadRequest && typ == "" && code != "VIRTUAL_KEY_REQUIRED")
	case ErrAuthentication:
		return st == http.StatusUnauthorized || typ == "AUTHENTICATION"
	case ErrVirtualKeyRequired:
		return code == "VIRTUAL_KEY_REQUIRED"
	case ErrServer:
		return (st >= 500 && typ != "COMPATIBILITY") || typ == "SERVER" || typ == "UPSTREAM"
	case ErrRedirect:
		return e.HTTPStatus/100 == 3
	}
	return false
}

// TokenError is an error answer of the token endpoint, whose bodies are OAuth-style ({"error": "invalid_client"}).
type TokenError struct {
	HTTPStatus  int
	Code        string // the OAuth error: invalid_client, invalid_request, …
	Description string // error_description, when given
	RequestID   string
	RetryAfter  time.Duration
}

// Error returns "smartcar token endpoint <status> <code>: <description> (request <id>)".
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smartcar token endpoint %d", e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if msg := firstOf(e.Description, http.StatusText(e.HTTPStatus)); msg != "" {
		b.WriteString(": " + msg)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Is matches ErrTokenRefused for 400 and 401 (and any invalid_client), ErrRateLimitApp for 429, ErrServer for 5xx,
// ErrRedirect for 3xx.
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrTokenRefused:
		return e.HTTPStatus == http.StatusBadRequest || e.HTTPStatus == http.StatusUnauthorized ||
			e.Code == "invalid_client"
	case ErrRateLimitApp:
		return e.HTTPStatus == http.StatusTooManyRequests
	case ErrServer:
		return e.HTTPStatus >= 500
	case ErrRedirect:
		return e.HTTPStatus/100 == 3
	}
	return false
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
