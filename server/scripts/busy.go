package scripts

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/server/scripting"
)

// Busy scripts (docs/DESIGN.md §6). Scripts on different slots run at
// once in meshcache, but clients expect Redis's contract: once a script
// has run for busy-reply-threshold (lua-time-limit), the node answers
// other clients' commands with -BUSY, except those flagged allow_busy
// (SCRIPT KILL, SHUTDOWN ...), until the script ends or SCRIPT KILL stops
// it. A script that has written cannot be killed (UNKILLABLE): its writes
// are effects already applied.

const (
	errBusyScript   = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errUnkillable   = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)

// registry is the scripts running on this node and their watchdog.
type registry struct {
	// mu guards runs, watching and the busy fields of every registered
	// run (busyState: busied, marked, mark). The watchdog and the KILLs
	// touch a run only under mu and while it is registered, so a run
	// that end unregistered is its owner's alone (and may be reused).
	mu   sync.Mutex
	runs map[*run]struct{}
	// watching: the watchdog goroutine (watch) is running.
	watching bool
	// busy counts the running scripts past the threshold; dispatch reads
	// it on every command (one atomic load).
	busy atomic.Int32
	// threshold is busy-reply-threshold in milliseconds (0: never busy).
	threshold atomic.Int64
	// pool holds ended runs for the next script (prepare): a run's
	// context, reply buffer and key positions serve again.
	pool sync.Pool // of *run
}

// watchIdle is how many empty ticks the watchdog waits for before it
// ends; the next script starts it again.
const watchIdle = 50

// busyState is a run's part of the registry.
type busyState struct {
	// ctx is the run's context, reused by the next run of this run:
	// SCRIPT KILL, the server's stop and the memory watchdog cancel it.
	ctx   *scripting.RunContext
	dirty atomic.Bool // the script has written: SCRIPT KILL refuses
	// Guarded by registry.mu.
	busied bool   // counted in busy
	marked bool   // mark is set: the watchdog has seen the run past WatchDelay
	mark   uint64 // the live heap then (scripting.HeapMark)
}

// begin registers a run about to start and returns its context,
// which SCRIPT KILL, the server's stop or the memory watch cancels. No
// timer per run: the node's one watchdog (watch) looks at every
// registered run; begin starts it when it is not running.
func (sc *Scripts) begin(r *run) context.Context {
	reg, b := &sc.runs, &r.busy
	if b.ctx == nil {
		b.ctx = scripting.NewRunContext()
	}
	reg.mu.Lock()
	if reg.runs == nil {
		reg.runs = make(map[*run]struct{})
	}
	reg.runs[r] = struct{}{}
	if !reg.watching {
		reg.watching = true
		go sc.watch() // ends when idle for watchIdle ticks or when the node stops
	}
	reg.mu.Unlock()
	return b.ctx
}

// watch is the node's script watchdog, one goroutine for every
// run: each WatchEvery it looks at the runs past WatchDelay, marks one
// busy once it passes busy-reply-threshold, and stops one that grew the
// live heap past the scripting memory limit since the watchdog first saw
// it (scripting/memory.go). It ends after watchIdle ticks without a run,
// or when the node stops; begin starts it again.
func (sc *Scripts) watch() {
	reg := &sc.runs
	tick := time.NewTicker(scripting.WatchEvery)
	defer tick.Stop()
	idle := 0
	for {
		select {
		case <-sc.done:
			reg.mu.Lock()
			reg.watching = false
			reg.mu.Unlock()
			return
		case <-tick.C:
		}
		reg.mu.Lock()
		if len(reg.runs) == 0 {
			if idle++; idle >= watchIdle {
				reg.watching = false
				reg.mu.Unlock()
				return
			}
		} else {
			idle = 0
		}
		now := time.Now()
		for r := range reg.runs {
			sc.watchRun(r, now)
		}
		reg.mu.Unlock()
	}
}

