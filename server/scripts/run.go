package scripts

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

// run is one script's run: the scripting.Caller through which redis.call
// reaches the node. Owned by the goroutine running the script.
type run struct {
	sc     *Scripts
	client Client
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
	// frame is where its commands run.
	frame Frame
}

// maxPooledReply bounds the reply buffer a pooled run keeps.
const maxPooledReply = 64 << 10

// finish closes the run's own Tx.
func (r *run) finish() {
	if r.ownTx && r.tx != nil {
		r.sc.front.CloseTx(r.tx)
		r.tx = nil
	}
}

// release returns an ended run (finished and unregistered: nothing else
// refers to it) to the pool, dropping what it referred to.
func (sc *Scripts) release(r *run) {
	r.client, r.tx, r.args = Client{}, nil, nil
	r.lua = scripting.Run{}
	if cap(r.frame.Reply.Bytes()) > maxPooledReply {
		r.frame.Reply = resp.Reply{}
	}
	sc.runs.pool.Put(r)
}

// Known reports whether args name a command of the table
// (redis.acl_check_cmd).
func (r *run) Known(args [][]byte) bool { return r.sc.front.Find(&r.frame, args).Command != nil }

// Call runs one command of the script (scripting.Caller): Redis's checks
// (scriptCall), the keys' slots, then the command through Front.Exec, so
// its stats, slow log and replication positions are those of any command.
func (r *run) Call(args [][]byte, resp3 bool) []byte {
	f := &r.frame
	f.Reply.Reset()
	f.Reply.SetRESP3(resp3)
	cmd := r.sc.front.Find(f, args)
	switch {
	case cmd.Command == nil:
		return []byte(errScriptUnknown)
	case !cmd.ArityOK(len(args)):
		return []byte(errScriptArity)
	case cmd.Flags&commands.FlagNoScript != 0:
		return []byte(errScriptNoScript)
	case r.readOnly && cmd.Flags&commands.FlagWrite != 0:
		return []byte(errScriptWriteRO)
	case !r.allowOOM && !r.dirty && r.oom && cmd.Flags&commands.FlagDenyOOM != 0:
		return []byte(errScriptCmdOOM)
	}
	if cmd.Flags&commands.FlagWrite != 0 {
		r.dirty = true
		r.busy.dirty.Store(true)
	}
	if msg := r.reach(args); msg != "" {
		return []byte(msg)
	}
	front := r.sc.front
	switch {
	case cmd.Keyspace && r.tx != nil:
		// A keyspace-wide command locks the slots itself: the script's
		// slots are let go around it, as EXEC does.
		r.tx.Pause()
		front.Exec(r.client.Handle, f, cmd, args, nil)
		r.tx.Resume()
	case len(f.Keys) == 0:
		front.Exec(r.client.Handle, f, cmd, args, nil)
	default:
		front.Exec(r.client.Handle, f, cmd, args, r.tx)
	}
	return f.Reply.Bytes()
}

// reach makes sure the script holds the slots of the command's keys
// (r.frame.Keys), under Redis Cluster's rules on a cluster node: every key led
// here (else "non local key") and, without allow-cross-slot-keys, in the
// script's one slot. A slot not yet held is added to the script's Tx
// (Grow: never waiting below a held slot). It returns an error reply, or "".
func (r *run) reach(args [][]byte) string {
	sc := r.sc
	cmdSlot := -1
	for _, i := range r.frame.Keys {
		sl := ring.KeySlot(args[i])
		if !sc.standalone {
			if cmdSlot >= 0 && int(sl) != cmdSlot {
				return errScriptNonLocal // the command itself spans slots
			}
			cmdSlot = int(sl)
			if _, here := sc.cluster.Route(sl); !here {
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
			r.tx = sc.store.Lock(sl)
			r.ownTx = true
		} else if !r.tx.Grow(sl) {
			return errScriptSlotBusy
		}
		if !sc.standalone {
			if _, here := sc.cluster.Route(sl); !here {
				return errScriptNonLocal // moved away while we waited for it
			}
		}
	}
	return ""
}
