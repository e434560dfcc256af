// Package clusterview is the whole cluster as one node's admin port shows
// it (GET /api/cluster, the console, `meshcache status`): every member with
// its figures, the slot map and the recent cluster events.
//
// The node asked gathers each member's Report over the cluster port
// (Gather, with a deadline: a member that does not answer in time is marked
// unreachable, never fatal) and shapes the reports, the routing table and
// the member list into a View (Shape, pure: state in, view out). The View's
// JSON is the API; its field names are kept stable for scripts.
package clusterview

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/ring"
)

// Report is one node's own figures, as it answers a peer's ask
// (cluster.Node.AskReport; JSON on the wire).
type Report struct {
	At          time.Time `json:"at"`
	Version     string    `json:"version"`
	UptimeSec   float64   `json:"uptime_sec"`
	Ready       bool      `json:"ready"`
	ReadyReason string    `json:"ready_reason"`

	Keys       int64   `json:"keys"`
	Expires    int64   `json:"expires"`
	UsedMemory int64   `json:"used_memory"`
	MaxMemory  int64   `json:"maxmemory"` // 0: no limit
	OpsPerSec  float64 `json:"ops_per_sec"`
	Clients    int64   `json:"connected_clients"`
	Processed  int64   `json:"commands_processed"`
	Hits       int64   `json:"keyspace_hits"`
	Misses     int64   `json:"keyspace_misses"`
	HitRatio   float64 `json:"hit_ratio"` // hits / (hits + misses); 0 with no lookups
	Evicted    int64   `json:"evicted_keys"`
	Expired    int64   `json:"expired_keys"`
	// LatencyP50 and LatencyP99 are command run times in microseconds over
	// the last few seconds (power-of-two buckets: within a factor of 2).
	LatencyP50 float64 `json:"latency_p50_us"`
	LatencyP99 float64 `json:"latency_p99_us"`

	// Replication: entries sent to replicas not yet acknowledged (the
	// lag), led slots with no synced replica, replica slots still syncing.
	ReplLag        int `json:"repl_lag_entries"`
	DegradedSlots  int `json:"degraded_slots"`
	ReplicaSynced  int `json:"replica_slots_synced"`
	ReplicaSyncing int `json:"replica_slots_syncing"`
	// Migration: slot transfers running now, their rate, slots handed off.
	Transfers     int     `json:"transfers_running"`
	TransfersDone int64   `json:"transfers_done"`
	TransferRate  float64 `json:"transfer_bytes_per_sec"`
	Handoffs      int64   `json:"slots_handed_off"`

	// Events are the cluster events recorded at this node.
	Events []events.Event `json:"events,omitempty"`
}

// Member is one member of the cluster in the view.
type Member struct {
	ID          string `json:"id"`
	ClientAddr  string `json:"client_addr"`
	ClusterAddr string `json:"cluster_addr"`
	State       string `json:"state"`    // joining, serving, draining
	Alive       bool   `json:"alive"`    // gossip sees it alive
	Self        bool   `json:"self"`     // the node that answered
	Epoch       uint64 `json:"epoch"`    // routing table epoch it reports
	InTable     bool   `json:"in_table"` // the routing table names it
	Led         int    `json:"slots_led"`
	Replicated  int    `json:"slots_replicated"`
	// Reachable: it answered the ask in time; Report holds its figures.
	// Otherwise Error says why not and Report is nil.
	Reachable bool    `json:"reachable"`
	Error     string  `json:"error,omitempty"`
	Report    *Report `json:"report,omitempty"`
}

// SlotRange is a maximal range of consecutive slots with the same owners
// and state. Owners index View.Members; -1 is a node the member list does
// not know (yet).
type SlotRange struct {
	Start    uint16 `json:"start"`
	End      uint16 `json:"end"`
	Primary  int    `json:"primary"`
	Replicas []int  `json:"replicas"`
	// State is stable, migrating (its primary is handing it to Peer) or
	// importing (its primary took it over from Peer).
	State string `json:"state"`
	Peer  int    `json:"peer,omitempty"`
}

// Event is a cluster event with the member that recorded it.
type Event struct {
	events.Event
	Observer string `json:"observer"`
}

