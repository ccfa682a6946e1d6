package ui

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"fleetkey/fleet"
	"fleetkey/policy"
)

// TestSharedNeverWaitsForAConsole: one console takes its mail after every change, another never does until the end.
// Every change is taken by the Shared without waiting (the feed is unbuffered), and both consoles end with exactly
// the order of sorting the last rows, the stalled one from one coalesced mail.
func TestSharedNeverWaitsForAConsole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entries := bigFleet(2000)
	changes := make(chan fleet.Change)
	s := NewShared(ctx, entries, policy.DefaultIntervals(), changes, func() time.Time { return testNow })
	live, stalled := s.Subscribe(ctx), s.Subscribe(ctx)
	lists := []list{newList(live.rows, testNow), newList(stalled.rows, testNow)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		c := randomChange(rng, entries, testNow)
		changes <- fleet.Change{Entry: c.e, Unsaved: c.unsaved}
		msg := waitFeed(live.box)().(feedMsg)
		lists[0].applyMsg(msg)
	}
	changes <- fleet.Change{} // news of the scheduler alone: it passes once the last change has been applied
	lists[0].applyMsg(waitFeed(live.box)().(feedMsg))
	msg := waitFeed(stalled.box)().(feedMsg)
	if len(msg.news) > maxNews {
		t.Errorf("the stalled console's mail holds %d news, want at most %d", len(msg.news), maxNews)
	}
	lists[1].applyMsg(msg)
	s.mu.Lock()
	last := s.rows
	s.mu.Unlock()
	for i, l := range lists {
		if l.rows != last {
			t.Fatalf("console %d shows an older Rows than the Shared's", i)
		}
		if sorted, _ := wantOrder(&l); !slices.Equal(l.sorted, sorted) {
			t.Errorf("console %d's order differs from sorting the last rows", i)
		}
	}
}

// applyMsg is what Model.fed does to the rows.
func (l *list) applyMsg(msg feedMsg) {
	switch {
	case msg.rows == nil:
	case msg.full:
		l.setRows(msg.rows)
	default:
		l.apply(msg.rows, msg.changed)
	}
}

// TestSharedListing: a listing in a burst replaces every row, and the consoles sort everything once.
func TestSharedListing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan fleet.Change)
	s := NewShared(ctx, testEntries(), policy.DefaultIntervals(), changes, func() time.Time { return testNow })
	feed := s.Subscribe(ctx)
	m := newTestModel(t, 100, 30, Options{Feed: feed, Records: noRecords{}})
	bigger := append(testEntries(), bigFleet(3)...)
	changes <- fleet.Change{Entries: bigger, Listing: fleet.ListStatus{}}
	m = update(t, m, waitFeed(feed.box)())
	if n := m.list.rows.Len(); n != len(bigger) {
		t.Fatalf("after the listing the console shows %d vehicles, want %d", n, len(bigger))
	}
	mustContain(t, screen(m), "9 vehicles", "Depot 2 – van 2")
}

// TestSubscriptionEnds: a session's end removes its mailbox, and its waiting command returns.
func TestSubscriptionEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewShared(ctx, testEntries(), policy.DefaultIntervals(), make(chan fleet.Change), time.Now)
	sess, end := context.WithCancel(ctx)
	feed := s.Subscribe(sess)
	end()
	if msg := waitFeed(feed.box)().(feedMsg); msg.ok {
		t.Fatal("the ended subscription's command returned mail")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.boxes) != 0 {
		t.Errorf("%d mailboxes remain after their session ended", len(s.boxes))
	}
}

// noRecords loads nothing: the detail pane says it cannot.
type noRecords struct{}

func (noRecords) Entry(id string) (fleet.Entry, error) { return fleet.Entry{}, context.Canceled }
