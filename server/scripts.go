package server

import (
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripts"
	"github.com/meshcache/meshcache/store"
)

// The front end's side of scripting (package scripts, docs/DESIGN.md §6):
// a script's commands run through scriptFront, in the script's frame, and
// the scripting commands' handlers find the node's scripts and the client
// through the call's Conn (Call.ScriptCall).

// frame is where a command runs: its commands.Call, the front end's view
// of it and its reply. A client's commands run in its own frame
// (topFrame); a script's commands in the script's (scriptFrame).
type frame struct {
	reply  *resp.Reply
	call   *commands.Call
	fe     *Call
	script bool // a script's command: never blocks, timed on its own
}

func (c *Client) topFrame() frame { return frame{reply: &c.reply, call: &c.call, fe: &c.feCall} }

// scriptFrame is the front end's state of a script's frame
// (scripts.Frame.Front), kept with the pooled run from one script to the
// next: the call's structures and the lookup's name buffers.
type scriptFrame struct {
	call    commands.Call
	fe      Call
	nameBuf [32]byte
	subBuf  [32]byte
}

// scriptFront is the front end as package scripts runs a script's
// commands through it (scripts.Front).
type scriptFront struct{ s *Server }

var _ scripts.Front = scriptFront{}

func frontOf(f *scripts.Frame) *scriptFrame {
	sf, _ := f.Front.(*scriptFrame)
	if sf == nil {
		sf = &scriptFrame{}
		f.Front = sf
	}
	return sf
}

// Find looks args up in the table (a container's subcommand when args
// names one) and puts its keys' positions in f.Keys.
func (sf scriptFront) Find(f *scripts.Frame, args [][]byte) scripts.Cmd {
	fr := frontOf(f)
	e := sf.s.table.Lookup(args[0], &fr.nameBuf)
	if e != nil && e.Subs != nil && len(args) >= 2 {
		e = e.LookupSub(args[1], &fr.subBuf)
	}
	if e == nil {
		f.Keys = f.Keys[:0]
		return scripts.Cmd{}
	}
	f.Keys = e.Keys(args, f.Keys)
	return scripts.Cmd{Command: e.Command, Keyspace: e.Keyspace, Ref: e}
}

// Exec runs a script's command through callIn, in the script's frame, and
// then drops what the frame's call referred to.
func (sf scriptFront) Exec(client any, f *scripts.Frame, cmd scripts.Cmd, args [][]byte, tx *store.Tx) {
	fr := frontOf(f)
	sf.s.callIn(client.(*Client), frame{reply: &f.Reply, call: &fr.call, fe: &fr.fe, script: true}, cmd.Ref.(*entry), args, tx, false)
	fr.call, fr.fe = commands.Call{}, Call{}
}

// CloseTx releases the Tx a keyless script took (closeTx, as EVAL's).
func (sf scriptFront) CloseTx(tx *store.Tx) { sf.s.closeTx(tx, sf.s.table.LookupName("eval")) }

// OverMaxMemory: maxmemory is set and reclaiming did not get under it.
func (sf scriptFront) OverMaxMemory() bool { return sf.s.lim.maxMemory.Load() != 0 && !sf.s.reclaim() }

// ScriptCall gives a scripting command the node's scripts and its client
// (scripts.Conn).
func (c *Call) ScriptCall() (*scripts.Scripts, scripts.Client) {
	cl := c.Client
	return c.Server.scripts, scripts.Client{
		ID: cl.ID, Start: cl.cmdStart(), Forwarded: cl.route != nil && cl.route.forwarded, Handle: cl,
	}
}
