package lock

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Lock is a held distributed lock: its fencing token, its validity, and the
// watchdog goroutine that renews it. The watchdog is owned by the Lock: it
// starts with it and stops on Release, or when the lock is lost (a quorum
// says it is no longer held, or renewals failed until the validity ran
// out); then Lost is closed. Methods are safe for concurrent use.
type Lock struct {
	l      *Locker
	name   string
	holder string
	token  uint64
	ttl    time.Duration

	// ctx is cancelled by Release and by loss: it stops the watchdog and
	// is what Context returns.
	ctx    context.Context
	cancel context.CancelFunc
	lost   chan struct{} // closed once, by markLost
	kick   chan struct{} // capacity 1: tells the watchdog validUntil moved
	done   chan struct{} // closed when the watchdog returned

	mu         sync.Mutex // guards validUntil and released
	validUntil time.Time  // end of validity, on the local monotonic clock
	released   bool
	lostOnce   sync.Once
}

func newLock(l *Locker, name, holder string, token uint64, ttl time.Duration, validUntil time.Time) *Lock {
	ctx, cancel := context.WithCancel(context.Background())
	lk := &Lock{
		l: l, name: name, holder: holder, token: token, ttl: ttl,
		ctx: ctx, cancel: cancel,
		lost: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{}),
		validUntil: validUntil,
	}
	go lk.watch()
	return lk
}

// Name returns the lock's name.
func (lk *Lock) Name() string { return lk.name }

// Token returns the fencing token: strictly greater than the token of every
// earlier holder of this name (exactly so against meshcache, best effort
// against plain Redis). Pass it to the resource the lock protects and have
// the resource refuse tokens lower than the highest it has seen.
func (lk *Lock) Token() uint64 { return lk.token }

// Holder returns the random value identifying this holder on the endpoints.
func (lk *Lock) Holder() string { return lk.holder }

// Validity returns how long the lock is still valid without renewal; zero
// or less once it is not.
func (lk *Lock) Validity() time.Duration {
	lk.mu.Lock()
	defer lk.mu.Unlock()
	return time.Until(lk.validUntil)
}

// Lost returns a channel closed when the lock was lost while not released:
// renewals failed until its validity ran out, or a quorum of endpoints no
// longer knows this holder. Stop using the protected resource then.
func (lk *Lock) Lost() <-chan struct{} { return lk.lost }

// Context returns a context cancelled when the lock is released or lost,
// for work that must not outlive the lock.
func (lk *Lock) Context() context.Context { return lk.ctx }

// Extend renews the lock to its full TTL on the endpoints that still have
// it, and moves its validity forward when a quorum did. It fails with
// ErrExpired if the validity had already run out, ErrNotHeld if the lock was
// released or a quorum no longer has it (the lock is then lost), and
// ErrUnavailable when too few endpoints answered (the lock stays valid
// until its current validity ends; try again).
func (lk *Lock) Extend(ctx context.Context) error {
	err := lk.extend(ctx)
	select {
	case lk.kick <- struct{}{}:
	default:
	}
	return err
}

func (lk *Lock) extend(ctx context.Context) error {
	lk.mu.Lock()
	released, until := lk.released, lk.validUntil
	lk.mu.Unlock()
	switch {
	case released:
		return fmt.Errorf("extend lock %q: %w: released", lk.name, ErrNotHeld)
	case lk.isLost():
		return fmt.Errorf("extend lock %q: %w: lost", lk.name, ErrNotHeld)
	case !time.Now().Before(until):
		lk.markLost()
		return fmt.Errorf("extend lock %q: %w", lk.name, ErrExpired)
	}
	start := time.Now()
	errs := lk.l.each(ctx, lk.ttl, func(ctx context.Context, _ int, b Backend) error {
		return b.Extend(ctx, lk.name, lk.holder, lk.ttl)
	})
	ok, notHeld := tally(errs, ErrNotHeld)
	if ok >= lk.l.quorum {
		validity := Validity(lk.ttl, time.Since(start))
		if validity <= 0 {
			return fmt.Errorf("extend lock %q: %w: extending took %v of ttl %v", lk.name, ErrExpired, time.Since(start), lk.ttl)
		}
		lk.mu.Lock()
		if next := start.Add(validity); next.After(lk.validUntil) {
			lk.validUntil = next
		}
		lk.mu.Unlock()
		return nil
	}
	if notHeld >= lk.l.quorum {
		// A quorum lost this holder (lease expired there, or the endpoint
		// restarted): someone else can take the lock now.
		lk.markLost()
		return fmt.Errorf("extend lock %q: %w: %d of %d endpoints no longer have it", lk.name, ErrNotHeld, notHeld, len(lk.l.backends))
	}
	return fmt.Errorf("extend %w", lk.l.noQuorum(lk.name, "extended", ok, notHeld, ErrNotHeld, errs))
}

