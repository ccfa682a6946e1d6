package schedule

import (
	"context"
	"errors"
	"fleetkey/fleet/ledger"
	"time"
)

// API is what the scheduler needs of a vehicle-data API: a way to get ready and the read itself. Smartcar's v3 is the
// one implemented (fleet.NewSmartcarAPI); a v2.0 adapter would implement the same methods, and neither the scheduler
// nor the UI would change.
type API interface {
	// Prepare gets what a read needs before its time is recorded (an application token), so that Read sends at
	// once. It spends no read budget. An error says no read can be sent now; errors.Is(err, ErrCredentials) when
	// the credential is refused.
	Prepare(ctx context.Context) error
	// Read reads one vehicle's data: the only call that spends a read budget. It never waits for what Prepare gets:
	// without it, it sends nothing and fails with ErrNotSent. A read that reached the API and was answered with
	// per-signal failures is not an error: each Value carries its own status. ctx may carry a send-by time (see
	// SendBy): a read that could not start sending by then gives up unsent.
	Read(ctx context.Context, v RemoteVehicle) (ledger.Reading, error)
}

// sendByKey is the context key of withSendBy.
type sendByKey struct{}

// withSendBy returns ctx carrying the latest moment (on the monotonic clock) at which a Read may start to send.
func withSendBy(ctx context.Context, by time.Time) context.Context {
	return context.WithValue(ctx, sendByKey{}, by)
}

// SendBy returns the send-by time ctx carries, for an API's Read: a request that has no connection by then must be
// abandoned unsent, because the read's time recorded before it is no later than that.
func SendBy(ctx context.Context) (time.Time, bool) {
	by, ok := ctx.Value(sendByKey{}).(time.Time)
	return by, ok
}

// RemoteVehicle is a vehicle as the API lists it.
type RemoteVehicle struct {
	ID, UserID  string
	Make, Model string
	Year        int
	Mode        string // live, test or simulated
	Permissions []string
}

// The kinds of API failure the scheduler branches on. An adapter wraps its own error with one of these
// (fmt.Errorf("%w: %w", ErrAsleep, apiErr)), so callers use errors.Is and still see the API's message.
var (
	ErrVehicleRateLimited = errors.New("vehicle rate limited")        // 429 RATE_LIMIT:VEHICLE; see RetryAfter
	ErrAppRateLimited     = errors.New("application rate limited")    // 429 RATE_LIMIT:SMARTCAR_API
	ErrAsleep             = errors.New("vehicle asleep")              // 409 VEHICLE_STATE:ASLEEP
	ErrBilling            = errors.New("billing limit reached")       // 430 BILLING:*
	ErrBadRequest         = errors.New("request rejected as invalid") // 400 VALIDATION: a bug, never retried
	ErrCredentials        = errors.New("credential refused")          // token refused, or 401 after one renewal
	ErrVirtualKeyRequired = errors.New("virtual key required")        // CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED
	ErrTransient          = errors.New("temporary failure")           // 5xx, timeouts, refused connections, 3xx
	// ErrNotSent marks a failure that provably happened before the request reached the network (no token, a refused
	// dial, a failed TLS handshake): nothing was spent, so the read's reservation is released.
	ErrNotSent = errors.New("request not sent")
)

// RetryAfter returns the wait an error asks for (a 429's Retry-After), if it carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		return ra.RetryAfter(), true
	}
	return 0, false
}
