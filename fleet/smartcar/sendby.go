package smartcar

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"
)

// sendByKey is the context key of WithSendBy.
type sendByKey struct{}

// WithSendBy returns ctx carrying a deadline for sending: a request made with it that has no connection yet at by
// (on the monotonic clock: use a time from time.Now) is abandoned unsent, and its error matches ErrNotSent. A caller
// that records by as the time of a read before making it so never records a time earlier than the real send.
func WithSendBy(ctx context.Context, by time.Time) context.Context {
	return context.WithValue(ctx, sendByKey{}, by)
}

// connWatch follows one request: whether it got a connection (after which its bytes may leave at any moment), and
// abandons it unsent when the send-by time comes first.
type connWatch struct {
	mu      sync.Mutex
	got     bool
	expired bool
}

// trace returns ctx traced by w and, when ctx carries a send-by time, cancelled at that time if no connection was
// had by then. stop releases the timer.
func (w *connWatch) trace(ctx context.Context) (traced context.Context, stop func()) {
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
		w.mu.Lock()
		w.got = true
		w.mu.Unlock()
	}})
	by, ok := ctx.Value(sendByKey{}).(time.Time)
	if !ok {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(time.Until(by), func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.got {
			w.expired = true
			cancel()
		}
	})
	return ctx, func() { t.Stop(); cancel() }
}

// unsent reports whether the request never had a connection: nothing of it can have reached the network.
func (w *connWatch) unsent() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.got
}
