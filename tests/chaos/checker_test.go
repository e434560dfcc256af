package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/tests/history"
)

// verdict sums up a read-back of every key from every live node. A key
// whose reads are wrong on every node that answered is lost, resurrected or
// unexpected (by the first node's read); a key that some nodes read right
// and others wrong is stale. readErrors counts keys some node could not
// read at all.
type verdict struct {
	keys, nodes                          int
	lost, resurrected, stale, unexpected int
	readErrors                           int
	examples                             []string
}

func (v verdict) String() string {
	return fmt.Sprintf("keys=%d read from %d nodes: lost=%d resurrected=%d stale=%d unexpected=%d read_errors=%d",
		v.keys, v.nodes, v.lost, v.resurrected, v.stale, v.unexpected, v.readErrors)
}

// clean reports whether nothing was lost, resurrected, stale or unexpected.
func (v verdict) clean() bool {
	return v.lost == 0 && v.resurrected == 0 && v.stale == 0 && v.unexpected == 0
}

// nodeRead is one node's reads of every key (a nil err means the key was
// read; a missing key is not an error).
type nodeRead struct {
	node   string
	states []history.State
	errs   []error
}

// judge compares every node's reads with the histories.
func judge(hs []*history.Key, reads []nodeRead) verdict {
	v := verdict{keys: len(hs), nodes: len(reads)}
	example := func(format string, args ...any) {
		if len(v.examples) < 8 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	for i, h := range hs {
		var classes []history.Class
		var first string
		readErr := false
		for _, r := range reads {
			if r.errs[i] != nil {
				if !readErr && v.readErrors < 3 {
					example("read error: %s on %s: %v", h.Name, r.node, r.errs[i])
				}
				readErr = true
				continue
			}
			c := h.Classify(r.states[i])
			classes = append(classes, c)
			if c != history.OK && first == "" {
				first = fmt.Sprintf("%s on %s: read %s, %s", h.Name, r.node, r.states[i], h.Describe())
			}
		}
		if readErr {
			v.readErrors++
		}
		bad := 0
		for _, c := range classes {
			if c != history.OK {
				bad++
			}
		}
		switch {
		case bad == 0:
		case bad < len(classes):
			v.stale++
			example("stale: %s", first)
		default:
			switch classes[0] {
			case history.Lost:
				v.lost++
			case history.Resurrected:
				v.resurrected++
			default:
				v.unexpected++
			}
			example("%s: %s", classes[0], first)
		}
	}
	return v
}

// readBack reads every key from node n with pipelined GETs.
func readBack(ctx context.Context, n *node, hs []*history.Key) (nodeRead, error) {
	states, errs, err := history.ReadBack(ctx, n.client, hs, 10*time.Second)
	if err != nil {
		return nodeRead{}, fmt.Errorf("read back from %s: %w", n.name, err)
	}
	return nodeRead{node: n.name, states: states, errs: errs}, nil
}

// checkAll reads every key back from every node and judges the result.
func checkAll(ctx context.Context, nodes []*node, hs []*history.Key) (verdict, error) {
	var reads []nodeRead
	for _, n := range nodes {
		r, err := readBack(ctx, n, hs)
		if err != nil {
			return verdict{}, err
		}
		reads = append(reads, r)
	}
	return judge(hs, reads), nil
}
