package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// readClass is how one node's read of a key compares with the model.
type readClass uint8

const (
	readOK          readClass = iota // a state the history allows
	readLost                         // an acked SET is missing or an older value shows
	readResurrected                  // an acked DEL's key is present
	readUnexpected                   // a value the history cannot explain
)

func (c readClass) String() string {
	return [...]string{"ok", "lost", "resurrected", "unexpected"}[c]
}

// keyState is a key's value as read: present or not.
type keyState struct {
	present bool
	value   string
}

func (s keyState) String() string {
	if !s.present {
		return "(absent)"
	}
	return fmt.Sprintf("%q", s.value)
}

// lastAcked returns the index of the last acknowledged operation, or -1.
func (h *keyHistory) lastAcked() int {
	for i := len(h.ops) - 1; i >= 0; i-- {
		if h.ops[i].outcome == acked {
			return i
		}
	}
	return -1
}

// stateAfter is the key's state once operation i took effect (-1: never
// written).
func (h *keyHistory) stateAfter(i int) keyState {
	if i < 0 || h.ops[i].del {
		return keyState{}
	}
	return keyState{present: true, value: h.ops[i].value}
}

// allowed lists the states a correct cluster may show once all operations
// have ended: the state after the last acknowledged operation, or after any
// later operation whose outcome is unknown. Failed operations never took
// effect.
func (h *keyHistory) allowed() []keyState {
	a := h.lastAcked()
	out := []keyState{h.stateAfter(a)}
	for i := a + 1; i < len(h.ops); i++ {
		if h.ops[i].outcome == unknown {
			out = append(out, h.stateAfter(i))
		}
	}
	return out
}

// classify judges one read of the key.
func (h *keyHistory) classify(got keyState) readClass {
	for _, s := range h.allowed() {
		if s == got {
			return readOK
		}
	}
	a := h.lastAcked()
	if a >= 0 && !h.ops[a].del {
		if !got.present {
			return readLost
		}
		for i := 0; i < a; i++ {
			if !h.ops[i].del && h.ops[i].value == got.value {
				return readLost // an older value: the acked overwrite is gone
			}
		}
		return readUnexpected
	}
	if a >= 0 && h.ops[a].del && got.present {
		for i := 0; i < a; i++ {
			if !h.ops[i].del && h.ops[i].value == got.value {
				return readResurrected
			}
		}
	}
	return readUnexpected
}

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
	states []keyState
	errs   []error
}

// judge compares every node's reads with the histories.
func judge(hs []*keyHistory, reads []nodeRead) verdict {
	v := verdict{keys: len(hs), nodes: len(reads)}
	example := func(format string, args ...any) {
		if len(v.examples) < 8 {
			v.examples = append(v.examples, fmt.Sprintf(format, args...))
		}
	}
	for i, h := range hs {
		var classes []readClass
		var first string
		readErr := false
		for _, r := range reads {
			if r.errs[i] != nil {
				readErr = true
				continue
			}
			c := h.classify(r.states[i])
			classes = append(classes, c)
			if c != readOK && first == "" {
				first = fmt.Sprintf("%s on %s: read %s, %s", h.key, r.node, r.states[i], h.describe())
			}
		}
		if readErr {
			v.readErrors++
		}
		bad := 0
		for _, c := range classes {
			if c != readOK {
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
			case readLost:
				v.lost++
			case readResurrected:
				v.resurrected++
			default:
				v.unexpected++
			}
			example("%s: %s", classes[0], first)
		}
	}
	return v
}

// describe renders a key's history for failure messages.
func (h *keyHistory) describe() string {
	parts := make([]string, len(h.ops))
	for i, op := range h.ops {
		if op.del {
			parts[i] = fmt.Sprintf("DEL %s @%s", op.outcome, op.at)
		} else {
			parts[i] = fmt.Sprintf("SET %q %s @%s", op.value, op.outcome, op.at)
		}
	}
	return "history [" + strings.Join(parts, ", ") + "]"
}

// readBack reads every key from node n with pipelined GETs.
func readBack(ctx context.Context, n *node, hs []*keyHistory) (nodeRead, error) {
	r := nodeRead{node: n.name, states: make([]keyState, len(hs)), errs: make([]error, len(hs))}
	const batch = 500
	for lo := 0; lo < len(hs); lo += batch {
		hi := min(lo+batch, len(hs))
		bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cmds, err := n.client.Pipelined(bctx, func(p redis.Pipeliner) error {
			for _, h := range hs[lo:hi] {
				p.Get(bctx, h.key)
			}
			return nil
		})
		cancel()
		if len(cmds) != hi-lo {
			return r, fmt.Errorf("read back from %s: %w", n.name, err)
		}
		for j, cmd := range cmds {
			v, err := cmd.(*redis.StringCmd).Result()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				r.errs[lo+j] = err
			default:
				r.states[lo+j] = keyState{present: true, value: v}
			}
		}
	}
	return r, nil
}

// checkAll reads every key back from every node and judges the result.
func checkAll(ctx context.Context, nodes []*node, hs []*keyHistory) (verdict, error) {
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
