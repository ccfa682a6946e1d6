package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
)

// Connector is what the connect pane needs of the fleet: a Connect flow, the user's vehicles added after the
// redirect (no read spent), and the one read the operator confirms per new vehicle.
type Connector interface {
	NewFlow(now time.Time) (*fleet.ConnectFlow, error)
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

// connect is the onboarding pane.
type connect struct {
	flow    *fleet.ConnectFlow
	step    connectStep
	paste   textinput.Model
	stop    context.CancelFunc // ends the callback listener
	added   []fleet.Entry      // the new vehicles
	at      int                // the one shown
	outcome []string           // per new vehicle, what happened
	err     error
}

func newConnect(flow *fleet.ConnectFlow, stop context.CancelFunc, isDark bool) connect {
	ti := textinput.New()
	ti.Prompt = "redirect URL › "
	ti.Placeholder = "paste the whole URL from the browser's address bar"
	ti.CharLimit = 4096
	ti.SetStyles(textinput.DefaultStyles(isDark))
	ti.Focus()
	return connect{flow: flow, step: stepRedirect, paste: ti, stop: stop}
}

// The onboarding's messages.
type (
	flowStartedMsg struct {
		flow *fleet.ConnectFlow
		err  error
	}
	redirectMsg struct {
		flow     *fleet.ConnectFlow
		redirect fleet.Redirect
		err      error
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

// listen runs the callback listener until the redirect arrives, the flow expires, or ctx ends (the paste won).
func listen(ctx context.Context, f *fleet.ConnectFlow, clock func() time.Time) tea.Cmd {
	return func() tea.Msg {
		r, err := f.Listen(ctx, clock, nil)
		if ctx.Err() != nil {
			return nil
		}
		return redirectMsg{flow: f, redirect: r, err: err}
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
