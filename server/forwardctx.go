package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// sharedDeadline hands out the contexts of forwards with the default
// timeout: one context serves every forward that starts within span of its
// making, so a forward costs no context, timer and done channel of its
// own (on the forwarding path they cost a microsecond per call, as much as
// the call's own transport work). Its deadline is timeout+span after it
// was made, so each forward gets at least timeout and at most timeout+span.
// Nothing cancels a shared context early: it ends at its deadline, when its
// timer releases it.
type sharedDeadline struct {
	timeout, span time.Duration
	now           func() time.Time // time.Now; a test's clock

	cur atomic.Pointer[sharedCtx] // the context handed out now; nil at first
	mu  sync.Mutex                // serializes making the next one
}

type sharedCtx struct {
	ctx    context.Context
	cancel context.CancelFunc // run by the context's own timer at its deadline
	until  time.Time          // handed out before this moment only
}

// forwardCtx is the shared context of forwards within forwardTimeout.
var forwardCtx = sharedDeadline{timeout: forwardTimeout, span: 10 * time.Millisecond, now: time.Now}

// get returns a context whose deadline is at least timeout from now.
func (d *sharedDeadline) get() context.Context {
	now := d.now()
	if c := d.cur.Load(); c != nil && now.Before(c.until) {
		return c.ctx
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.cur.Load(); c != nil && now.Before(c.until) {
		return c.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(d.timeout+d.span))
	d.cur.Store(&sharedCtx{ctx: ctx, cancel: cancel, until: now.Add(d.span)})
	return ctx
}

// forwardContext returns the context of a forward within timeout and the
// function that ends it: the shared one for forwardTimeout (its end is a
// no-op), else one of its own.
func forwardContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout == forwardTimeout {
		return forwardCtx.get(), func() {}
	}
	return context.WithTimeout(context.Background(), timeout)
}
