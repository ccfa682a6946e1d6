package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/fleet/connect"
)

// Connector is what the connect pane needs of the fleet: a Connect flow, the user's vehicles added after the
// redirect (no read spent), and the one read the operator confirms per new vehicle.
type Connector interface {
	NewFlow(now time.Time) (*connect.Flow, error)
	AddUser(ctx context.Context, userID, keyURL string, now time.Time) ([]fleet.Entry, error)
	Confirm(ctx context.Context, id string, now time.Time) (fleet.Entry, error)
	Release(id string)
	Entries() ([]fleet.Entry, error)
}

// connectStep is where the onboarding is.
type connectStep int

const (
	stepRedirect connectStep = iota // the Connect link is shown; waiting for the redirect (listener or paste)
	stepListing                     // listing the new user's vehicles
	stepVehicle                     // one new vehicle: its install QR, waiting for the operator's word
	stepReading                     // the confirmed read is in flight
	stepDone                        // every new vehicle handled
)

// connectPane is the onboarding pane.
type connectPane struct {
	flow      *connect.Flow
	step      connectStep
	paste     textinput.Model
	stop      context.CancelFunc // ends the callback listener
	listening bool               // the callback listener runs: the browser can come back to fleetkey
	added     []fleet.Entry      // the new vehicles
	at        int                // the one shown
	outcome   []string           // per new vehicle, what happened
	err       error
}

func newConnect(flow *connect.Flow, stop context.CancelFunc, isDark bool) connectPane {
	ti := textinput.New()
	ti.Prompt = "redirect URL › "
	ti.Placeholder = "paste the whole URL from the browser's address bar"
	ti.CharLimit = 4096
	ti.SetStyles(textinput.DefaultStyles(isDark))
	ti.Focus()
	return connectPane{flow: flow, step: stepRedirect, paste: ti, stop: stop, listening: true}
}

// The onboarding's messages.
type (
	flowStartedMsg struct {
		flow *connect.Flow
		err  error
	}
	// listenedMsg is the end of the callback listener: the flow's answer, which the listener has already accepted
	// (a redirect, or Connect's denial), or why it stopped (the deadline, a port it could not bind).
	listenedMsg struct {
		flow     *connect.Flow
		redirect connect.Redirect
		err      error
	}
	// refusedMsg is a request the listener turned away (another flow's state, say) while it keeps waiting; next
	// waits for the one after it.
	refusedMsg struct {
		flow *connect.Flow
		err  error
		next tea.Cmd
	}
	usersAddedMsg struct {
		added []fleet.Entry
		err   error
	}
	confirmedMsg struct {
		entry fleet.Entry
		err   error
	}
)

// startFlow makes a new Connect flow in a command (the state comes from crypto/rand).
func startFlow(c Connector, now time.Time) tea.Cmd {
	return func() tea.Msg {
		f, err := c.NewFlow(now)
		return flowStartedMsg{flow: f, err: err}
	}
}

// listen runs the flow's callback listener until the flow has its answer, it expires, the listener cannot run, or
// ctx ends (the pane closed, or the paste won): a command for the listener's end, and one for the requests it turns
// away meanwhile.
func listen(ctx context.Context, f *connect.Flow, clock func() time.Time) tea.Cmd {
	ctx, cancel := context.WithCancel(ctx)
	refusals := make(chan error, 4)
	report := func(err error) {
		select {
		case refusals <- err:
		default: // the pane is behind by a few already; it shows the latest it gets
		}
	}
	end := func() tea.Msg {
		defer cancel() // the wait for refusals ends with the listener
		r, err := f.Listen(ctx, clock, report)
		if ctx.Err() != nil {
			return nil
		}
		return listenedMsg{flow: f, redirect: r, err: err}
	}
	return tea.Batch(end, awaitRefusal(ctx, f, refusals))
}

// awaitRefusal waits for the next request the listener turns away, until the listener ends.
func awaitRefusal(ctx context.Context, f *connect.Flow, refusals <-chan error) tea.Cmd {
	return func() tea.Msg {
		select {
		case err := <-refusals:
			return refusedMsg{flow: f, err: err, next: awaitRefusal(ctx, f, refusals)}
		case <-ctx.Done():
			return nil
		}
	}
}

func addUser(c Connector, userID, keyURL string, clock func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		added, err := c.AddUser(ctx, userID, keyURL, clock())
		return usersAddedMsg{added: added, err: err}
	}
}

func confirmRead(c Connector, id string, clock func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		e, err := c.Confirm(ctx, id, clock())
		return confirmedMsg{entry: e, err: err}
	}
}
