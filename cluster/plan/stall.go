package plan

import "time"

// StallAfter is how long a rebalance may go without issuing a table before
// the coordinator says what it is waiting for.
const StallAfter = 10 * time.Second

// Stall notices a rebalance that makes no progress: a stuck transfer, a
// node that does not answer. The zero value is ready. Not safe for
// concurrent use: the control loop owns it.
type Stall struct {
	since  time.Time // first pass without progress; zero while progressing
	logged time.Time
}

// Observe records one rebalance pass at now and reports whether to say
// what the pass waits for (at most once per StallAfter, once it has made
// no progress for StallAfter), and for how long it has not progressed.
func (s *Stall) Observe(now time.Time, progressed bool) (report bool, stuckFor time.Duration) {
	if progressed {
		s.since, s.logged = time.Time{}, time.Time{}
		return false, 0
	}
	if s.since.IsZero() {
		s.since = now
		return false, 0
	}
	if now.Sub(s.since) < StallAfter || now.Sub(s.logged) < StallAfter {
		return false, 0
	}
	s.logged = now
	return true, now.Sub(s.since)
}
