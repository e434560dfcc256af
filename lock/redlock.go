package lock

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of a Locker's options.
const (
	DefaultRetryMin = 20 * time.Millisecond
	DefaultRetryMax = 200 * time.Millisecond
	// releaseTimeout bounds the cleanup release after a failed attempt or a
	// Release whose context is already done.
	releaseTimeout = time.Second
)

// Option configures a Locker.
type Option func(*Locker)

// WithRetryDelay sets the range of the random pause between two acquisition
// attempts (Redlock's random backoff, which keeps contending clients from
// retrying in lockstep).
func WithRetryDelay(min, max time.Duration) Option {
	return func(l *Locker) { l.retryMin, l.retryMax = min, max }
}

// WithEndpointTimeout bounds every call to one endpoint. It should be small
// next to the TTL so that a dead endpoint does not eat the validity; the
// default is TTL/10, between 10ms and 1s.
func WithEndpointTimeout(d time.Duration) Option {
	return func(l *Locker) { l.endpointTimeout = d }
}

// WithoutAutoRenew turns off the watchdog's renewals: locks then last their
// TTL unless extended with Lock.Extend, and Lost is closed when their
// validity passes.
func WithoutAutoRenew() Option {
	return func(l *Locker) { l.autoRenew = false }
}

// WithLogger sets where the watchdog logs failed renewals (default
// slog.Default()).
func WithLogger(log *slog.Logger) Option {
	return func(l *Locker) { l.log = log }
}

// Locker runs Redlock with fencing tokens over N independent endpoints: a
// lock is held when a quorum (N/2+1) granted it and confirmed its token, and
// for validity = TTL - elapsed - drift, drift = TTL/100 + 2ms. A Locker is
// safe for concurrent use; it owns its backends (Close closes them).
type Locker struct {
	backends        []Backend
	quorum          int
	retryMin        time.Duration
	retryMax        time.Duration
	endpointTimeout time.Duration // 0: derived from each lock's TTL
	autoRenew       bool
	log             *slog.Logger
}

// New returns a Locker over backends, which must be independent (no
// replication between them) for the quorum to mean anything.
func New(backends []Backend, opts ...Option) (*Locker, error) {
	if len(backends) == 0 {
		return nil, errors.New("lock: no backends")
	}
	l := &Locker{
		backends:  backends,
		quorum:    Quorum(len(backends)),
		retryMin:  DefaultRetryMin,
		retryMax:  DefaultRetryMax,
		autoRenew: true,
		log:       slog.Default(),
	}
	for _, o := range opts {
		o(l)
	}
	if l.retryMin < 0 || l.retryMax < l.retryMin {
		return nil, fmt.Errorf("lock: bad retry delay range [%v, %v]", l.retryMin, l.retryMax)
	}
	return l, nil
}

// Close closes every backend.
func (l *Locker) Close() error {
	var errs []error
	for _, b := range l.backends {
		if err := b.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", b, err))
		}
	}
	return errors.Join(errs...)
}

// Quorum is the number of endpoints out of n that make a majority: n/2+1.
func Quorum(n int) int { return n/2 + 1 }

// Drift is Redlock's allowance for clock drift between the client and the
// endpoints over a lease of ttl: 1% of the TTL plus 2ms.
func Drift(ttl time.Duration) time.Duration { return ttl/100 + 2*time.Millisecond }

// Validity is how long a lock of ttl may be trusted once acquiring it took
// elapsed: ttl - elapsed - Drift(ttl). Zero or less means not at all.
func Validity(ttl, elapsed time.Duration) time.Duration { return ttl - elapsed - Drift(ttl) }

func (l *Locker) callTimeout(ttl time.Duration) time.Duration {
	if l.endpointTimeout > 0 {
		return l.endpointTimeout
	}
	return min(max(ttl/10, 10*time.Millisecond), time.Second)
}

// Acquire takes the lock name for ttl, retrying with random backoff while it
// is taken or no quorum answers, until ctx is done. ctx bounds only the
// acquisition; stop the returned lock with Release. The error wraps
// ErrTaken, ErrUnavailable or ErrExpired (the last attempt's verdict) and,
// when ctx ended the wait, ctx.Err().
func (l *Locker) Acquire(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	var last error // the last attempt that ended on its own
	for {
		lk, err := l.TryAcquire(ctx, name, ttl)
		if err == nil {
			return lk, nil
		}
		if ctx.Err() != nil {
			// The deadline cut this attempt short: the previous one says
			// why the lock was not had (taken, most often).
			if last == nil {
				last = err
			}
			if errors.Is(last, ctx.Err()) {
				return nil, last
			}
			return nil, fmt.Errorf("%w: %w", last, ctx.Err())
		}
		last = err
		delay := l.retryMin
		if d := l.retryMax - l.retryMin; d > 0 {
			delay += rand.N(d)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", err, ctx.Err())
		case <-t.C:
		}
	}
}

