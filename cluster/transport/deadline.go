package transport

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// SharedDeadline hands out the contexts of calls with one usual timeout
// (the server's forwards): one context serves every call that starts within
// span of its making, so a call costs no context, timer and done channel
// of its own (on the forwarding path they cost a microsecond per call, as
// much as the call's own transport work). Its deadline is timeout+span after it
// was made, so each forward gets at least timeout and at most timeout+span.
// Nothing cancels a shared context early but its parent (Background, or
// NewSharedDeadlineIn's): it ends at its deadline, when its timer releases it.
type SharedDeadline struct {
	timeout, span time.Duration
	now           func() time.Time // time.Now; a test's clock
	parent        context.Context  // nil: Background

	cur atomic.Pointer[sharedCtx] // the context handed out now; nil at first
	mu  sync.Mutex                // serializes making the next one
}

type sharedCtx struct {
	ctx    context.Context
	cancel context.CancelFunc // run by the context's own timer at its deadline
	until  time.Time          // handed out before this moment only
}

// NewSharedDeadline returns a SharedDeadline whose contexts leave every
// call at least timeout and at most timeout+span.
func NewSharedDeadline(timeout, span time.Duration) *SharedDeadline {
	return NewSharedDeadlineIn(context.Background(), timeout, span)
}

// NewSharedDeadlineIn is NewSharedDeadline with contexts that also end with
// parent (a replication stream's, so that stopping it ends a call in flight).
func NewSharedDeadlineIn(parent context.Context, timeout, span time.Duration) *SharedDeadline {
	return &SharedDeadline{timeout: timeout, span: span, now: time.Now, parent: parent}
}

// Get returns a context whose deadline is at least timeout from now.
func (d *SharedDeadline) Get() context.Context {
	now := d.now()
	if c := d.cur.Load(); c != nil && now.Before(c.until) {
		return c.ctx
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.cur.Load(); c != nil && now.Before(c.until) {
		return c.ctx
	}
	parent := d.parent
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithDeadline(parent, now.Add(d.timeout+d.span))
	d.cur.Store(&sharedCtx{ctx: ctx, cancel: cancel, until: now.Add(d.span)})
	return ctx
}
