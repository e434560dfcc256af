package server

import (
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripting"
	"github.com/meshcache/meshcache/store"
)

// Errors of a script's command, in Redis's words (script.c scriptCall)
// and, for the lock order, meshcache's own.
const (
	errScriptUnknown   = "-ERR Unknown Redis command called from script\r\n"
	errScriptArity     = "-ERR Wrong number of args calling Redis command from script\r\n"
	errScriptNoScript  = "-ERR This Redis command is not allowed from script\r\n"
	errScriptWriteRO   = "-ERR Write commands are not allowed from read-only scripts.\r\n"
	errScriptCmdOOM    = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
	errScriptNonLocal  = "-ERR Script attempted to access a non local key in a cluster node\r\n"
	errScriptCrossSlot = "-ERR Script attempted to access keys that do not hash to the same slot\r\n"
	// errScriptSlotBusy: an undeclared key whose slot is below one the
	// script holds, and which another command holds: waiting could
	// deadlock (store.Tx.Grow), so the call fails; declaring the key in
	// KEYS avoids it.
	errScriptSlotBusy = "-TRYAGAIN Script attempted to access an undeclared key whose slot another command holds; declare it in KEYS\r\n"
)

// frame is where a command runs: its commands.Call, the front end's view
// of it and its reply. A client's commands run in its own frame
// (topFrame); a script's commands in the script's (scriptRun).
type frame struct {
	reply  *resp.Reply
	call   *commands.Call
	fe     *Call
	script bool // a script's command: never blocks, timed on its own
}

func (c *Client) topFrame() frame { return frame{reply: &c.reply, call: &c.call, fe: &c.feCall} }

// scriptRun is one script's run: the scripting.Caller through which
// redis.call reaches the node. Owned by the goroutine running the script.
type scriptRun struct {
	s *Server
	c *Client
	// tx holds the slots the script holds: the dispatcher's Tx (the
	// declared keys' slots; it closes it after EVAL) or, for a keyless
	// script, one of its own (ownTx; finish closes it). Undeclared keys'
	// slots are added to it (Grow).
	tx    *store.Tx
	ownTx bool
	// slot is the one slot a cluster node's script may touch without
	// allow-cross-slot-keys: its declared keys' or its first key's (-1: none yet).
	slot int

	readOnly   bool // EVAL_RO, or a no-writes script: writes are refused
	allowOOM   bool // allow-oom: deny-oom commands run above maxmemory
	allowCross bool // keys of several slots of this node may be touched
	oom        bool // the node was over maxmemory when the script started
	dirty      bool // the script has run a write command
	busy       busyState
	// function: an FCALL (FUNCTION KILL and STATS see it), args its
	// command, start when it began.
	function bool
	args     [][]byte
	start    time.Time

	// lua is the run as package scripting sees it.
	lua scripting.Run

	reply   resp.Reply
	call    commands.Call
	fe      Call
	nameBuf [32]byte
	subBuf  [32]byte
	keyPos  []int
}

// maxPooledReply bounds the reply buffer a pooled run keeps.
const maxPooledReply = 64 << 10

// finish closes the run's own Tx.
func (r *scriptRun) finish() {
	if r.ownTx && r.tx != nil {
		r.s.closeTx(r.tx, r.s.commands["eval"])
		r.tx = nil
	}
}

// releaseScript returns an ended run (finished and unregistered: nothing
// else refers to it) to the pool, dropping what it referred to.
func (s *Server) releaseScript(r *scriptRun) {
	r.c, r.tx, r.args = nil, nil, nil
	r.lua = scripting.Run{}
	r.call, r.fe = commands.Call{}, Call{}
	if cap(r.reply.Bytes()) > maxPooledReply {
		r.reply = resp.Reply{}
	}
	s.scriptRuns.pool.Put(r)
}

// Known reports whether args name a command of the table
// (redis.acl_check_cmd).
func (r *scriptRun) Known(args [][]byte) bool { return r.lookup(args) != nil }

func (r *scriptRun) lookup(args [][]byte) *entry {
	e := r.s.lookup(args[0], &r.nameBuf)
	if e != nil && e.subs != nil && len(args) >= 2 {
		e = e.lookupSub(args[1], &r.subBuf)
	}
	return e
}

// Call runs one command of the script (scripting.Caller): Redis's checks
// (scriptCall), the keys' slots, then the command through callIn, so its
// stats, slow log and replication positions are those of any command.
func (r *scriptRun) Call(args [][]byte, resp3 bool) []byte {
	s := r.s
	r.reply.Reset()
	r.reply.SetRESP3(resp3)
	e := r.lookup(args)
	switch {
	case e == nil:
		return []byte(errScriptUnknown)
	case !e.ArityOK(len(args)):
		return []byte(errScriptArity)
	case e.Flags&FlagNoScript != 0:
		return []byte(errScriptNoScript)
	case r.readOnly && e.Flags&FlagWrite != 0:
		return []byte(errScriptWriteRO)
	case !r.allowOOM && !r.dirty && r.oom && e.Flags&FlagDenyOOM != 0:
		return []byte(errScriptCmdOOM)
	}
	if e.Flags&FlagWrite != 0 {
		r.dirty = true
		r.busy.dirty.Store(true)
	}
	r.keyPos = e.keys(args, r.keyPos)
	if msg := r.reach(args); msg != "" {
		return []byte(msg)
	}
	f := frame{reply: &r.reply, call: &r.call, fe: &r.fe, script: true}
	switch {
	case e.keyspace && r.tx != nil:
		// A keyspace-wide command locks the slots itself: the script's
		// slots are let go around it, as EXEC does.
		r.tx.Pause()
		s.callIn(r.c, f, e, args, nil, false)
		r.tx.Resume()
	case len(r.keyPos) == 0:
		s.callIn(r.c, f, e, args, nil, false)
	default:
		s.callIn(r.c, f, e, args, r.tx, false)
	}
	return r.reply.Bytes()
}

// reach makes sure the script holds the slots of the command's keys
// (r.keyPos), under Redis Cluster's rules on a cluster node: every key led
// here (else "non local key") and, without allow-cross-slot-keys, in the
// script's one slot. A slot not yet held is added to the script's Tx
// (Grow: never waiting below a held slot). It returns an error reply, or "".
func (r *scriptRun) reach(args [][]byte) string {
	s := r.s
	cmdSlot := -1
	for _, i := range r.keyPos {
		sl := ring.KeySlot(args[i])
		if !s.standalone {
			if cmdSlot >= 0 && int(sl) != cmdSlot {
				return errScriptNonLocal // the command itself spans slots
			}
			cmdSlot = int(sl)
			if _, here := s.cluster.Route(sl); !here {
				return errScriptNonLocal
			}
			if !r.allowCross {
				if r.slot < 0 {
					r.slot = int(sl)
				} else if r.slot != int(sl) {
					return errScriptCrossSlot
				}
			}
		}
		if r.tx != nil && r.tx.Holds(sl) {
			continue
		}
		if r.tx == nil {
			r.tx = s.store.Lock(sl)
			r.ownTx = true
		} else if !r.tx.Grow(sl) {
			return errScriptSlotBusy
		}
		if !s.standalone {
			if _, here := s.cluster.Route(sl); !here {
				return errScriptNonLocal // moved away while we waited for it
			}
		}
	}
	return ""
}
