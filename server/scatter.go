package server

import (
	"context"
	"fmt"
	"github.com/meshcache/meshcache/server/topology"
	"sync"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
)

// Multi-key commands whose keys live on several nodes (MGET, MSET, DEL,
// UNLINK, EXISTS, TOUCH) are split by owner: each node gets one command with
// its own keys, the parts run at the same time (this node's part locally),
// and the replies are merged in the order of the keys. Each part is atomic
// on its node; the whole is not, as docs/DESIGN.md §1 says (Redis Cluster
// would answer -CROSSSLOT instead).

// scatterPart is the piece of a split command that goes to one node.
type scatterPart struct {
	owner ring.NodeID
	args  [][]byte // the command's arguments with only this node's key groups
	idx   []int    // for each key of args, its position among the command's keys
	reply []byte
	err   error
}

// splitSpec returns the key spec a multi_shard command is split by: it
// must have exactly one, of type range (MGET's keys, MSET's key-value
// pairs), so that a part is the arguments before the first key, this
// node's key groups (each key and the step-1 arguments after it), and the
// arguments after the last group. A count of keys (keynum) would have to
// be rewritten per part; the table refuses such a command (buildTable).
func splitSpec(cmd *Command) (commands.KeySpec, bool) {
	if len(cmd.Keys) != 1 || cmd.Keys[0].KeyNum {
		return commands.KeySpec{}, false
	}
	return cmd.Keys[0], true
}

// scatter splits args by the owner of each key's slot under table t, runs
// the parts and appends the merged reply to c.reply. c.keyPos holds the
// positions of args's keys (run found them); each part gets the arguments
// around the keys and the step group of each of its keys, as the
// command's key spec places them.
func (s *Server) scatter(c *Client, e *entry, args [][]byte, t *ring.Table) {
	c.ranAway = true
	spec, _ := splitSpec(e.Command)
	step := max(spec.Step, 1)
	keys := c.keyPos
	head := args[:keys[0]]                                // the name and what precedes the first key
	tail := args[min(keys[len(keys)-1]+step, len(args)):] // what follows the last group
	self := s.cluster.ID()
	var parts []*scatterPart
	byOwner := make(map[ring.NodeID]*scatterPart)
	nkeys := 0
	for _, i := range keys {
		owner, _ := s.cluster.Route(ring.KeySlot(args[i]))
		if owner == "" {
			c.reply.Error(errSlotNotServed)
			return
		}
		p := byOwner[owner]
		if p == nil {
			p = &scatterPart{owner: owner, args: append(make([][]byte, 0, len(head)+len(args)/len(keys)+len(tail)), head...)}
			byOwner[owner] = p
			parts = append(parts, p)
		}
		p.args = append(p.args, args[i:min(i+step, len(args))]...)
		p.idx = append(p.idx, nkeys)
		nkeys++
	}
	for _, p := range parts {
		p.args = append(p.args, tail...)
	}
	if e.Flags&FlagWrite != 0 && !s.cluster.WaitHealthyAt(time.Time{}) {
		c.reply.Error(errWriteMinority)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	resp3 := c.RESP3()
	var wg sync.WaitGroup
	for _, p := range parts {
		if p.owner == self {
			continue // run below, on this goroutine
		}
		wg.Add(1)
		s.cstats.forwardsSent.Add(1)
		go func() { // owned by this call: joined by wg.Wait below, bounded by ctx
			defer wg.Done()
			var r [][]byte
			if r, p.err = s.events.Forward(ctx, &c.ev, p.owner, resp3, [][][]byte{p.args}); p.err == nil {
				p.reply = r[0]
			}
		}()
	}
	if p := byOwner[self]; p != nil {
		p.reply = s.runInternal(resp3, p.args, nil, c)
	}
	wg.Wait()
	for _, p := range parts { // first failure in key order wins
		if p.err != nil {
			c.reply.Error(forwardError(p.owner, p.err))
			return
		}
		if topology.IsMoved(p.reply) {
			c.reply.Error(fmt.Sprintf("TRYAGAIN keys of %s are moving between nodes, try again", e.Name))
			return
		}
		if len(p.reply) > 0 && p.reply[0] == '-' {
			c.reply.Raw(p.reply)
			return
		}
	}
	merged := make([]commands.Part, len(parts))
	for i, p := range parts {
		merged[i] = commands.Part{From: string(p.owner), Reply: p.reply, Keys: p.idx}
	}
	if err := e.MergeReplies(&c.reply, merged, nkeys); err != nil {
		s.log.Error("merge split command", "cmd", e.Name, "err", err)
		c.reply.Error(fmt.Sprintf(errInternalFormat, e.Name))
	}
}
