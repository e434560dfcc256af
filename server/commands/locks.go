package commands

import (
	"github.com/meshcache/meshcache/lock"
)

// LockCommands are the LOCK.* commands (lock.Commands): the node-local
// lease and fencing-mark table that clients run Redlock across (docs/DESIGN.md
// §8). They have no key positions (FirstKey 0), so the dispatcher never
// routes them by slot, never forwards them to another node and never
// replicates them: each node answers for its own lock.Table, which is what
// makes the nodes independent Redlock endpoints. They are "write" (they
// change state) and "fast" (O(1)), but not "denyoom": the lock table is not
// part of the keyspace that maxmemory bounds (it bounds itself, see
// lock.TableConfig.MaxMarks), and a full cache must not stop its clients
// from coordinating.
func LockCommands() []*Command {
	cmds := make([]*Command, 0, len(lock.Commands))
	for _, spec := range lock.Commands {
		cmds = append(cmds, &Command{
			Name:  spec.Name,
			Arity: spec.Arity,
			// Not FlagWrite: a lock changes the node's lock table, never
			// the keyspace, so it is neither replicated nor waits for
			// replicas (a keyless write counts as keyspace-wide).
			Flags:   FlagFast,
			Group:   "server",
			Since:   "0.1.0", // the meshcache version that introduced them
			Summary: spec.Summary,
			Handler: lockCommand,
		})
	}
	return cmds
}

// lockCommand runs one LOCK.* command on the node's table. The table
// validates the arguments and formats its own errors (Redis's wording).
func lockCommand(c *Call) {
	r, err := c.Locks.Do(c.Args)
	if err != nil {
		c.Reply.Error(err.Error())
		return
	}
	c.Reply.AppendWith(r.AppendRESP)
}