// Release stops the watchdog and releases the lock on every endpoint (only
// this holder's lease is deleted). It returns nil when the lock was valid
// until released; ErrNotHeld if it was already released or lost; ErrExpired
// if its validity had run out (the critical section may have overlapped
// another holder's); ErrUnavailable if too few endpoints answered (their
// leases then end with the TTL). If ctx is already done, the release still
// runs under a short timeout of its own.
func (lk *Lock) Release(ctx context.Context) error {
	lk.mu.Lock()
	if lk.released {
		lk.mu.Unlock()
		return fmt.Errorf("release lock %q: %w: already released", lk.name, ErrNotHeld)
	}
	lk.released = true
	lk.mu.Unlock()
	wasLost := lk.isLost()
	lk.cancel()
	<-lk.done

	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	released, errs := lk.l.releaseAll(ctx, lk.name, lk.holder, lk.ttl)
	_, notHeld := tally(errs, ErrNotHeld)

	lk.mu.Lock()
	expired := !time.Now().Before(lk.validUntil)
	lk.mu.Unlock()
	switch {
	case wasLost:
		return fmt.Errorf("release lock %q: %w: it was lost before release", lk.name, ErrNotHeld)
	case expired:
		return fmt.Errorf("release lock %q: %w: validity ran out before release", lk.name, ErrExpired)
	case released+notHeld < lk.l.quorum:
		return fmt.Errorf("release %w", lk.l.noQuorum(lk.name, "released", released, notHeld, ErrNotHeld, errs))
	}
	return nil
}

func (lk *Lock) isLost() bool {
	select {
	case <-lk.lost:
		return true
	default:
		return false
	}
}

// markLost closes Lost (once) and cancels the lock's context, unless the
// lock was released first. Lost closes first, so code woken by the
// context can tell a loss from a release by Lost.
func (lk *Lock) markLost() {
	lk.mu.Lock()
	released := lk.released
	lk.mu.Unlock()
	if released {
		return
	}
	lk.lostOnce.Do(func() {
		close(lk.lost)
		lk.cancel()
	})
}

// watch is the watchdog goroutine. It renews the lock every TTL/3 (when auto
// renewal is on), retries failed renewals every TTL/20, and declares the
// lock lost when its validity passes without a successful renewal. It
// returns when the lock's context is cancelled (Release or loss).
func (lk *Lock) watch() {
	defer close(lk.done)
	renewEvery := lk.ttl / 3
	retryEvery := max(lk.ttl/20, time.Millisecond)
	nextRenew := time.Now().Add(renewEvery)
	for {
		lk.mu.Lock()
		until := lk.validUntil
		lk.mu.Unlock()
		wake := until
		if lk.l.autoRenew && nextRenew.Before(wake) {
			wake = nextRenew
		}
		t := time.NewTimer(time.Until(wake))
		select {
		case <-lk.ctx.Done():
			t.Stop()
			return
		case <-lk.kick:
			t.Stop()
			continue
		case <-t.C:
		}
		lk.mu.Lock()
		until = lk.validUntil
		lk.mu.Unlock()
		if !time.Now().Before(until) {
			lk.l.log.Warn("lock lost: validity ran out before a renewal succeeded", "lock", lk.name, "token", lk.token)
			lk.markLost()
			return
		}
		if !lk.l.autoRenew || time.Now().Before(nextRenew) {
			continue
		}
		err := lk.extend(lk.ctx)
		switch {
		case err == nil:
			nextRenew = time.Now().Add(renewEvery)
		case lk.ctx.Err() != nil:
			return
		case lk.isLost():
			// A quorum refused (or validity ran out): extend marked it.
			// A refusal short of a quorum is not a loss: the lease still
			// holds where it was granted, so retry until validity ends.
			lk.l.log.Warn("lock lost", "lock", lk.name, "token", lk.token, "err", err)
			return
		default:
			lk.l.log.Warn("lock renewal failed; retrying", "lock", lk.name, "token", lk.token, "err", err)
			nextRenew = time.Now().Add(retryEvery)
		}
	}
}
