package ui

import (
	"context"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"fleetkey/fleet"
	"fleetkey/policy"
)

// Shared keeps one fleet's rows for every console that shows it (serve's sessions): one goroutine takes the fleet's
// changes, makes each new Rows (sharing what did not change), and leaves it in every console's mailbox, never
// waiting for a console. A session costs its own order and view, not a copy of the fleet.
type Shared struct {
	mu    sync.Mutex
	rows  *Rows
	iv    policy.Intervals
	boxes map[*mailbox]struct{}
}

// maxNews is how much news of the fleet a mailbox keeps for a console that has not taken it: the status line shows
// the latest, the rows show all of it.
const maxNews = 16

// NewShared shows entries and keeps them up to date from changes until ctx ends or changes closes. clock is the
// time a change is judged at.
func NewShared(ctx context.Context, entries []fleet.Entry, iv policy.Intervals, changes <-chan fleet.Change, clock func() time.Time) *Shared {
	s := &Shared{rows: NewRows(entries, iv, clock()), iv: iv, boxes: map[*mailbox]struct{}{}}
	go s.run(ctx, changes, clock)
	return s
}

// Feed is one console's subscription to a Shared: its first rows, and its mailbox for the rest.
type Feed struct {
	rows *Rows
	box  *mailbox
}

// Subscribe gives a console the rows now and its mailbox, removed when ctx ends.
func (s *Shared) Subscribe(ctx context.Context) Feed {
	b := &mailbox{ready: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	s.boxes[b] = struct{}{}
	rows := s.rows
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.boxes, b)
		s.mu.Unlock()
		close(b.done)
	}()
	return Feed{rows: rows, box: b}
}

// run applies each burst of changes as one new Rows.
func (s *Shared) run(ctx context.Context, changes <-chan fleet.Change, clock func() time.Time) {
	for {
		var burst []fleet.Change
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			burst = drain(changes, append(burst, c))
		}
		s.apply(burst, clock())
	}
}

// drain adds the changes already waiting, up to a bound, so a burst of reads makes one Rows.
func drain(changes <-chan fleet.Change, burst []fleet.Change) []fleet.Change {
	for len(burst) < 256 {
		select {
		case c, ok := <-changes:
			if !ok {
				return burst
			}
			burst = append(burst, c)
		default:
			return burst
		}
	}
	return burst
}

// apply makes the Rows after burst and posts it with the news to every mailbox.
func (s *Shared) apply(burst []fleet.Change, now time.Time) {
	rows, full := s.rows, false
	var entries []rowChange
	news := make([]fleet.Change, 0, len(burst))
	for _, c := range burst {
		switch {
		case c.Entries != nil: // a listing: every row again, then the reads after it
			rows, full, entries = rows.listed(c.Entries, now), true, entries[:0]
			c.Entries = []fleet.Entry{} // the news says a listing came; the rows carry it
		case c.Entry.ID != "":
			entries = append(entries, rowChange{e: c.Entry, unsaved: c.Unsaved})
		}
		news = append(news, c)
	}
	rows, changed := rows.with(entries, now)
	s.mu.Lock()
	s.rows = rows
	for b := range s.boxes {
		b.post(rows, changed, full, news)
	}
	s.mu.Unlock()
}

// mailbox holds what one console has not taken yet: the latest rows, the rows changed since the console's own, and
// the latest news. Posting never blocks; a console that falls far behind sorts everything once (full).
type mailbox struct {
	mu      sync.Mutex
	rows    *Rows
	changed []int32
	full    bool
	news    []fleet.Change
	lost    bool          // news was dropped for maxNews
	ready   chan struct{} // holds one signal while there is something to take
	done    chan struct{} // closed when the console's subscription ends
}

func (b *mailbox) post(rows *Rows, changed []int32, full bool, news []fleet.Change) {
	b.mu.Lock()
	b.rows = rows
	switch {
	case full || b.full:
		b.full, b.changed = true, nil
	default:
		b.changed = append(b.changed, changed...)
		if tooMany(len(b.changed), rows.Len()) {
			b.full, b.changed = true, nil
		}
	}
	b.news = append(b.news, news...)
	if n := len(b.news); n > maxNews {
		b.news, b.lost = slices.Delete(b.news, 0, n-maxNews), true
	}
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// feedMsg is what a console takes from its mailbox.
type feedMsg struct {
	rows    *Rows
	changed []int32 // sorted, each once
	full    bool
	news    []fleet.Change
	lost    bool // older news was dropped: the console does not know what it said
	ok      bool // false when the subscription has ended
}

func (b *mailbox) take() feedMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := feedMsg{rows: b.rows, changed: b.changed, full: b.full, news: b.news, lost: b.lost, ok: true}
	b.rows, b.changed, b.full, b.news, b.lost = nil, nil, false, nil, false
	slices.Sort(m.changed)
	m.changed = slices.Compact(m.changed)
	return m
}

// waitFeed waits for the console's mailbox; one command is in flight at a time, re-armed on each message.
func waitFeed(b *mailbox) tea.Cmd {
	if b == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case <-b.ready:
			return b.take()
		case <-b.done:
			return feedMsg{}
		}
	}
}

// fed takes a console's mail: the news into the status line and the header, the rows into the table.
func (m *Model) fed(msg feedMsg) {
	if msg.lost {
		m.whole.lost()
	}
	for _, c := range msg.news {
		m.hearChange(c)
	}
	switch {
	case msg.rows == nil:
	case msg.full:
		m.list.setRows(msg.rows)
	default:
		m.list.apply(msg.rows, msg.changed)
	}
}
