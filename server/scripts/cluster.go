package scripts

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
)

// Scripts across the cluster (docs/DESIGN.md §6). Each node has its own
// script cache; SCRIPT LOAD and SCRIPT FLUSH on one node run on every
// member too (fanOut), and LOAD answers once the members have the script,
// so EVALSHA through any node works right after. A forwarded EVALSHA that
// the slot's primary answers with NOSCRIPT while this node has the body
// is sent again as EVAL (EvalFallback): a node that joined after the LOAD
// still runs it.

// fanOutTimeout bounds how long SCRIPT LOAD and FLUSH wait for the other
// members; a member that does not answer in time (or is unreachable) does
// not fail the command: it gets the script with its first EVAL, by
// EvalFallback.
const fanOutTimeout = 2 * time.Second

// fanOut runs args on every other alive member and waits for their replies
// (or fanOutTimeout). A command that arrived forwarded is not fanned out
// again, nor is anything on a standalone node.
func (sc *Scripts) fanOut(c Client, args [][]byte) {
	if sc.standalone || c.Forwarded {
		return
	}
	self := sc.cluster.ID()
	ctx, cancel := context.WithTimeout(context.Background(), fanOutTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range sc.cluster.Members() {
		if m.ID == self || m.Self || !m.Alive {
			continue
		}
		wg.Add(1)
		go func(id ring.NodeID) { // ends when the call returns: ctx bounds it
			defer wg.Done()
			reply, err := sc.cluster.Forward(ctx, id, false, args)
			if err != nil || (len(reply) > 0 && reply[0] == '-') {
				sc.log.Debug("script command not applied on a member", "cmd", strings.ToLower(string(args[0])), "member", id, "err", err, "reply", string(reply))
			}
		}(m.ID)
	}
	wg.Wait()
}

// EvalFallback turns a forwarded EVALSHA (or EVALSHA_RO) whose primary
// answered NOSCRIPT into the EVAL of the body this node has, runs that on
// the same node and returns its reply; nil when it does not apply.
func (sc *Scripts) EvalFallback(ctx context.Context, owner ring.NodeID, resp3 bool, args [][]byte, reply []byte) []byte {
	if !bytes.HasPrefix(reply, []byte("-NOSCRIPT ")) || len(args) < 3 {
		return nil
	}
	name := "eval"
	switch strings.ToLower(string(args[0])) {
	case "evalsha":
	case "evalsha_ro":
		name = "eval_ro"
	default:
		return nil
	}
	script := sc.engine.Lookup(args[1])
	if script == nil {
		return nil
	}
	eval := append([][]byte{[]byte(name), script.Body}, args[2:]...)
	r, err := sc.cluster.Forward(ctx, owner, resp3, eval)
	if err != nil {
		return nil
	}
	return r
}

// SyncFunctions gives a node that joins a cluster the function libraries
// its peers have: once this node serves, it asks a serving peer for
// FUNCTION DUMP and restores it (REPLACE). A node that serves alone has
// nothing to fetch. It runs once, on a goroutine the front end starts for it,
// and stops with ctx.
func (sc *Scripts) SyncFunctions(ctx context.Context) {
	if sc.standalone {
		return
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		self := sc.cluster.Self()
		if self.State != cluster.StateServing {
			continue
		}
		var peers []ring.NodeID
		for _, m := range sc.cluster.Members() {
			if !m.Self && m.ID != self.ID && m.Alive && m.State == cluster.StateServing {
				peers = append(peers, m.ID)
			}
		}
		if len(peers) == 0 {
			return // alone: the others will fetch from this node
		}
		for _, id := range peers {
			if sc.fetchFunctions(ctx, id) {
				return
			}
		}
	}
}

// fetchFunctions restores peer's FUNCTION DUMP here; false when it failed.
func (sc *Scripts) fetchFunctions(ctx context.Context, peer ring.NodeID) bool {
	cctx, cancel := context.WithTimeout(ctx, fanOutTimeout)
	defer cancel()
	reply, err := sc.cluster.Forward(cctx, peer, false, [][]byte{[]byte("FUNCTION"), []byte("DUMP")})
	if err != nil || len(reply) == 0 || reply[0] != '$' {
		sc.log.Debug("function sync: dump from peer failed", "peer", peer, "err", err, "reply", string(reply))
		return false
	}
	items, err := resp.SplitBulkArray(append([]byte("*1\r\n"), reply...))
	if err != nil || len(items) != 1 {
		return false
	}
	i := bytes.Index(items[0], []byte("\r\n"))
	payload := items[0][i+2 : len(items[0])-2]
	if errText := sc.restoreFunctions(payload, "replace"); errText != "" {
		sc.log.Warn("function sync: restore failed", "peer", peer, "err", errText)
		return false
	}
	sc.log.Info("function libraries fetched from a peer", "peer", peer, "libraries", len(sc.engine.Libraries()))
	return true
}

// A cluster client may send FUNCTION LOAD or DELETE to every primary
// itself (redis-py's RedisCluster does, by the commands' all_shards
// tip), while the first node it reaches has already fanned the command
// out: the others then see the same command twice. fanIn remembers what
// arrived by fan-out for fanInWindow, so that the client's own copy of
// the same command, arriving directly, answers as the first did instead
// of "already exists" or "not found".
const fanInWindow = 30 * time.Second

// fanInLog is the function commands applied here by fan-out recently.
type fanInLog struct {
	mu sync.Mutex // guards m
	m  map[string]fanInRecord
}

type fanInRecord struct {
	code []byte // the library's code for a load; nil for a delete
	at   time.Time
}

// noteFanIn records a library loaded (code) or deleted (nil) here by a
// fanned-out command.
func (sc *Scripts) noteFanIn(c Client, lib string, code []byte) {
	if !c.Forwarded {
		return
	}
	f := &sc.fanIn
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[string]fanInRecord)
	}
	now := time.Now()
	for k, r := range f.m {
		if now.Sub(r.at) > fanInWindow {
			delete(f.m, k)
		}
	}
	f.m[lib] = fanInRecord{code: bytes.Clone(code), at: now}
}

// fannedIn reports whether the same load (code) or delete (nil) of lib
// arrived here by fan-out within fanInWindow.
func (sc *Scripts) fannedIn(lib string, code []byte) bool {
	f := &sc.fanIn
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.m[lib]
	if !ok || time.Since(r.at) > fanInWindow || (r.code == nil) != (code == nil) || !bytes.Equal(r.code, code) {
		return false
	}
	delete(f.m, lib)
	return true
}
