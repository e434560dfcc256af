package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshcache/meshcache/lock"
)

// DefaultTTL is a Mutex's lease when MutexOptions.TTL is zero.
const DefaultTTL = 8 * time.Second

// MutexOptions configures a Mutex. The zero value is usable.
type MutexOptions struct {
	// TTL is the lease on each node; 0 means DefaultTTL. A held lock is
	// renewed every TTL/3 (unless NoAutoRenew), and is lost when renewals
	// fail for longer than its validity (about a TTL).
	TTL time.Duration
	// RetryMin and RetryMax bound the random pause between acquisition
	// attempts of Lock; zero means package lock's defaults (20ms-200ms).
	RetryMin, RetryMax time.Duration
	// EndpointTimeout bounds each call to one node; 0 means TTL/10,
	// between 10ms and 1s.
	EndpointTimeout time.Duration
	// NoAutoRenew turns off renewals: the lock then lasts one TTL unless
	// Extend is called, and Lost fires when its validity passes.
	NoAutoRenew bool
}

// Mutex is a distributed lock with fencing tokens for one holder at a time
// (see the package doc). Lock and TryLock take it, Unlock releases it; while
// held, Token is its fencing token and Lost is closed if the lock is lost.
// A Mutex is one holder: calling Lock on a Mutex that is held or locking
// fails with ErrLocked. Its methods are safe for concurrent use.
type Mutex struct {
	c    *Client
	name string
	opts MutexOptions

	mu      sync.Mutex // guards lk and locking
	lk      *lock.Lock // the held lock, nil when not held
	locking bool       // a Lock or TryLock is in progress
}

// Mutex returns a Mutex for the lock name. It talks to no node until Lock.
func (c *Client) Mutex(name string, opts MutexOptions) *Mutex {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	return &Mutex{c: c, name: name, opts: opts}
}

// Name returns the lock name.
func (m *Mutex) Name() string { return m.name }

// Lock takes the lock, retrying with random backoff while another holder
// has it or too few nodes answer, until ctx is done (the error then wraps
// ctx.Err() and the last attempt's verdict). ctx bounds only the wait: the
// lock, once held, lasts until Unlock or its loss.
func (m *Mutex) Lock(ctx context.Context) error {
	return m.acquire(ctx, func(l *lock.Locker) (*lock.Lock, error) {
		return l.Acquire(ctx, m.name, m.opts.TTL)
	})
}

// TryLock makes one attempt: true when it took the lock, false with a nil
// error when another holder has it, false with an error (ErrUnavailable,
// ErrExpired ...) when the attempt failed otherwise.
func (m *Mutex) TryLock(ctx context.Context) (bool, error) {
	err := m.acquire(ctx, func(l *lock.Locker) (*lock.Lock, error) {
		return l.TryAcquire(ctx, m.name, m.opts.TTL)
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrTaken):
		return false, nil
	}
	return false, err
}

func (m *Mutex) acquire(ctx context.Context, take func(*lock.Locker) (*lock.Lock, error)) error {
	m.mu.Lock()
	if m.locking || (m.lk != nil && !isClosed(m.lk.Lost())) {
		m.mu.Unlock()
		return fmt.Errorf("lock %q: %w", m.name, ErrLocked)
	}
	m.locking, m.lk = true, nil
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.locking = false
		m.mu.Unlock()
	}()

	locker, err := m.locker()
	if err != nil {
		return err
	}
	lk, err := take(locker)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.lk = lk
	m.mu.Unlock()
	return nil
}

// locker builds a lock.Locker over the name's nodes as the client knows
// them now. It shares the Client's connections, so it is cheap.
func (m *Mutex) locker() (*lock.Locker, error) {
	backends, err := m.c.lockBackends(m.name)
	if err != nil {
		return nil, err
	}
	opts := []lock.Option{lock.WithLogger(m.c.log)}
	if m.opts.RetryMin > 0 || m.opts.RetryMax > 0 {
		lo, hi := m.opts.RetryMin, m.opts.RetryMax
		if lo <= 0 {
			lo = min(lock.DefaultRetryMin, hi)
		}
		if hi < lo {
			hi = lo
		}
		opts = append(opts, lock.WithRetryDelay(lo, hi))
	}
	if m.opts.EndpointTimeout > 0 {
		opts = append(opts, lock.WithEndpointTimeout(m.opts.EndpointTimeout))
	}
	if m.opts.NoAutoRenew {
		opts = append(opts, lock.WithoutAutoRenew())
	}
	l, err := lock.New(backends, opts...)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", m.name, err)
	}
	return l, nil
}

// Unlock releases the lock on its nodes (only this holder's lease) and
// stops its renewals. It returns nil when the lock was held until now;
// ErrNotHeld when it was not held or had been lost; ErrExpired when its
// validity had run out (the critical section may have overlapped another
// holder's); ErrUnavailable when too few nodes answered (their leases end
// with the TTL). In every case the Mutex is free to Lock again.
func (m *Mutex) Unlock(ctx context.Context) error {
	m.mu.Lock()
	lk := m.lk
	m.lk = nil
	m.mu.Unlock()
	if lk == nil {
		return fmt.Errorf("unlock %q: %w", m.name, ErrNotHeld)
	}
	return lk.Release(ctx)
}

// Extend renews the lease to a full TTL now (renewals do this on their own
// unless NoAutoRenew). Errors as lock.Lock.Extend: ErrNotHeld (not held, or
// lost), ErrExpired, ErrUnavailable.
func (m *Mutex) Extend(ctx context.Context) error {
	lk := m.held()
	if lk == nil {
		return fmt.Errorf("extend %q: %w", m.name, ErrNotHeld)
	}
	return lk.Extend(ctx)
}

// Token returns the fencing token of the lock held now, 0 when not held.
// Tokens strictly increase from one holder of the name to the next: give it
// to the protected resource and have it refuse lower tokens.
func (m *Mutex) Token() uint64 {
	if lk := m.held(); lk != nil {
		return lk.Token()
	}
	return 0
}

// Validity returns how long the held lock may still be trusted without a
// renewal; zero when not held.
func (m *Mutex) Validity() time.Duration {
	if lk := m.held(); lk != nil {
		return max(lk.Validity(), 0)
	}
	return 0
}

// Lost returns a channel that is closed when the lock held now is lost
// (renewals failed until its validity ran out, or a quorum of its nodes no
// longer knows this holder): stop using the protected resource then. When
// the Mutex does not hold the lock, the channel returned is already closed.
// Unlock does not close the channel of the lock it released.
func (m *Mutex) Lost() <-chan struct{} {
	if lk := m.held(); lk != nil {
		return lk.Lost()
	}
	return closedChan
}

// context returns a context cancelled when the held lock is released or
// lost; an already cancelled one when not held.
func (m *Mutex) context() context.Context {
	if lk := m.held(); lk != nil {
		return lk.Context()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func (m *Mutex) held() *lock.Lock {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lk
}

// closedChan is what Lost returns for a Mutex that holds nothing.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
