// Package history is the model that the fault tests judge a cluster by: a
// client's record of every operation on its keys and what it learned of
// each, and the rules that say which states a correct cluster may show
// afterwards. Both tests/ (real processes) and tests/chaos (containers)
// record through it.
//
// An acknowledged operation must take effect; a failed one (it never
// reached a node) must not; an unknown one (error reply, timeout, broken
// connection) may or may not, so a writer retires a key after one: nothing
// written to it later could be judged.
package history

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Outcome is what a client learned about one operation.
type Outcome uint8

const (
	// Acked: the node replied success; the operation must take effect.
	Acked Outcome = iota
	// Failed: the operation never reached a node (the dial failed); it
	// must not take effect.
	Failed
	// Unknown: anything else; it may or may not take effect.
	Unknown
)

func (o Outcome) String() string { return [...]string{"acked", "failed", "unknown"}[o] }

// Classify maps a go-redis command's error to its outcome.
func Classify(err error) Outcome {
	if err == nil {
		return Acked
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return Failed
	}
	if errors.Is(err, redis.ErrPoolTimeout) {
		return Failed
	}
	return Unknown
}

// Op is one operation on a key: SET key Value, or DEL key.
type Op struct {
	Del     bool
	Value   string
	Outcome Outcome
	At      time.Duration // when it ended, since the writer started
}

// Key is every operation issued on one key, in order. One writer owns a
// key and retires it after an unknown outcome, so only its last
// operation can be unknown.
type Key struct {
	Name string
	Ops  []Op
}

// State is a key's value as read: present or not.
type State struct {
	Present bool
	Value   string
}

func (s State) String() string {
	if !s.Present {
		return "(absent)"
	}
	return fmt.Sprintf("%q", s.Value)
}

// Class is how one read of a key compares with its history.
type Class uint8

const (
	OK          Class = iota // a state the history allows
	Lost                     // an acked SET is missing, or an older value shows
	Resurrected              // an acked DEL's key is present with an older value
	Unexpected               // a value the history cannot explain
)

func (c Class) String() string { return [...]string{"ok", "lost", "resurrected", "unexpected"}[c] }

// LastAcked returns the index of the last acknowledged operation, or -1.
func (h *Key) LastAcked() int {
	for i := len(h.Ops) - 1; i >= 0; i-- {
		if h.Ops[i].Outcome == Acked {
			return i
		}
	}
	return -1
}

// StateAfter is the key's state once operation i took effect (-1: never
// written).
func (h *Key) StateAfter(i int) State {
	if i < 0 || h.Ops[i].Del {
		return State{}
	}
	return State{Present: true, Value: h.Ops[i].Value}
}

// Retired reports whether the key's last operation has an unknown outcome.
func (h *Key) Retired() bool {
	return len(h.Ops) > 0 && h.Ops[len(h.Ops)-1].Outcome == Unknown
}

// Allowed lists the states a correct cluster may show once all operations
// have ended: the state after the last acknowledged operation, or after any
// later operation whose outcome is unknown. Failed operations never took
// effect.
func (h *Key) Allowed() []State {
	a := h.LastAcked()
	out := []State{h.StateAfter(a)}
	for i := a + 1; i < len(h.Ops); i++ {
		if h.Ops[i].Outcome == Unknown {
			out = append(out, h.StateAfter(i))
		}
	}
	return out
}

// Classify judges one read of the key.
func (h *Key) Classify(got State) Class {
	for _, s := range h.Allowed() {
		if s == got {
			return OK
		}
	}
	a := h.LastAcked()
	older := func() bool { // got is a value written before the last ack
		for i := 0; i < a; i++ {
			if !h.Ops[i].Del && h.Ops[i].Value == got.Value {
				return true
			}
		}
		return false
	}
	switch {
	case a >= 0 && !h.Ops[a].Del && (!got.Present || older()):
		return Lost
	case a >= 0 && h.Ops[a].Del && got.Present && older():
		return Resurrected
	}
	return Unexpected
}

// Describe renders the key's history for failure messages.
func (h *Key) Describe() string {
	parts := make([]string, len(h.Ops))
	for i, op := range h.Ops {
		if op.Del {
			parts[i] = fmt.Sprintf("DEL %s @%s", op.Outcome, op.At)
		} else {
			parts[i] = fmt.Sprintf("SET %q %s @%s", op.Value, op.Outcome, op.At)
		}
	}
	return "history [" + strings.Join(parts, ", ") + "]"
}
