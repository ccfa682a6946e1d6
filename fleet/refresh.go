package fleet

import (
	"context"
	"fmt"
	"time"

	"fleetkey/fleet/schedule"
)

// pageTimeout bounds one page of the listing: a page that hangs ends the refresh, not the process.
const pageTimeout = 30 * time.Second

// showEvery bounds how often a paged refresh redraws the fleet between pages (each redraw costs O(fleet)).
const showEvery = 2 * time.Second

// Pager lists the connected vehicles one page — one request of the app-wide bucket — at a time, newest first.
type Pager interface {
	Next(ctx context.Context) ([]schedule.RemoteVehicle, error)
	Done() bool
	Progress() (got, total int) // total is -1 when the API does not say
}

// pagedAPI is an API that can list page by page.
type pagedAPI interface{ Pages() Pager }

// ListStatus says how far the shown listing is: when it was fetched, whether it is the ledger's kept copy of an
// earlier refresh, and how far the refresh under way got.
type ListStatus struct {
	At    time.Time
	Stale bool // the rows are (partly) the kept copy: the refresh has not ended
	Got   int  // vehicles the refresh under way has listed so far
	Total int  // how many the API says there are; -1 when it does not say
	Err   error
}

// Progress returns how far the refresh got: "listing 3 400 of 100 000", or "" when it is not under way.
func (l ListStatus) Progress() string {
	switch {
	case !l.Stale || l.Got == 0: // nothing listed yet: the kept listing is what shows
		return ""
	case l.Total >= 0:
		return fmt.Sprintf("listing %d of %d", l.Got, l.Total)
	}
	return fmt.Sprintf("listing %d", l.Got)
}

// RefreshPaced is Refresh for a process that shows the kept listing meanwhile (a console, serve): each page waits
// for its token of the app-wide bucket, so 100 000 vehicles (1 000 pages) list over hours without starving the
// reads, and the rows come as the pages do. Without a paging API it is Refresh.
// A refresh that stopped early (Refresh found the bucket empty) goes on where it stopped.
func (f *Fleet) RefreshPaced(ctx context.Context, now time.Time) error {
	pa, ok := f.api.(pagedAPI)
	if !ok || f.sched == nil {
		return f.Refresh(ctx, now)
	}
	f.mu.Lock()
	r := f.resume
	f.resume = nil
	f.mu.Unlock()
	if r == nil {
		r = newResumable(pa.Pages(), now)
	}
	return f.refreshPaged(ctx, r, true)
}

// resumable is a paged refresh under way: its pager, its start and what it got so far.
type resumable struct {
	p     Pager
	at    time.Time
	got   []schedule.RemoteVehicle
	first int // the total the first page gave (-1 when it gave none); -2 before it came
}

// newResumable starts a paged refresh at at.
func newResumable(p Pager, at time.Time) *resumable { return &resumable{p: p, at: at, first: -2} }

// sure says a finished refresh saw the whole fleet: its total did not change while it paged (pages are by number, so
// a vehicle removed meanwhile shifts another onto a page already read) and it got that many. Otherwise the kept
// vehicles it did not see stay, until a refresh is sure.
func (r *resumable) sure() bool {
	got, total := r.p.Progress()
	return total == r.first && (total < 0 || got >= total)
}

// refreshPaged lists the vehicles page by page from r: each page counts against the scheduler's copy of the
// app-wide bucket first (see token) and has pageTimeout. Pages are
// kept in the ledger as they come and drawn (at most every showEvery) over the kept listing, which stays, marked
// stale, for the vehicles not listed yet. A refresh that stops early says how far it got in its error.
func (f *Fleet) refreshPaged(ctx context.Context, r *resumable, wait bool) error {
	kept, _, err := f.kept()
	if err != nil {
		return err
	}
	shown := time.Time{}
	for !r.p.Done() {
		if err := f.token(ctx, r.at, wait); err != nil {
			return f.stopped(r, kept, err)
		}
		pctx, cancel := context.WithTimeout(ctx, pageTimeout)
		page, err := r.p.Next(pctx)
		cancel()
		if err != nil {
			return f.stopped(r, kept, err)
		}
		r.got = append(r.got, page...)
		if r.first == -2 {
			_, r.first = r.p.Progress()
		}
		if err := f.keepPage(page, r.at, r.p.Done() && r.sure()); err != nil {
			return f.stopped(r, kept, err)
		}
		if !r.p.Done() && time.Since(shown) >= showEvery {
			f.showPartial(r, kept, nil, true)
			shown = time.Now()
		}
	}
	f.mu.Lock()
	f.resume = nil // an older refresh that stopped is behind this one: resuming it would show its rows again
	f.mu.Unlock()
	if !r.sure() {
		got, total := r.p.Progress()
		f.showPartial(r, kept, fmt.Errorf("the fleet changed while it was listed (%d listed, %s at the start, %s at "+
			"the end): vehicles it did not see are kept until a refresh sees the whole fleet", got,
			totalText(r.first), totalText(total)), false)
		return nil
	}
	return f.show(r.got, r.at, false, nil)
}

// token counts one page against the scheduler's copy of the app-wide bucket. With wait it takes a token, waiting
// for one in real time; without, it spends one at now even from an empty bucket (the page is sent anyway, and the
// API's own 429 is what stops a listing too large for the bucket).
func (f *Fleet) token(ctx context.Context, now time.Time, wait bool) error {
	if !wait {
		f.sched.Spend(now, 1)
		return nil
	}
	for {
		ok, next := f.sched.Take(time.Now())
		if ok {
			return nil
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// stopped shows what a refresh that stopped early got, over the kept listing, keeps it to be resumed, and returns
// why it stopped.
func (f *Fleet) stopped(r *resumable, kept []schedule.RemoteVehicle, why error) error {
	n, total := r.p.Progress()
	err := fmt.Errorf("list vehicles: stopped after %d of %s: %w", n, totalText(total), why)
	f.showPartial(r, kept, err, true)
	f.mu.Lock()
	f.resume = r
	f.mu.Unlock()
	return err
}

func totalText(total int) string {
	if total < 0 {
		return "an unknown number"
	}
	return fmt.Sprint(total)
}

// showPartial draws the pages listed so far, then the kept vehicles they have not reached, marked stale.
func (f *Fleet) showPartial(r *resumable, kept []schedule.RemoteVehicle, err error, stale bool) {
	seen := make(map[string]bool, len(r.got))
	all := make([]schedule.RemoteVehicle, 0, max(len(kept), len(r.got)))
	for _, v := range r.got {
		seen[v.ID] = true
		all = append(all, v)
	}
	for _, v := range kept {
		if !seen[v.ID] {
			all = append(all, v)
		}
	}
	n, total := r.p.Progress()
	f.mu.Lock()
	f.listing.Got, f.listing.Total = n, total
	at := r.at
	if len(r.got) == 0 {
		at = f.listing.At // only the kept listing is on show: its own time
	}
	f.mu.Unlock()
	_ = f.show(all, at, stale, err) // a ledger that cannot be read now shows at the next page
}
