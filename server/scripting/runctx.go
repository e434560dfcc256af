package scripting

import (
	"context"
	"sync"
	"time"
)

// RunContext is the context of a script run that its owner reuses from
// run to run: SCRIPT KILL, the server's stop and the memory watchdog
// cancel it with a cause. A run that nobody cancels (nearly every run)
// costs nothing: its Done channel stays open and serves the next run,
// where context.WithCancelCause would cost a context, a channel and a
// closure per run (gopher-lua reads Done before every instruction).
//
// Invariants: Done returns the same channel from one Reset to the next;
// once cancelled, Err and Cause keep their values until Reset. Reset is
// called by the owner only while nothing else can reach the context (the
// run is over and unregistered), so the previous run's cancellation can
// never reach the next run.
type RunContext struct {
	done chan struct{} // closed by the first Cancel; Reset replaces a closed one

	mu    sync.Mutex // guards err, cause and after
	err   error      // context.Canceled once cancelled
	cause error
	// after is the functions to run at cancellation: the cancellation of
	// the contexts derived from this one (gopher-lua gives each coroutine
	// one, context.WithCancel finds AfterFunc). Dropped by Reset: they
	// belong to the ended run's coroutines, which nothing runs any more.
	after []*afterFunc
}

type afterFunc struct {
	f    func()
	done bool // ran or stopped
}

// NewRunContext returns a context that is not cancelled.
func NewRunContext() *RunContext { return &RunContext{done: make(chan struct{})} }

// Deadline: a run has none (the busy threshold does not stop it).
func (c *RunContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed when the run is cancelled.
func (c *RunContext) Done() <-chan struct{} { return c.done }

// Err is nil until the run is cancelled, then context.Canceled.
func (c *RunContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value: a run's context carries no values.
func (c *RunContext) Value(any) any { return nil }

// Cause is the cause the run was cancelled with (nil while it is not).
func (c *RunContext) Cause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Cancel cancels the run with cause (nil: context.Canceled); only the
// first call counts. Safe from any goroutine.
func (c *RunContext) Cancel(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err, c.cause = context.Canceled, cause
	close(c.done)
	for _, a := range c.after {
		if !a.done {
			a.done = true
			go a.f() // as context.AfterFunc: each in its own goroutine, which f ends
		}
	}
	c.after = nil
}

// AfterFunc arranges for f to run in its own goroutine when the context
// is cancelled (context.AfterFunc's contract, which context.WithCancel
// uses for a child of this context instead of a goroutine per child).
func (c *RunContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		a.done = true
		go f()
	} else {
		c.after = append(c.after, a)
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		stopped := !a.done
		a.done = true
		return stopped
	}
}

// Reset makes the context ready for the next run: not cancelled, no
// functions pending. Only the owner calls it, between runs.
func (c *RunContext) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		c.done = make(chan struct{})
		c.err, c.cause = nil, nil
	}
	clear(c.after)
	c.after = c.after[:0]
}

// cause is context.Cause, which does not know a RunContext.
func cause(ctx context.Context) error {
	if rc, ok := ctx.(*RunContext); ok {
		return rc.Cause()
	}
	return context.Cause(ctx)
}
