package ui

import (
	"fleetkey/fleet/schedule"
	"fleetkey/ui/safe"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// retrier is what a Reader may also do: try at once what the fleet retries on a backoff (a refused credential, an
// unreachable API, answers not saved). *fleet.Fleet does.
type retrier interface{ Retry() }

// troubled says the fleet's reads are stopped or held as a whole.
func troubled(h schedule.Health) bool { return h.CredentialsRefused || h.Unreachable || h.Unsaved > 0 }

// canRetry says K applies: there is trouble, a Reader that can retry, and the console may change things.
func (m *Model) canRetry() bool {
	_, ok := m.opts.Reader.(retrier)
	return ok && !m.opts.ReadOnly && troubled(m.health)
}

// healthText is the header's account of the trouble, for as long as it lasts, with when the fleet tries again by
// itself: "credential refused — retry in 1m00s (K retries now)". "" when there is none.
func (m *Model) healthText() string {
	h := m.health
	var parts []string
	if h.CredentialsRefused {
		parts = append(parts, "credential refused"+m.retryIn())
	}
	if h.Unreachable {
		parts = append(parts, "smartcar unreachable"+m.retryIn())
	}
	switch {
	case h.Unsaved == 1:
		parts = append(parts, "1 answer not saved: vehicle held")
	case h.Unsaved > 1:
		parts = append(parts, fmt.Sprintf("%d answers not saved: vehicles held", h.Unsaved))
	}
	s := strings.Join(parts, " · ")
	if s != "" && m.canRetry() {
		s += " (K retries now)"
	}
	return s
}

// retryIn is " — retry in 30s", " — retrying" once that time has come, or "" when the fleet gave none.
func (m *Model) retryIn() string {
	switch at := m.health.RetryAt; {
	case at.IsZero():
		return ""
	case at.After(m.now):
		return " — retry in " + countdown(at.Sub(m.now))
	}
	return " — retrying"
}

// retry asks the fleet, in a command, to try at once what waits on a backoff; the outcome comes with the changes.
func (m *Model) retry() tea.Cmd {
	rt, ok := m.opts.Reader.(retrier)
	if !ok || !m.canRetry() {
		return nil
	}
	m.status = m.news("retrying now: "+strings.TrimSuffix(m.healthText(), " (K retries now)"), false)
	return func() tea.Msg {
		rt.Retry()
		return nil
	}
}

// syncKeys enables the keys that depend on the data, the clock or a running batch, so the help stays truthful: R
// while some unknown vehicle may be read now, esc to stop R's reads while they run, K while there is trouble to retry.
// It bumps the revision when the help changes.
func (m *Model) syncKeys() {
	k := &m.keys
	before := [...]bool{k.ReadUnknown.Enabled(), k.StopReads.Enabled(), k.Retry.Enabled(), k.Unfilter.Enabled()}
	pane := m.focus
	if pane == focusHelp {
		pane = m.back
	}
	list, busy := pane == focusList, m.batch.active()
	k.ReadUnknown.SetEnabled(list && !m.opts.ReadOnly && !busy && m.list.rows.unknown.upTo(m.now) > 0)
	k.StopReads.SetEnabled(list && busy)
	k.Retry.SetEnabled(m.canRetry())
	if list {
		k.Unfilter.SetEnabled(m.list.filter != "" && !busy)
	}
	if before != [...]bool{k.ReadUnknown.Enabled(), k.StopReads.Enabled(), k.Retry.Enabled(), k.Unfilter.Enabled()} {
		m.touch()
	}
}

// sharing is the header's word on the processes sharing the ledger: who schedules the automatic reads, and whether
// the rows are the kept listing of an earlier start. "" when there is nothing to say (a fleet without a scheduler).
func (m *Model) sharing() string {
	var parts []string
	switch h := m.health; {
	case h.Following && h.Leader != "":
		parts = append(parts, "scheduled by "+safe.Clean(h.Leader))
	case h.Following:
		parts = append(parts, "no scheduler")
	case h.Leader != "":
		parts = append(parts, "scheduling here")
	}
	if l := m.opts.Listing; l.Stale {
		if p := l.Progress(); p != "" {
			parts = append(parts, p) // a refresh under way: its pages over the kept listing
		} else {
			parts = append(parts, "kept listing of "+l.At.Local().Format("Jan 2 15:04")+" (stale)")
		}
	}
	return strings.Join(parts, " · ")
}