// TryAcquire makes one Redlock attempt to take name for ttl: grant on a
// quorum, fencing token max(mark)+1 confirmed on a quorum, validity left.
// On failure it releases whatever it got on every endpoint.
func (l *Locker) TryAcquire(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if ttl <= Drift(ttl) {
		return nil, fmt.Errorf("lock %q: ttl %v is too short", name, ttl)
	}
	holder, err := newHolder()
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	start := time.Now()
	lk, err := l.attempt(ctx, name, holder, ttl, start)
	if err != nil {
		l.releaseAll(context.WithoutCancel(ctx), name, holder, ttl)
		return nil, err
	}
	return lk, nil
}

func (l *Locker) attempt(ctx context.Context, name, holder string, ttl time.Duration, start time.Time) (*Lock, error) {
	// Phase 1: grants, and each granting endpoint's mark.
	marks := make([]uint64, len(l.backends))
	errs := l.each(ctx, ttl, func(ctx context.Context, i int, b Backend) error {
		m, err := b.Acquire(ctx, name, holder, ttl)
		marks[i] = m
		return err
	})
	granted, taken := tally(errs, ErrTaken)
	if granted < l.quorum {
		return nil, l.noQuorum(name, "granted", granted, taken, ErrTaken, errs)
	}
	var token uint64
	for i, err := range errs {
		if err == nil {
			token = max(token, marks[i])
		}
	}
	token++

	// Phase 2: confirm the token where we were granted. The lock counts as
	// held only once a quorum confirmed it (see the proof in doc.go).
	cerrs := l.each(ctx, ttl, func(ctx context.Context, i int, b Backend) error {
		if errs[i] != nil {
			return errSkipped
		}
		return b.Confirm(ctx, name, holder, token)
	})
	confirmed, notHeld := tally(cerrs, ErrNotHeld)
	if confirmed < l.quorum {
		return nil, l.noQuorum(name, "confirmed", confirmed, notHeld, ErrExpired, cerrs)
	}

	validity := Validity(ttl, time.Since(start))
	if validity <= 0 {
		return nil, fmt.Errorf("lock %q: %w: acquiring took %v of ttl %v", name, ErrExpired, time.Since(start), ttl)
	}
	return newLock(l, name, holder, token, ttl, start.Add(validity)), nil
}

// errSkipped marks an endpoint a phase did not ask.
var errSkipped = errors.New("skipped")

// noQuorum builds the error of a phase that fell short: verdict when
// endpoints answered it (taken, not held), ErrUnavailable when too many
// could not be asked.
func (l *Locker) noQuorum(name, phase string, ok, refused int, verdict error, errs []error) error {
	sentinel := verdict
	if refused == 0 {
		sentinel = ErrUnavailable
	}
	var first error
	for _, err := range errs {
		if err != nil && err != errSkipped && !errors.Is(err, verdict) {
			first = err
			break
		}
	}
	if first != nil {
		return fmt.Errorf("lock %q: %w: %s on %d of %d endpoints, %d refused, need %d (first failure: %w)",
			name, sentinel, phase, ok, len(l.backends), refused, l.quorum, first)
	}
	return fmt.Errorf("lock %q: %w: %s on %d of %d endpoints, %d refused, need %d",
		name, sentinel, phase, ok, len(l.backends), refused, l.quorum)
}

// tally counts the nil errors and the errors that are verdict.
func tally(errs []error, verdict error) (ok, refused int) {
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, verdict):
			refused++
		}
	}
	return ok, refused
}

// each calls fn on every backend in parallel, each under its own deadline,
// and returns their errors by index once all returned.
func (l *Locker) each(ctx context.Context, ttl time.Duration, fn func(ctx context.Context, i int, b Backend) error) []error {
	errs := make([]error, len(l.backends))
	timeout := l.callTimeout(ttl)
	var wg sync.WaitGroup
	for i, b := range l.backends {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			errs[i] = fn(cctx, i, b)
		})
	}
	wg.Wait()
	return errs
}

// releaseAll releases name for holder on every endpoint, including those
// that seemed to refuse (a grant's reply may have been lost). It returns
// how many released and the per-endpoint errors.
func (l *Locker) releaseAll(ctx context.Context, name, holder string, ttl time.Duration) (released int, errs []error) {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	errs = l.each(ctx, ttl, func(ctx context.Context, _ int, b Backend) error {
		return b.Release(ctx, name, holder)
	})
	released, _ = tally(errs, ErrNotHeld)
	return released, errs
}

// newHolder returns a random holder value, unique per attempt, as Redlock
// requires (release and extend compare it).
func newHolder() (string, error) {
	var b [20]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random holder: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
