package serve

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	bm "charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/ui"
	"fleetkey/ui/safe"
)

// goodbye is the closing line of every console when the server stops.
const goodbye = "fleetkey: the server is stopping; goodbye"

// console runs the session's own console until the user quits, the client goes, the session idles out or the server
// stops; in the last two cases it says why and exits 0.
func (s *Server) console(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		k, _ := keyOf(sess.Context())
		ctx, cancel := context.WithCancel(sess.Context()) // one session's: a connection may carry several
		defer cancel()
		m, err := s.model(ctx, sess, k)
		if err != nil {
			s.d.Log.Error("console", "who", k.Comment, "fingerprint", k.Fingerprint, "err", err)
			refuse(sess, "fleetkey: "+safe.Clean(err.Error()))
			return
		}
		in := newInput(sess)
		opts := append(bm.MakeOptions(sess), tea.WithInput(in), tea.WithoutSignalHandler())
		if noColour(sess.Environ()) { // colorprofile honours only NO_COLOR=1/true; no-color.org says any value
			opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
		}
		p := tea.NewProgram(m, opts...)
		why := s.watch(ctx, p, in)
		if err := run(ctx, sess, p); err != nil {
			s.d.Log.Warn("console", "who", k.Comment, "fingerprint", k.Fingerprint, "err", err)
		}
		if c := why(); c.msg != "" {
			farewell(sess, c)
		}
		next(sess)
	}
}

// run runs p on the session until it ends, as Wish's Bubble Tea middleware does, with the session's sizes (already
// clamped, and never blocking the SSH library: see sized) and the notices of their clamping handed to the program.
// p.Send blocks while the program is stalled, its output waiting for a client that reads nothing; only this
// goroutine waits then, and p.Send returns once the program has ended.
func run(ctx context.Context, sess ssh.Session, p *tea.Program) error {
	_, winch, _ := sess.Pty() // never nil: needTerminal let only PTY sessions through
	notes := notices(sess)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case w, ok := <-winch:
				if !ok {
					winch = nil // the session's requests have ended; the notes may still have one
					continue
				}
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			case n := <-notes:
				p.Send(ui.Notice(n))
			}
		}
	}()
	_, err := p.Run()
	p.Kill()
	return err
}

// model builds the session's console: a viewer's is read-only with no Reader and no Connector, so no request for a
// read can leave for it; an operator's reads and onboarding go through the audit.
func (s *Server) model(ctx context.Context, sess ssh.Session, k Key) (tea.Model, error) {
	rows, err := s.sharedRows()
	if err != nil {
		return nil, err
	}
	who := k.Comment
	if who == "" {
		who = k.Fingerprint
	}
	label := who + " (" + k.Role.String() + ")"
	if s.d.Label != "" {
		label = s.d.Label + " · " + label
	}
	opts := ui.Options{Feed: rows.Subscribe(ctx), Intervals: s.d.Intervals, Label: label, ReadOnly: k.Role != Operator,
		Records: s.d.Fleet, NoColour: noColour(sess.Environ()), AltScreen: true, Clock: s.d.Clock,
		Now: s.d.Clock()}
	if k.Role == Operator {
		a := actor{f: s.d.Fleet, key: k, audit: s.d.Audit, connect: s.d.Connect, log: s.d.Log}
		opts.Reader = a
		if s.d.Connect != nil {
			opts.Connector = a
		}
	}
	return ui.New(opts), nil
}

// watch ends the program when the server stops, the session has had no input for IdleTimeout or its input went
// past the limits, and returns what tells why (empty when none happened, e.g. the user quit).
func (s *Server) watch(ctx context.Context, p *tea.Program, in *input) (why func() closing) {
	var mu sync.Mutex
	var reason closing
	end := func(c closing) {
		mu.Lock()
		reason = c
		mu.Unlock()
		p.Quit()
	}
	t := s.cfg.IdleTimeout
	var timer *time.Timer
	var idle <-chan time.Time // nil, so never ready, without an idle timeout
	if t > 0 {
		timer = time.NewTimer(t)
		idle = timer.C
	}
	go func() {
		if timer != nil {
			defer timer.Stop()
		}
		for {
			select {
			case <-ctx.Done(): // the client went, or the program ended
				p.Quit()
				return
			case <-s.stopping.Done():
				end(closing{msg: goodbye})
				return
			case msg := <-in.abused:
				s.d.Log.Warn("session ended: input past the limits", "fingerprint", fingerprintOf(ctx), "why", msg)
				end(closing{msg: msg, status: 1})
				return
			case <-idle:
				if left := t - in.since(); left > 0 {
					timer.Reset(left)
					continue
				}
				end(closing{msg: "fleetkey: no key pressed for " + short(t) + "; goodbye"})
				return
			}
		}
	}()
	return func() closing {
		mu.Lock()
		defer mu.Unlock()
		return reason
	}
}

// fingerprintOf is the fingerprint of the key the connection of ctx was authorized as.
func fingerprintOf(ctx context.Context) string {
	k, _ := keyOf(ctx)
	return k.Fingerprint
}

// closing is why the server ended a console, and the session's exit status.
type closing struct {
	msg    string
	status int
}

// farewell ends a session that the server ends, with c's message on its own line of the console's output.
func farewell(sess ssh.Session, c closing) {
	_, _ = fmt.Fprint(sess, eol(sess)+c.msg+eol(sess))
	_ = sess.Exit(c.status)
}

// short formats d without its zero tail: "30m", "1h", "1m30s".
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// noColour reports whether the session's environment sets NO_COLOR to anything.
func noColour(env []string) bool {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			return true
		}
	}
	return false
}

// sharedRows are the rows every session shows: made on the first session's start from the fleet, then kept up to
// date from its changes until the server stops. A fleet that cannot be loaded is tried again by the next session.
func (s *Server) sharedRows() (*ui.Shared, error) {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if s.rows != nil {
		return s.rows, nil
	}
	ctx, cancel := context.WithCancel(s.stopping)
	changes := s.d.Fleet.Changes(ctx) // before the entries, so no change between the two is lost
	entries, err := s.d.Fleet.Entries()
	if err != nil {
		cancel()
		return nil, err
	}
	s.rows, s.rowsStop = ui.NewShared(ctx, entries, s.d.Intervals, changes, s.d.Clock), cancel
	return s.rows, nil
}

// stopRows ends the shared rows' feed, if a session made them.
func (s *Server) stopRows() {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if s.rowsStop != nil {
		s.rowsStop()
	}
}
