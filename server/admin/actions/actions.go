// Package actions runs the operator actions of the admin port's console
// (POST /api/actions): drain and remove a node (CLUSTER LEAVE on it), move
// the slots a node replicates to it (CLUSTER FAILOVER on it), and set
// migration-rate on every member (CONFIG SET). An action is a command sent
// to the node's client port, then watched in the routing table until it is
// done; one action runs at a time per admin port.
//
// Checking a request (Check) and judging its progress (Progress) are pure:
// the cluster's state in, a decision out. The Runner owns the one goroutine
// that sends the command and watches.
package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
)

// The actions.
const (
	Drain         = "drain"          // CLUSTER LEAVE on Node: hand off its slots, leave, stop
	Failover      = "failover"       // CLUSTER FAILOVER on Node: it leads the slots it replicates
	MigrationRate = "migration-rate" // CONFIG SET migration-rate Value on every alive member
)

// Request is an action as the console posts it.
type Request struct {
	Action string `json:"action"`
	Node   string `json:"node,omitempty"`  // the node acted on (drain, failover)
	Value  string `json:"value,omitempty"` // the new setting (migration-rate)
}

// Error is a refused request: Status is the HTTP status that says why
// (400 malformed, 404 unknown node, 409 conflicting with the cluster's
// state or with an action running).
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// MaxBody bounds a request's JSON.
const MaxBody = 4096

// Parse reads a request's JSON: unknown fields and trailing data are
// malformed.
func Parse(body []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, refuse(400, "malformed request: %v", err)
	}
	if dec.More() {
		return r, refuse(400, "malformed request: data after the JSON object")
	}
	return r, nil
}

// State is what Check and Progress judge by.
type State struct {
	Self    ring.NodeID // the node whose console it is
	Members []cluster.NodeInfo
	Table   *ring.Table // nil before the first
}

func (s State) member(id ring.NodeID) (cluster.NodeInfo, bool) {
	i := slices.IndexFunc(s.Members, func(m cluster.NodeInfo) bool { return m.ID == id })
	if i < 0 {
		return cluster.NodeInfo{}, false
	}
	return s.Members[i], true
}

// Check says whether r may start in state s. Pure.
func Check(r Request, s State) error {
	switch r.Action {
	case Drain, Failover:
		if r.Value != "" {
			return refuse(400, "%s takes a node, not a value", r.Action)
		}
		id := ring.NodeID(r.Node)
		if err := id.Validate(); err != nil {
			return refuse(400, "bad node id %q: %v", r.Node, err)
		}
		m, ok := s.member(id)
		if !ok {
			return refuse(404, "unknown node id %s", r.Node)
		}
		if !m.Alive {
			return refuse(409, "node %s is down", r.Node)
		}
		if r.Action == Drain {
			if id == s.Self {
				return refuse(400, "node %s serves this console: drain it from another node's console", r.Node)
			}
			if m.State == cluster.StateDraining {
				return refuse(409, "node %s is already draining", r.Node)
			}
			return nil
		}
		if s.Table == nil || len(s.Table.ReplicaSlots(id)) == 0 {
			return refuse(409, "node %s replicates no slot it could take over", r.Node)
		}
		return nil
	case MigrationRate:
		if r.Node != "" {
			return refuse(400, "migration-rate is set on every node: give a value, not a node")
		}
		if n, ok := config.ParseMemory(r.Value); !ok || n < 0 {
			return refuse(400, "bad migration-rate %q: want bytes per second, or with a unit (4mb)", r.Value)
		}
		return nil
	case "":
		return refuse(400, "missing action: want %s, %s or %s", Drain, Failover, MigrationRate)
	default:
		return refuse(400, "unknown action %q: want %s, %s or %s", r.Action, Drain, Failover, MigrationRate)
	}
}

// Progress is how far a running action got.
type Progress struct {
	Done bool
	Text string
}

// DrainProgress judges a drain of id: done once the routing table no
// longer names it and it left the gossip (it stops after handing off). Pure.
func DrainProgress(id ring.NodeID, s State) Progress {
	if s.Table == nil {
		return Progress{Text: "no routing table"}
	}
	m, known := s.member(id)
	if _, in := s.Table.Member(id); !in {
		if known && m.Alive {
			return Progress{Text: "slots handed off; waiting for the node to leave"}
		}
		return Progress{Done: true, Text: "node handed off its slots and left"}
	}
	led, all := len(s.Table.PrimarySlots(id)), len(s.Table.SlotsOf(id))
	if known && !m.Alive {
		return Progress{Text: fmt.Sprintf("node stopped; %d slots still named for it until the table drops it", all)}
	}
	return Progress{Text: fmt.Sprintf("%d slots still led, %d replica slots still held", led, all-led)}
}

// FailoverProgress judges a failover onto id of the slots it replicated
// when it started (want): done once it leads all of them. Pure.
func FailoverProgress(id ring.NodeID, want []uint16, s State) Progress {
	if s.Table == nil {
		return Progress{Text: "no routing table"}
	}
	got := 0
	for _, slot := range want {
		if s.Table.Primary(slot) == id {
			got++
		}
	}
	return Progress{Done: got == len(want), Text: fmt.Sprintf("%d of %d slots moved", got, len(want))}
}

// errBusy: an action is running.
var errBusy = errors.New("an action is running")
