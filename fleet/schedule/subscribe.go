package schedule

import (
	"sync"
)

// subscriber is one Subscribe feed. Updates wait in pending, one per vehicle (a newer update of a vehicle replaces
// the waiting one and keeps its place), and a pump goroutine hands them out in order. So publishing never blocks and
// never loses a vehicle's latest record, and what waits is bounded by the number of vehicles.
type subscriber struct {
	mu      sync.Mutex
	pending map[string]Update
	order   []string      // ids with a pending update, oldest first
	signal  chan struct{} // a pending update arrived
	done    chan struct{} // cancelled
	out     chan Update
}

// Subscribe returns a feed of the scheduler's updates and a function that ends it (and closes the channel). A slow
// subscriber never blocks the scheduler: updates are coalesced per vehicle, so a reader that falls behind gets each
// vehicle's latest update, in the order the vehicles first changed, and never an older one after a newer (at most
// one older update, the one already on its way, comes first).
func (s *Scheduler) Subscribe() (updates <-chan Update, cancel func()) {
	sub := &subscriber{
		pending: map[string]Update{},
		signal:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		out:     make(chan Update),
	}
	s.subMu.Lock()
	s.subs[sub] = struct{}{}
	s.nsubs.Add(1)
	s.subMu.Unlock()
	go sub.pump()
	var once sync.Once
	return sub.out, func() {
		once.Do(func() {
			s.subMu.Lock()
			delete(s.subs, sub)
			s.nsubs.Add(-1)
			s.subMu.Unlock()
			close(sub.done)
		})
	}
}

// publish offers u to every subscriber.
func (s *Scheduler) publish(u Update) {
	if s.nsubs.Load() == 0 {
		return
	}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		sub.offer(u)
	}
}

// publishState publishes a scheduler-wide update (ID "") when the pause, the credential, the error or the
// bucket-limited flag changed since the last one.
func (s *Scheduler) publishState() {
	s.mu.Lock()
	u, changed := s.stateNews()
	s.mu.Unlock()
	if changed {
		s.publish(u)
	}
}

// stateNews returns the scheduler-wide update, and whether it changed since the last one returned. The caller holds
// s.mu and publishes it when it changed.
func (s *Scheduler) stateNews() (Update, bool) {
	changed := s.seq != s.toldSeq || s.limited != s.toldLimited
	s.toldSeq, s.toldLimited = s.seq, s.limited
	return Update{Err: s.lastErr, BucketLimited: s.limited, PausedUntil: s.pausedUntil, Health: s.health()}, changed
}

// offer queues u, replacing the vehicle's pending update if there is one. It never blocks.
func (sub *subscriber) offer(u Update) {
	sub.mu.Lock()
	if _, ok := sub.pending[u.ID]; !ok {
		sub.order = append(sub.order, u.ID)
	}
	sub.pending[u.ID] = u
	sub.mu.Unlock()
	select {
	case sub.signal <- struct{}{}:
	default:
	}
}

// take removes and returns the oldest pending update.
func (sub *subscriber) take() (Update, bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if len(sub.order) == 0 {
		return Update{}, false
	}
	id := sub.order[0]
	sub.order = sub.order[1:]
	u := sub.pending[id]
	delete(sub.pending, id)
	return u, true
}

// pump hands pending updates to the subscriber until it cancels, then closes its channel.
func (sub *subscriber) pump() {
	defer close(sub.out)
	for {
		u, ok := sub.take()
		if !ok {
			select {
			case <-sub.signal:
				continue
			case <-sub.done:
				return
			}
		}
		select {
		case sub.out <- u:
		case <-sub.done:
			return
		}
	}
}
