package serve

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/fleet/smartcar/fakeserver"
)

func mustAudit(t *testing.T) *Audit {
	t.Helper()
	a, err := OpenAudit(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// readAudit returns every entry of the audit log at path.
func readAudit(t *testing.T, path string) []AuditEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := ReadAudit(f, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestOutcome(t *testing.T) {
	next := time.Date(2026, 11, 27, 17, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "ok", err: nil, want: "ok"},
		{name: "budget", err: &ledger.NotAllowedError{ID: "v", Next: next}, want: "refused: next read allowed at 2026-11-27T16:00:00Z"},
		{name: "joined", err: errors.Join(&ledger.NotAllowedError{ID: "v", Next: next}), want: "refused: next read allowed at 2026-11-27T16:00:00Z"},
		{name: "asleep", err: &ledger.NotAllowedError{ID: "v"}, want: "refused: asleep, no read until it wakes"},
		{name: "stopped", err: &ledger.NotAllowedError{ID: "v", Stopped: "connection revoked"}, want: "refused: reads stopped: connection revoked"},
		{name: "other", err: errors.New("signals: 502 bad gateway"), want: "signals: 502 bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outcome(tt.err); got != tt.want {
				t.Errorf("outcome(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// TestActorAuditsEveryRead: a read that spends the budget and one the rules refuse are both written, with who,
// fingerprint, vehicle and result.
func TestActorAuditsEveryRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	audit, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	key := Key{Role: Operator, Comment: "alice@laptop", Fingerprint: "SHA256:alice"}
	a := actor{f: configFleet(), key: key, audit: audit, log: slog.New(slog.DiscardHandler)}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	if _, err := a.Read(context.Background(), "v-van", now); err != nil {
		t.Fatalf("first read: %v", err)
	}
	_, err = a.Read(context.Background(), "v-van", now.Add(time.Minute))
	if !errors.Is(err, ledger.ErrNotAllowed) {
		t.Fatalf("second read = %v, want ErrNotAllowed", err)
	}
	got := readAudit(t, path)
	want := []AuditEntry{
		{Time: now, Who: "alice@laptop", Fingerprint: "SHA256:alice", Action: AuditRead, Vehicle: "v-van", Result: "ok"},
		{Time: now.Add(time.Minute), Who: "alice@laptop", Fingerprint: "SHA256:alice", Action: AuditRead,
			Vehicle: "v-van", Result: "refused: next read allowed at 2026-11-27T09:30:00Z"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Who != want[i].Who || got[i].Fingerprint != want[i].Fingerprint ||
			got[i].Action != want[i].Action || got[i].Vehicle != want[i].Vehicle || got[i].Result != want[i].Result {
			t.Errorf("audit[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestActorAuditsConnectAndKeyCheck: onboarding writes a connect per vehicle added and a key-check with the badge
// the read taught; a failed connect is audited too.
func TestActorAuditsConnectAndKeyCheck(t *testing.T) {
	f, fake := liveFleet(t, keyless("veh-keyless"))
	yes := true
	fake.SetCar(fakeserver.Car{VehicleID: "veh-new", UserID: "user-new", Make: "TESLA", Model: "Model Y", Year: 2024,
		VIN: "7SAYGDEE9RA204613", KeyPaired: &yes, Battery: 90})
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	audit, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	key := Key{Role: Operator, Comment: "alice@laptop", Fingerprint: "SHA256:a"}
	a := actor{f: f, key: key, audit: audit, log: slog.New(slog.DiscardHandler)}
	ctx, now := context.Background(), time.Now()
	if _, err := a.AddUser(ctx, "user-new", "", now); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if _, err := a.Confirm(ctx, "veh-new", now); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	onConfig := actor{f: configFleet(), key: key, audit: audit, log: slog.New(slog.DiscardHandler)}
	if _, err := onConfig.AddUser(ctx, "user-1", "", now); !errors.Is(err, fleet.ErrNoLiveSource) {
		t.Errorf("AddUser on the config source = %v, want ErrNoLiveSource", err)
	}
	var got []string
	for _, e := range readAudit(t, path) {
		got = append(got, e.Action+" "+e.Vehicle+": "+e.Result)
	}
	want := []string{"connect veh-new: ok", "key-check veh-new: ok: key-installed", "connect : " + fleet.ErrNoLiveSource.Error()}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
