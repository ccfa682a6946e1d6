package serve

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/connect"
	"fleetkey/fleet/ledger"
	"fleetkey/ui"
)

// actor is an operator's hands on the fleet: the console's Reader and Connector for one key, writing every read,
// key check and connect to the audit log with who did it, which vehicle and how it went.
type actor struct {
	f       *fleet.Fleet
	key     Key
	audit   *Audit
	connect *connect.Config
	log     *slog.Logger
}

var (
	_ ui.Reader    = actor{}
	_ ui.Connector = actor{}
)

// Read spends one read of vehicle id through the fleet's gate, and audits it.
func (a actor) Read(ctx context.Context, id string, now time.Time) ([]fleet.Entry, error) {
	entries, err := a.f.Read(ctx, id, now)
	return entries, errors.Join(err, a.record(now, AuditRead, id, outcome(err)))
}

// NewFlow starts a Smartcar Connect flow; it reads nothing, so it is not audited.
func (a actor) NewFlow(now time.Time) (*connect.Flow, error) {
	return connect.NewFlow(*a.connect, now)
}

// AddUser adds the vehicles a user has just connected, and audits a connect per vehicle added (one with no vehicle
// when none was, or the listing failed).
func (a actor) AddUser(ctx context.Context, userID, keyURL string, now time.Time) ([]fleet.Entry, error) {
	added, err := a.f.AddUser(ctx, userID, keyURL, now)
	if err != nil || len(added) == 0 {
		res := outcome(err)
		if err == nil {
			res = "ok: no new vehicle"
		}
		return added, errors.Join(err, a.record(now, AuditConnect, "", res))
	}
	var errs []error
	for _, e := range added {
		errs = append(errs, a.record(now, AuditConnect, e.ID, "ok"))
	}
	return added, errors.Join(errs...)
}

// Confirm spends the one read that checks a new vehicle's key, and audits it with the badge it taught.
func (a actor) Confirm(ctx context.Context, id string, now time.Time) (fleet.Entry, error) {
	e, err := a.f.Confirm(ctx, id, now)
	res := outcome(err)
	if err == nil {
		res = "ok: " + e.Badge.String()
	}
	return e, errors.Join(err, a.record(now, AuditKeyCheck, id, res))
}

// Release lets the scheduler have a new vehicle without a read now.
func (a actor) Release(id string) { a.f.Release(id) }

// Entries returns the fleet.
func (a actor) Entries() ([]fleet.Entry, error) { return a.f.Entries() }

// record writes one audit entry; a failure is logged and returned, so the operator sees it too.
func (a actor) record(now time.Time, action, vehicle, result string) error {
	err := a.audit.Write(AuditEntry{Time: now, Who: a.key.Comment, Fingerprint: a.key.Fingerprint,
		Action: action, Vehicle: vehicle, Result: result})
	if err != nil {
		a.log.Error("audit", "who", a.key.Comment, "fingerprint", a.key.Fingerprint, "action", action, "err", err)
	}
	return err
}

// outcome is an action's result as the audit says it: "ok", "refused: …" for a read the rules did not allow, or the
// error.
func outcome(err error) string {
	var na *ledger.NotAllowedError
	switch {
	case err == nil:
		return "ok"
	case !errors.As(err, &na):
		return err.Error()
	case na.Stopped != "":
		return "refused: reads stopped: " + na.Stopped
	case na.Next.IsZero():
		return "refused: asleep, no read until it wakes"
	}
	return "refused: next read allowed at " + na.Next.UTC().Format(time.RFC3339)
}
