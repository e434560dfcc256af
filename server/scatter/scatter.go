// Package scatter splits a multi-key command whose keys live on several
// nodes (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH: the request_policy
// multi_shard commands) by owner, and runs the parts at the same time:
// each node gets one command with its own keys, this node's part runs on
// the calling goroutine. The replies are merged in the order of the keys
// by the command's response policy (commands.MergeReplies). Each part is
// atomic on its node; the whole is not, as docs/DESIGN.md §1 says (Redis
// Cluster would answer -CROSSSLOT instead).
package scatter

import (
	"context"
	"sync"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
)

// Part is the piece of a split command that goes to one node.
type Part struct {
	Owner ring.NodeID
	Args  [][]byte // the command's arguments with only this node's key groups
	Keys  []int    // for each key of Args, its position among the command's keys
	Reply []byte   // Run's result: the raw reply, or
	Err   error    // the failure to get one
}

// Spec returns the key spec a multi_shard command is split by: it must
// have exactly one, of type range (MGET's keys, MSET's key-value pairs),
// so that a part is the arguments before the first key, this node's key
// groups (each key and the step-1 arguments after it), and the arguments
// after the last group. A count of keys (keynum) would have to be
// rewritten per part; the command table refuses such a command.
func Spec(cmd *commands.Command) (commands.KeySpec, bool) {
	if len(cmd.Keys) != 1 || cmd.Keys[0].KeyNum {
		return commands.KeySpec{}, false
	}
	return cmd.Keys[0], true
}

// Split splits args by the owner of each key's slot (owner; "" for a slot
// no node serves, which makes Split return nil): keys are the positions of
// args's keys, as cmd's key spec finds them. The parts come in the order of
// their first key.
func Split(cmd *commands.Command, args [][]byte, keys []int, owner func(slot uint16) ring.NodeID) []*Part {
	spec, _ := Spec(cmd)
	step := max(spec.Step, 1)
	head := args[:keys[0]]                                // the name and what precedes the first key
	tail := args[min(keys[len(keys)-1]+step, len(args)):] // what follows the last group
	var parts []*Part
	byOwner := make(map[ring.NodeID]*Part)
	for n, i := range keys {
		o := owner(ring.KeySlot(args[i]))
		if o == "" {
			return nil
		}
		p := byOwner[o]
		if p == nil {
			p = &Part{Owner: o, Args: append(make([][]byte, 0, len(head)+len(args)/len(keys)+len(tail)), head...)}
			byOwner[o] = p
			parts = append(parts, p)
		}
		p.Args = append(p.Args, args[i:min(i+step, len(args))]...)
		p.Keys = append(p.Keys, n)
	}
	for _, p := range parts {
		p.Args = append(p.Args, tail...)
	}
	return parts
}

// Runner runs the parts of a split command.
type Runner interface {
	// Local runs args on this node and returns its raw reply.
	Local(args [][]byte) []byte
	// Remote runs args on node owner and returns its raw reply.
	Remote(ctx context.Context, owner ring.NodeID, args [][]byte) ([]byte, error)
}

// Run runs the parts at the same time, self's (if any) with r.Local on
// the calling goroutine and the others' with r.Remote, each on a goroutine
// of this call, bounded by ctx; it returns once every part has its Reply
// or Err.
func Run(ctx context.Context, parts []*Part, self ring.NodeID, r Runner) {
	var wg sync.WaitGroup
	var mine *Part
	for _, p := range parts {
		if p.Owner == self {
			mine = p
			continue
		}
		wg.Go(func() { p.Reply, p.Err = r.Remote(ctx, p.Owner, p.Args) })
	}
	if mine != nil {
		mine.Reply = r.Local(mine.Args)
	}
	wg.Wait()
}

// Merged returns the parts as commands.MergeReplies takes them.
func Merged(parts []*Part) []commands.Part {
	out := make([]commands.Part, len(parts))
	for i, p := range parts {
		out[i] = commands.Part{From: string(p.Owner), Reply: p.Reply, Keys: p.Keys}
	}
	return out
}