// watchRun is the watchdog's look at one registered run (reg.mu held).
func (sc *Scripts) watchRun(r *run, now time.Time) {
	reg, b := &sc.runs, &r.busy
	elapsed := now.Sub(r.start)
	if elapsed < scripting.WatchDelay || b.ctx.Err() != nil {
		return // too young to watch, or already stopped
	}
	if !b.marked {
		b.mark, b.marked = scripting.HeapMark(), true
	} else if sc.engine.OverMemory(b.mark) {
		b.ctx.Cancel(scripting.ErrMemory)
		return
	}
	ms := reg.threshold.Load()
	if ms <= 0 || elapsed < time.Duration(ms)*time.Millisecond || b.busied {
		return
	}
	b.busied = true
	reg.busy.Add(1)
	sc.log.Warn("script running past busy-reply-threshold: other clients get -BUSY", "client", r.client.ID, "threshold_ms", ms)
}

// end unregisters a run that ended and makes its context ready for
// the next run.
func (sc *Scripts) end(r *run) {
	reg, b := &sc.runs, &r.busy
	reg.mu.Lock()
	delete(reg.runs, r)
	if b.busied {
		reg.busy.Add(-1)
	}
	b.busied, b.marked, b.mark = false, false, 0
	reg.mu.Unlock()
	b.ctx.Reset()
}

// kill is SCRIPT KILL (functions false) and FUNCTION KILL: it
// stops every busy script (running past busy-reply-threshold) of that
// kind that has not written and returns "" (OK), or Redis's error:
// NOTBUSY when none is busy (Redis can only take the command while a
// script is busy; a shorter script would have ended before it),
// BUSY naming the other KILL when only the other kind is busy,
// UNKILLABLE when every one has written.
func (sc *Scripts) kill(functions bool) string {
	reg := &sc.runs
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.runs) == 0 {
		return errNotBusy
	}
	killed, ofKind, busy := 0, 0, 0
	for r := range reg.runs {
		if !r.busy.busied {
			continue // Redis answers KILL only while a script is busy
		}
		busy++
		if r.function != functions {
			continue
		}
		ofKind++
		if r.busy.dirty.Load() {
			continue
		}
		r.busy.ctx.Cancel(nil)
		killed++
	}
	switch {
	case busy == 0:
		return errNotBusy
	case ofKind == 0 && functions:
		return errBusyScript
	case ofKind == 0:
		return errBusyFunction
	case killed == 0:
		return errUnkillable
	}
	sc.log.Info("Lua script killed by user with SCRIPT KILL.", "scripts", killed)
	return ""
}

// runningInfo is what FUNCTION STATS and -BUSY tell of a running script,
// copied while it is registered (its run is reused once it ends).
type runningInfo struct {
	function bool
	args     [][]byte // its command, copied
	start    time.Time
}

// elapsedMS is how long the script has been running, in milliseconds.
func (ri *runningInfo) elapsedMS() int64 { return time.Since(ri.start).Milliseconds() }

// oldestRun is the longest running script (reg.mu held), nil if none runs.
func (reg *registry) oldestRun() *run {
	var oldest *run
	for r := range reg.runs {
		if oldest == nil || r.start.Before(oldest.start) {
			oldest = r
		}
	}
	return oldest
}

// running describes one running script (the longest running), nil
// if none runs.
func (sc *Scripts) running() *runningInfo {
	reg := &sc.runs
	reg.mu.Lock()
	defer reg.mu.Unlock()
	r := reg.oldestRun()
	if r == nil {
		return nil
	}
	ri := &runningInfo{function: r.function, start: r.start, args: make([][]byte, len(r.args))}
	for i, a := range r.args {
		ri.args[i] = bytes.Clone(a)
	}
	return ri
}

// Busy reports whether a script runs past busy-reply-threshold: the
// front end then answers other clients' commands (but allow_busy ones)
// with BusyError. One atomic load, for every command.
func (sc *Scripts) Busy() bool { return sc.runs.busy.Load() > 0 }

// SetBusyThreshold sets busy-reply-threshold, in milliseconds (0: never busy).
func (sc *Scripts) SetBusyThreshold(ms int64) { sc.runs.threshold.Store(ms) }

// BusyError is the -BUSY error for the scripts past the threshold: it
// names FUNCTION KILL when the one running longest is a function.
func (sc *Scripts) BusyError() string {
	reg := &sc.runs
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if r := reg.oldestRun(); r != nil && r.function {
		return errBusyFunction
	}
	return errBusyScript
}

// StopAll stops every running script, written or not: the server is
// stopping and their connections must end.
func (sc *Scripts) StopAll() {
	reg := &sc.runs
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for r := range reg.runs {
		r.busy.ctx.Cancel(nil)
	}
}
