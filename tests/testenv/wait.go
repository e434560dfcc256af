package testenv

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Poll intervals of Until: the first poll comes quickly, later ones back off
// so that a long wait does not keep a shared machine busy.
const (
	firstPoll = 5 * time.Millisecond
	maxPoll   = 100 * time.Millisecond
)

// permanent marks a condition's error that waiting longer cannot cure.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent wraps err so that Until stops waiting at once and returns it:
// a condition that can no longer become true (the process exited).
func Permanent(err error) error { return permanent{err} }

// Until calls cond until it returns nil or d has passed, and returns nil or
// cond's last error with the time waited; an error wrapped by Permanent
// ends the wait at once. Between two calls it pauses briefly: the pause is
// the poll interval, not a wait on its own.
func Until(d time.Duration, cond func() error) error {
	deadline := time.Now().Add(d)
	pause := firstPoll
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if p := (permanent{}); errors.As(err, &p) {
			return p.error
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not after %v: %w", d, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, maxPoll)
	}
}

// Wait calls cond until it returns nil, or fails the test after d with
// what was awaited and cond's last error.
func Wait(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	if err := Until(d, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// WaitWhy is Wait for a condition that reports what it still waits for:
// why is "" once the condition holds, else the reason, which a failure
// after d reports.
func WaitWhy(t testing.TB, d time.Duration, what string, why func() string) {
	t.Helper()
	Wait(t, d, what, func() error {
		if w := why(); w != "" {
			return errors.New(w)
		}
		return nil
	})
}
