package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/schedule"
	"fleetkey/fleet/smartcar"
)

// SmartcarAPI is the fleet's API over Smartcar v3: the fleet from GET /connections, a read as one GET /signals.
type SmartcarAPI struct {
	client *smartcar.Client
	mode   string
	now    func() time.Time
}

var _ API = (*SmartcarAPI)(nil)

// NewSmartcarAPI returns the v3 adapter; mode filters the connections (live, test or simulated).
func NewSmartcarAPI(c *smartcar.Client, mode string, now func() time.Time) *SmartcarAPI {
	if now == nil {
		now = time.Now
	}
	return &SmartcarAPI{client: c, mode: mode, now: now}
}

var _ userLister = (*SmartcarAPI)(nil)

// Vehicles pages through the connections of the configured mode.
func (a *SmartcarAPI) Vehicles(ctx context.Context) ([]schedule.RemoteVehicle, error) {
	return a.list(ctx, smartcar.ConnectionFilter{Mode: a.mode})
}

// VehiclesOf lists one user's connections (filter[userId]), as after Connect.
func (a *SmartcarAPI) VehiclesOf(ctx context.Context, userID string) ([]schedule.RemoteVehicle, error) {
	return a.list(ctx, smartcar.ConnectionFilter{Mode: a.mode, UserID: userID})
}

func (a *SmartcarAPI) list(ctx context.Context, filter smartcar.ConnectionFilter) ([]schedule.RemoteVehicle, error) {
	conns, err := a.client.Connections(ctx, filter)
	if err != nil {
		return nil, kindOf(err)
	}
	return remoteOf(conns), nil
}

// remoteOf converts listed connections.
func remoteOf(conns []smartcar.Connection) []schedule.RemoteVehicle {
	out := make([]schedule.RemoteVehicle, len(conns))
	for i, c := range conns {
		out[i] = schedule.RemoteVehicle{ID: c.VehicleID, UserID: c.UserID, Make: c.Make, Model: c.Model, Year: c.Year,
			Mode: c.Mode, Permissions: c.Permissions}
	}
	return out
}

// Pages lists the connections of the configured mode one page (one request) at a time, newest first.
func (a *SmartcarAPI) Pages() Pager {
	return smartcarPager{a.client.Pages(smartcar.ConnectionFilter{Mode: a.mode})}
}

// smartcarPager is a Pager over the client's.
type smartcarPager struct{ p *smartcar.Pager }

func (p smartcarPager) Next(ctx context.Context) ([]schedule.RemoteVehicle, error) {
	conns, err := p.p.Next(ctx)
	if err != nil {
		return nil, kindOf(err)
	}
	return remoteOf(conns), nil
}

func (p smartcarPager) Done() bool                 { return p.p.Done() }
func (p smartcarPager) Progress() (got, total int) { return p.p.Progress() }

// ListRequests is how many requests listing n vehicles costs: one per page of connections.
func (a *SmartcarAPI) ListRequests(n int) int {
	return max(1, (n+smartcar.ConnectionsPageSize-1)/smartcar.ConnectionsPageSize)
}

// Prepare gets the application token, so that reads send at once.
func (a *SmartcarAPI) Prepare(ctx context.Context) error {
	if err := a.client.Ready(ctx); err != nil {
		return kindOf(err)
	}
	return nil
}

// Read makes one GET /signals call and judges each signal by its own status.
func (a *SmartcarAPI) Read(ctx context.Context, v schedule.RemoteVehicle) (ledger.Reading, error) {
	if by, ok := schedule.SendBy(ctx); ok {
		ctx = smartcar.WithSendBy(ctx, by)
	}
	sig, err := a.client.Signals(ctx, v.ID, v.UserID)
	if err != nil {
		return ledger.Reading{}, kindOf(err)
	}
	r := readingOf(sig.Signals, a.now())
	for _, e := range sig.Errors {
		if errors.Is(e, smartcar.ErrVirtualKeyRequired) {
			r.KeyMissing = true
		}
	}
	return r, nil
}

// kindOf wraps a client error with the fleet's kind of it, so the scheduler can branch with errors.Is.
func kindOf(err error) error {
	kinds := []struct{ api, fleet error }{
		{smartcar.ErrRateLimitVehicle, schedule.ErrVehicleRateLimited},
		{smartcar.ErrRateLimitApp, schedule.ErrAppRateLimited},
		{smartcar.ErrAsleep, schedule.ErrAsleep},
		{smartcar.ErrBilling, schedule.ErrBilling},
		{smartcar.ErrVirtualKeyRequired, schedule.ErrVirtualKeyRequired},
		{smartcar.ErrValidation, schedule.ErrBadRequest},
		{smartcar.ErrAuthentication, schedule.ErrCredentials},
		{smartcar.ErrTokenRefused, schedule.ErrCredentials},
	}
	kind := schedule.ErrTransient
	for _, k := range kinds {
		if errors.Is(err, k.api) {
			kind = k.fleet
			break
		}
	}
	var ae *smartcar.APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		err = retryAfterError{err, ae.RetryAfter}
	}
	if errors.Is(err, smartcar.ErrNotSent) {
		err = notSentError{err}
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// notSentError marks an error of a request that never reached the network with schedule.ErrNotSent.
type notSentError struct{ error }

func (e notSentError) Is(target error) bool { return target == schedule.ErrNotSent }
func (e notSentError) Unwrap() error        { return e.error }

// retryAfterError carries a 429's Retry-After to schedule.RetryAfter.
type retryAfterError struct {
	error
	after time.Duration
}

func (e retryAfterError) RetryAfter() time.Duration { return e.after }
func (e retryAfterError) Unwrap() error             { return e.error }
