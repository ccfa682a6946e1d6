package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/fleet/connect"
	"fleetkey/ui/qr"
	"fleetkey/ui/safe"
)

// connector is the console's onboarding over a loaded live fleet.
type connector struct {
	f   *fleet.Fleet
	cfg connect.Config
}

func (c connector) NewFlow(now time.Time) (*connect.Flow, error) {
	return connect.NewFlow(c.cfg, now)
}
func (c connector) AddUser(ctx context.Context, user, keyURL string, now time.Time) ([]fleet.Entry, error) {
	return c.f.AddUser(ctx, user, keyURL, now)
}
func (c connector) Confirm(ctx context.Context, id string, now time.Time) (fleet.Entry, error) {
	return c.f.Confirm(ctx, id, now)
}
func (c connector) Release(id string)               { c.f.Release(id) }
func (c connector) Entries() ([]fleet.Entry, error) { return c.f.Entries() }

// runConnect is `fleetkey connect`: the Connect link as a QR and as text, the redirect by the loopback listener or
// pasted on stdin, then each new vehicle's install QR and, on the operator's word, its one read. The secret is needed
// only from the listing on, and only then is its absence an error.
func runConnect(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("connect", "", &g, stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || g.readOnly {
		fs.Usage()
		return exitUsage
	}
	path, _ := configPath(g.config)
	cfg, err := config.Load(path)
	if err != nil {
		return fail(stderr, err)
	}
	store, _, err := openLedger(cfg, path, time.Now()) // before the owner is sent through Connect for nothing
	if err != nil {
		return fail(stderr, err)
	}
	store.Close()
	flow, err := connect.NewFlow(cfg.Connect, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	// The QR's colours are settled before the answers are read: the background query reads the terminal too.
	op := operator{out: stdout, qr: printOptions(g.stdin, stdout, false)}
	op.answers = readLines(g.stdin)
	r, err := awaitRedirect(flow, cfg.Connect, op)
	if err != nil {
		return fail(stderr, err)
	}
	g.noListing = true // the new user's car is already connected: list only the user's vehicles, after the redirect
	a, err := loadApp(g, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	return onboard(a, r, op, stderr)
}

// operator is the person at the terminal: where fleetkey writes, the lines they type, and how a QR shows there.
type operator struct {
	out     io.Writer
	answers <-chan string
	qr      qr.PrintOptions
}

// awaitRedirect shows the link and waits for the flow's answer: from the listener, which turns stray requests away
// and keeps waiting, or from a pasted line. Whichever path completes the flow first, its answer is the only one.
func awaitRedirect(flow *connect.Flow, cc connect.Config, op operator) (connect.Redirect, error) {
	w, lines := op.out, op.answers
	fmt.Fprintln(w, "Open this link, or give it to the vehicle's owner (phone: open it; desktop: scan the QR):")
	if err := qr.Write(w, flow.URL(), op.qr); err != nil {
		fmt.Fprintln(w, flow.URL())
	}
	fmt.Fprintf(w, "Waiting for the redirect on %s (over SSH: ssh -L with that port),\nor paste the whole redirect URL here and press Enter:\n", cc.RedirectURI)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended, refusals := listenFor(ctx, flow)
	deadline := time.NewTimer(time.Until(flow.Deadline()))
	defer deadline.Stop()
	for {
		select {
		case res := <-ended:
			if res.err == nil || connect.Ends(res.err) {
				return res.r, res.err
			}
			fmt.Fprintln(w, "listener:", safe.Clean(res.err.Error()), "— paste the redirect URL instead")
			ended = nil
		case err := <-refusals:
			fmt.Fprintln(w, "listener: turned a request away:", safe.Clean(err.Error()),
				"— still waiting for the browser, or paste the redirect URL")
		case <-deadline.C:
			return connect.Redirect{}, connect.ErrExpired
		case line, ok := <-lines:
			if !ok {
				return connect.Redirect{}, errors.New("no redirect: standard input closed")
			}
			r, err := acceptPasted(flow, line)
			switch {
			case err == nil || connect.Ends(err):
				return r, err
			case !errors.Is(err, connect.ErrReused): // reused: the browser came first; ended brings its answer
				fmt.Fprintln(w, safe.Clean(err.Error()))
			}
		}
	}
}

// listenResult is how the callback listener ended.
type listenResult struct {
	r   connect.Redirect
	err error
}

// listenFor runs the flow's callback listener until ctx ends: its end, and the requests it turns away meanwhile (the
// latest few, when the reader falls behind).
func listenFor(ctx context.Context, flow *connect.Flow) (<-chan listenResult, <-chan error) {
	ended, refusals := make(chan listenResult, 1), make(chan error, 4)
	go func() {
		r, err := flow.Listen(ctx, time.Now, func(err error) {
			select {
			case refusals <- err:
			default:
			}
		})
		ended <- listenResult{r, err}
	}()
	return ended, refusals
}

func acceptPasted(flow *connect.Flow, line string) (connect.Redirect, error) {
	r, err := connect.ParseRedirect(line)
	if err != nil {
		return r, err
	}
	return flow.Accept(r, time.Now())
}

// onboard adds the new user's vehicles and, per vehicle that needs a key, shows its QR and reads it once when the
// operator says the owner installed the key.
func onboard(a *app, r connect.Redirect, op operator, stderr io.Writer) int {
	w, lines := op.out, op.answers
	ctx := context.Background()
	added, err := connector{f: a.fleet}.AddUser(ctx, r.UserID, r.VirtualKeyURL, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(w, "Added %d vehicles.\n", len(added))
	for _, e := range added {
		if e.KeyURL == "" {
			fmt.Fprintf(w, "%s: legacy, no virtual key needed\n", safe.Clean(e.Name))
			a.fleet.Release(e.ID)
			continue
		}
		fmt.Fprintf(w, "\n%s (%s %s %d): install the virtual key\n", safe.Clean(e.Name), safe.Clean(e.Make), safe.Clean(e.Model), e.Year)
		_ = qr.Write(w, e.KeyURL, op.qr)
		fmt.Fprint(w, "Phone: open the link. Desktop: scan the QR. Then check on the car: Settings > Locks.\n"+
			"Type y when the owner says the key is installed (one read), or n to skip: ")
		if answer := <-lines; strings.TrimSpace(strings.ToLower(answer)) != "y" {
			a.fleet.Release(e.ID)
			fmt.Fprintln(w, "skipped: not read")
			continue
		}
		got, err := a.fleet.Confirm(ctx, e.ID, time.Now())
		fmt.Fprintln(w, readOutcome(got, err, a.cfg, time.Now()))
	}
	return 0
}

func readOutcome(e fleet.Entry, err error, cfg config.Config, now time.Time) string {
	if err != nil {
		return "read: " + safe.Clean(err.Error())
	}
	s := "badge: " + e.Badge.String()
	if next, ok := e.NextRead(cfg.Intervals, now); ok && e.Badge.String() != "key-installed" {
		s += "; the key is not confirmed; next check allowed at " + next.UTC().Format(time.RFC3339)
	}
	return s
}

// readLines feeds the lines of r, closing the channel at its end.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