// Totals sums the reachable members' figures.
type Totals struct {
	Keys       int64   `json:"keys"`
	UsedMemory int64   `json:"used_memory"`
	MaxMemory  int64   `json:"maxmemory"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	Clients    int64   `json:"connected_clients"`
	Alive      int     `json:"alive"`
	Dead       int     `json:"dead"`
	Unreached  int     `json:"unreachable"`
	Moving     int     `json:"slots_moving"`
}

// View is the whole cluster as one node sees it at one moment.
type View struct {
	At        time.Time   `json:"at"`
	Node      string      `json:"node"` // the member that answered
	Epoch     uint64      `json:"epoch"`
	Healthy   bool        `json:"healthy"`
	Assigned  int         `json:"slots_assigned"`
	SlotCount int         `json:"slot_count"`
	Members   []Member    `json:"members"` // sorted by ID
	Slots     []SlotRange `json:"slots"`
	Events    []Event     `json:"events"` // oldest first, at most MaxEvents
	Totals    Totals      `json:"totals"`
}

// MaxEvents bounds the events a View carries.
const MaxEvents = 200

// Result is one member's answer to the ask: its report, or why there is
// none.
type Result struct {
	Report *Report
	Err    error
}

// Decode reads a report as a member sent it.
func Decode(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	return &r, nil
}

// Input is what Shape builds a View from.
type Input struct {
	At      time.Time
	Healthy bool
	Table   *ring.Table // nil before the first
	Members []cluster.NodeInfo
	Results map[ring.NodeID]Result // missing: not asked
}

// Shape builds the View from the member list, the routing table and the
// members' answers. Pure.
func Shape(in Input) View {
	v := View{At: in.At, Healthy: in.Healthy, SlotCount: ring.SlotCount, Slots: []SlotRange{}, Events: []Event{}}
	ms := slices.Clone(in.Members)
	slices.SortFunc(ms, func(a, b cluster.NodeInfo) int { return cmp.Compare(a.ID, b.ID) })
	index := make(map[ring.NodeID]int, len(ms))
	for i, m := range ms {
		index[m.ID] = i
		mv := Member{
			ID: string(m.ID), ClientAddr: m.ClientAddr, ClusterAddr: m.ClusterAddr,
			State: m.State.String(), Alive: m.Alive, Self: m.Self, Epoch: m.Epoch,
		}
		if m.Self {
			v.Node = mv.ID
		}
		if in.Table != nil {
			_, mv.InTable = in.Table.Member(m.ID)
			mv.Led = len(in.Table.PrimarySlots(m.ID))
			mv.Replicated = len(in.Table.ReplicaSlots(m.ID))
		}
		switch res, ok := in.Results[m.ID]; {
		case !ok:
			mv.Error = "not asked"
		case res.Err != nil:
			mv.Error = res.Err.Error()
		case res.Report == nil:
			mv.Error = "empty report"
		default:
			mv.Reachable, mv.Report = true, res.Report
			for _, e := range res.Report.Events {
				v.Events = append(v.Events, Event{Event: e, Observer: mv.ID})
			}
		}
		v.Members = append(v.Members, mv)
		v.Totals.add(mv)
	}
	if in.Table != nil {
		v.Epoch = in.Table.Epoch
		v.Assigned = in.Table.Assigned()
		v.Slots = slotRanges(in.Table, index)
		for _, r := range v.Slots {
			if r.State != ring.SlotStable.String() {
				v.Totals.Moving += int(r.End-r.Start) + 1
			}
		}
	}
	slices.SortStableFunc(v.Events, func(a, b Event) int { return a.At.Compare(b.At) })
	if len(v.Events) > MaxEvents {
		v.Events = v.Events[len(v.Events)-MaxEvents:]
	}
	return v
}

func (t *Totals) add(m Member) {
	if m.Alive {
		t.Alive++
	} else {
		t.Dead++
	}
	if !m.Reachable {
		t.Unreached++
		return
	}
	r := m.Report
	t.Keys += r.Keys
	t.UsedMemory += r.UsedMemory
	t.MaxMemory += r.MaxMemory
	t.OpsPerSec += r.OpsPerSec
	t.Clients += r.Clients
}

// slotRanges groups the table's assigned slots into maximal ranges of the
// same owners and state; index maps a node to its place in the members.
func slotRanges(t *ring.Table, index map[ring.NodeID]int) []SlotRange {
	pos := func(id ring.NodeID) int {
		if i, ok := index[id]; ok {
			return i
		}
		return -1
	}
	out := []SlotRange{}
	var owners []ring.NodeID
	for s := range ring.SlotCount {
		slot := uint16(s)
		owners = t.AppendOwners(owners[:0], slot)
		if len(owners) == 0 {
			continue
		}
		st := t.State(slot)
		r := SlotRange{Start: slot, End: slot, Primary: pos(owners[0]), Replicas: []int{}, State: st.Kind.String()}
		for _, id := range owners[1:] {
			r.Replicas = append(r.Replicas, pos(id))
		}
		if st.Kind != ring.SlotStable {
			r.Peer = pos(st.Peer)
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.End+1 == slot && last.Primary == r.Primary && last.State == r.State &&
				last.Peer == r.Peer && slices.Equal(last.Replicas, r.Replicas) {
				last.End = slot
				continue
			}
		}
		out = append(out, r)
	}
	return out
}
