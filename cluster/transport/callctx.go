package transport

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context a served call's handler gets: the server's
// context (canceled when the server closes) with the caller's deadline.
// Most handlers never look at it, so the timer and the registration with
// the parent that context.WithDeadline costs are made only when a handler
// first asks for Done or Err. Deadline and Value need neither.
//
// Once the call returns (release), Done is closed and Err is
// context.Canceled, as for a context canceled when its call ends.
type callCtx struct {
	parent   context.Context
	deadline time.Time // zero: the caller gave none

	once   sync.Once // makes ctx and cancel
	ctx    context.Context
	cancel context.CancelFunc // nil when ctx is endedCtx
}

var _ context.Context = (*callCtx)(nil)

// endedCtx is what a callCtx stands for after its call returned without
// anybody having asked for Done or Err.
var endedCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (c *callCtx) live() context.Context {
	c.once.Do(func() {
		if c.deadline.IsZero() {
			c.ctx, c.cancel = context.WithCancel(c.parent)
			return
		}
		c.ctx, c.cancel = context.WithDeadline(c.parent, c.deadline)
	})
	return c.ctx
}

// release ends the call: it cancels the context made for it, if any, and
// otherwise makes later Done and Err calls see an ended call.
func (c *callCtx) release() {
	c.once.Do(func() { c.ctx = endedCtx })
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *callCtx) Deadline() (time.Time, bool) {
	if c.deadline.IsZero() {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

func (c *callCtx) Done() <-chan struct{} { return c.live().Done() }
func (c *callCtx) Err() error            { return c.live().Err() }
func (c *callCtx) Value(key any) any     { return c.parent.Value(key) }
