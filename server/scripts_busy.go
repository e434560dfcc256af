package server

import (
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

// scriptRegistry is the scripts running on this node.
type scriptRegistry struct {
	mu   sync.Mutex // guards runs
	runs map[*scriptRun]struct{}
	// busy counts the running scripts past the threshold; dispatch reads
	// it on every command (one atomic load).
	busy atomic.Int32
	// threshold is busy-reply-threshold in milliseconds (0: never busy).
	threshold atomic.Int64
}

// busyState is a run's part of the registry.
type busyState struct {
	cancel context.CancelCauseFunc // stops the script (SCRIPT KILL, shutdown, the memory watchdog)
	dirty  atomic.Bool             // the script has written: SCRIPT KILL refuses
	mu     sync.Mutex              // guards timer, busied, ended
	timer  *time.Timer             // fires at the threshold; owned by the registry
	busied bool                    // counted in busy
	ended  bool
}

// beginScript registers a run about to start and returns its context,
// which SCRIPT KILL, the server's stop or the memory watch cancels. One
// timer per run: watchDelay into it, a watcher goroutine starts that
// marks the run busy once it passes busy-reply-threshold and stops it
// when it grows the heap past the scripting memory limit.
func (s *Server) beginScript(r *scriptRun) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	reg := &s.scriptRuns
	r.busy.cancel = cancel
	reg.mu.Lock()
	if reg.runs == nil {
		reg.runs = make(map[*scriptRun]struct{})
	}
	reg.runs[r] = struct{}{}
	reg.mu.Unlock()
	b := &r.busy
	b.mu.Lock()
	b.timer = time.AfterFunc(scripting.WatchDelay, func() {
		go s.watchScript(ctx, r) // ends with ctx, which endScript cancels
	})
	b.mu.Unlock()
	return ctx
}

// watchScript is a run's watcher (beginScript): until the run ends it
// marks the run busy past the threshold and stops it past the memory limit.
func (s *Server) watchScript(ctx context.Context, r *scriptRun) {
	reg, b := &s.scriptRuns, &r.busy
	mark := scripting.HeapMark()
	tick := time.NewTicker(scripting.WatchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if s.scripts.OverMemory(mark) {
			b.cancel(scripting.ErrMemory)
			return
		}
		ms := reg.threshold.Load()
		if ms <= 0 || time.Since(r.start) < time.Duration(ms)*time.Millisecond {
			continue
		}
		b.mu.Lock()
		if !b.ended && !b.busied {
			b.busied = true
			reg.busy.Add(1)
			s.log.Warn("script running past busy-reply-threshold: other clients get -BUSY", "client", r.c.ID, "threshold_ms", ms)
		}
		b.mu.Unlock()
	}
}

// endScript unregisters a run that ended.
func (s *Server) endScript(r *scriptRun) {
	reg := &s.scriptRuns
	reg.mu.Lock()
	delete(reg.runs, r)
	reg.mu.Unlock()
	b := &r.busy
	b.mu.Lock()
	b.ended = true
	if b.timer != nil {
		b.timer.Stop()
	}
	if b.busied {
		reg.busy.Add(-1)
	}
	b.mu.Unlock()
	b.cancel(nil)
}

// killScripts is SCRIPT KILL (functions false) and FUNCTION KILL: it
// stops every busy script (running past busy-reply-threshold) of that
// kind that has not written and returns "" (OK), or Redis's error:
// NOTBUSY when none is busy (Redis can only take the command while a
// script is busy; a shorter script would have ended before it),
// BUSY naming the other KILL when only the other kind is busy,
// UNKILLABLE when every one has written.
func (s *Server) killScripts(functions bool) string {
	reg := &s.scriptRuns
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.runs) == 0 {
		return errNotBusy
	}
	killed, ofKind, busy := 0, 0, 0
	for r := range reg.runs {
		r.busy.mu.Lock()
		busied := r.busy.busied
		r.busy.mu.Unlock()
		if !busied {
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
		r.busy.cancel(nil)
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
	s.log.Info("Lua script killed by user with SCRIPT KILL.", "scripts", killed)
	return ""
}

// runningScript returns one running script (the longest running), nil
// if none runs.
func (s *Server) runningScript() *scriptRun {
	reg := &s.scriptRuns
	reg.mu.Lock()
	defer reg.mu.Unlock()
	var oldest *scriptRun
	for r := range reg.runs {
		if oldest == nil || r.start.Before(oldest.start) {
			oldest = r
		}
	}
	return oldest
}

// busyError is the -BUSY error for the scripts past the threshold: it
// names FUNCTION KILL when the one running longest is a function.
func (s *Server) busyError() string {
	if r := s.runningScript(); r != nil && r.function {
		return errBusyFunction
	}
	return errBusyScript
}

// stopScripts stops every running script, written or not: the server is
// stopping and their connections must end.
func (s *Server) stopScripts() {
	reg := &s.scriptRuns
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for r := range reg.runs {
		r.busy.cancel(nil)
	}
}
