package topology

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// ErrUnknownNode is Replicas' error for an ID the topology lacks; the
// handler words it as Redis does.
var ErrUnknownNode = errors.New("unknown node")

// Info is CLUSTER INFO. The message counters are the server's: the
// handler fills them before writing the text.
type Info struct {
	State         string // "ok" or "fail"
	SlotsAssigned int
	SlotsOK       int
	SlotsFail     int
	KnownNodes    int
	Size          int // nodes that lead slots
	CurrentEpoch  uint64
	MyEpoch       uint64
	// MessagesSent and MessagesReceived count meshcache's internode
	// messages for clients: forwarded-command calls, sent (batches count
	// once) and received.
	MessagesSent     int64
	MessagesReceived int64
}

// Info returns CLUSTER INFO's fields, the message counters left 0. The
// state is ok when there is a table, this node is healthy, every slot is
// assigned and every primary is alive.
func (tp *Topology) Info() Info {
	in := Info{
		State:         "fail",
		SlotsAssigned: tp.assigned,
		SlotsOK:       tp.assigned - tp.failed,
		SlotsFail:     tp.failed,
		KnownNodes:    len(tp.nodes),
		CurrentEpoch:  tp.epoch,
		MyEpoch:       tp.configEpoch(tp.self()),
	}
	if tp.hasTable && tp.healthy && tp.assigned == ring.SlotCount && tp.failed == 0 {
		in.State = "ok"
	}
	for _, n := range tp.nodes {
		if n.NSlots > 0 {
			in.Size++
		}
	}
	return in
}

// String is the text of CLUSTER INFO, one "name:value\r\n" field a line.
func (in Info) String() string {
	var b strings.Builder
	field := func(name string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", name, v) }
	field("cluster_state", in.State)
	field("cluster_slots_assigned", in.SlotsAssigned)
	field("cluster_slots_ok", in.SlotsOK)
	field("cluster_slots_pfail", 0)
	field("cluster_slots_fail", in.SlotsFail)
	field("cluster_known_nodes", in.KnownNodes)
	field("cluster_size", in.Size)
	field("cluster_current_epoch", in.CurrentEpoch)
	field("cluster_my_epoch", in.MyEpoch)
	field("cluster_stats_messages_sent", in.MessagesSent)
	field("cluster_stats_messages_received", in.MessagesReceived)
	field("total_cluster_links_buffer_limit_exceeded", 0)
	return b.String()
}

// NodesText is CLUSTER NODES: one master line per node, by ID, with the
// slots it leads (see the package comment). now is the pong time shown
// for alive peers.
func (tp *Topology) NodesText(now time.Time) string {
	ms := now.UnixMilli()
	var b strings.Builder
	for _, n := range tp.nodes {
		tp.nodeLine(&b, n, ms)
	}
	return b.String()
}

// Replicas is CLUSTER REPLICAS <id>: every node is a master without node
// replicas (the package comment), so the list is empty for a known ID; an
// ID the topology lacks is ErrUnknownNode.
func (tp *Topology) Replicas(id ring.NodeID) ([]string, error) {
	if tp.byID[id] == nil {
		return nil, ErrUnknownNode
	}
	return []string{}, nil
}

// nodeLine writes n as one line of CLUSTER NODES: a master with the slots
// it leads.
func (tp *Topology) nodeLine(b *strings.Builder, n *Node, now int64) {
	b.WriteString(string(n.ID))
	b.WriteByte(' ')
	b.WriteString(net.JoinHostPort(n.Host, strconv.Itoa(n.Port)))
	b.WriteByte('@')
	b.WriteString(strconv.Itoa(n.CPort))
	b.WriteByte(' ')
	if n.Self {
		b.WriteString("myself,")
	}
	b.WriteString("master")
	if !n.Alive {
		b.WriteString(",fail")
	}
	pong := int64(0)
	if n.Alive && !n.Self {
		pong = now
	}
	link := "connected"
	if !n.Alive {
		link = "disconnected"
	}
	b.WriteString(" - 0 ")
	b.WriteString(strconv.FormatInt(pong, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(tp.configEpoch(n), 10))
	b.WriteByte(' ')
	b.WriteString(link)
	for _, r := range n.Ranges {
		b.WriteByte(' ')
		b.WriteString(r.String())
	}
	if n.Self {
		for _, o := range tp.open {
			b.WriteByte(' ')
			b.WriteString(o)
		}
	}
	b.WriteByte('\n')
}
