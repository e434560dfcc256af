package server

import (
	"context"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/server/scatter"
	"github.com/meshcache/meshcache/server/topology"
)

// scatter runs a multi_shard command whose keys this node's routing puts
// on several nodes (package scatter) and appends the merged reply, or the
// first failure in key order, to c.reply. c.keyPos holds the positions of
// args's keys (run found them).
func (s *Server) scatter(c *Client, e *entry, args [][]byte) {
	c.ranAway = true
	parts := scatter.Split(e.Command, args, c.keyPos, func(slot uint16) ring.NodeID {
		owner, _ := s.cluster.Route(slot)
		return owner
	})
	if parts == nil {
		c.reply.Error(route.ErrSlotNotServed)
		return
	}
	if e.Flags&FlagWrite != 0 && !s.cluster.WaitHealthyAt(time.Time{}) {
		c.reply.Error(route.ErrWriteMinority)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), route.ForwardTimeout)
	defer cancel()
	scatter.Run(ctx, parts, s.cluster.ID(), scatterRunner{s, c})
	for _, p := range parts { // first failure in key order wins
		switch {
		case p.Err != nil:
			c.reply.Error(route.ForwardError(p.Owner, p.Err))
			return
		case topology.IsMoved(p.Reply):
			c.reply.Error(fmt.Sprintf("TRYAGAIN keys of %s are moving between nodes, try again", e.Name))
			return
		case len(p.Reply) > 0 && p.Reply[0] == '-':
			c.reply.Raw(p.Reply)
			return
		}
	}
	if err := e.MergeReplies(&c.reply, scatter.Merged(parts), len(c.keyPos)); err != nil {
		s.log.Error("merge split command", "cmd", e.Name, "err", err)
		c.reply.Error(fmt.Sprintf(errInternalFormat, e.Name))
	}
}

// scatterRunner runs client c's parts: this node's on an internal client
// that tracks its reads for c, the others' forwarded as c's (its tracking
// marker first).
type scatterRunner struct {
	s *Server
	c *Client
}

func (r scatterRunner) Local(args [][]byte) []byte {
	return r.s.runInternal(r.c.RESP3(), args, nil, r.c)
}

func (r scatterRunner) Remote(ctx context.Context, owner ring.NodeID, args [][]byte) ([]byte, error) {
	r.s.cstats.forwardsSent.Add(1)
	replies, err := r.s.events.Forward(ctx, &r.c.ev, owner, r.c.RESP3(), [][][]byte{args})
	if err != nil {
		return nil, err
	}
	return replies[0], nil
}
