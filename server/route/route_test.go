package route

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
)

// The nodes of the tests' tables.
var (
	na = ring.NodeID(strings.Repeat("a", 40))
	nb = ring.NodeID(strings.Repeat("b", 40))
	nc = ring.NodeID(strings.Repeat("c", 40))
)

// table returns a routing table naming the members na, nb and nc at
// client addresses 127.0.0.1:7001 ... 7003.
func table(t *testing.T) *ring.Table {
	var members []ring.Member
	for i, id := range []ring.NodeID{na, nb, nc} {
		members = append(members, ring.Member{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7001+i),
			ClusterAddr: fmt.Sprintf("127.0.0.1:%d", 17001+i)})
	}
	tb, err := ring.NewTable(1, na, members)
	require.NoError(t, err)
	return tb
}

func TestKeyed(t *testing.T) {
	tb := table(t)
	base := Cmd{Table: tb, Self: na, Owner: nb}
	for _, tc := range []struct {
		name   string
		change func(*Cmd)
		want   Verdict
	}{
		{"led elsewhere: forwarded", nil, Verdict{Do: Forward}},
		{"led here", func(c *Cmd) { c.Owner = na }, Verdict{Do: Here}},
		{"no table yet", func(c *Cmd) { c.Table = nil; c.Owner = na }, Verdict{Do: Refuse, Err: ErrClusterDown}},
		{"a slot led by none", func(c *Cmd) { c.Owner = "" }, Verdict{Do: Refuse, Err: ErrSlotNotServed}},
		{"led here and elsewhere", func(c *Cmd) { c.Owner, c.Spans = na, true }, Verdict{Do: Refuse, Err: ErrCrossSlot}},
		{"--cluster-redirect", func(c *Cmd) { c.Redirect = true }, Verdict{Do: Moved}},
		{"forwarded here: never again", func(c *Cmd) { c.Forwarded = true }, Verdict{Do: Moved}},
		{"forwarded here, led here", func(c *Cmd) { c.Forwarded, c.Owner = true, na }, Verdict{Do: Here}},
		{"must not wait", func(c *Cmd) { c.NoWait = true }, Verdict{Do: Decline}},
		{"must not wait, led here", func(c *Cmd) { c.NoWait, c.Owner = true, na }, Verdict{Do: Here}},
		{"redirect before decline", func(c *Cmd) { c.NoWait, c.Redirect = true, true }, Verdict{Do: Moved}},
		{"must not wait, forwarded without waiting", func(c *Cmd) { c.NoWait, c.Async = true, true }, Verdict{Do: Forward}},
		{"must not wait, WATCH elsewhere", func(c *Cmd) { c.NoWait, c.Async, c.Watches = true, true, true }, Verdict{Do: Decline}},
		{"must not wait, split", func(c *Cmd) { c.NoWait, c.Async, c.Splittable, c.Spans = true, true, true, true }, Verdict{Do: Decline}},
		{"must not wait, across nodes", func(c *Cmd) { c.NoWait, c.Async, c.Spans = true, true, true }, Verdict{Do: Decline}},
		{"redirect before forward", func(c *Cmd) { c.NoWait, c.Async, c.Redirect = true, true, true }, Verdict{Do: Moved}},
		{"WATCH elsewhere", func(c *Cmd) { c.Watches = true }, Verdict{Do: Watch}},
		{"WATCH across nodes", func(c *Cmd) { c.Watches, c.Spans = true, true }, Verdict{Do: Refuse, Err: ErrWatchNodes}},
		{"multi_shard across nodes", func(c *Cmd) { c.Splittable, c.Spans = true, true }, Verdict{Do: Scatter}},
		{"multi_shard on one node", func(c *Cmd) { c.Splittable = true }, Verdict{Do: Forward}},
		{"multi_shard here", func(c *Cmd) { c.Splittable, c.Owner = true, na }, Verdict{Do: Here}},
	} {
		c := base
		if tc.change != nil {
			tc.change(&c)
		}
		assert.Equal(t, tc.want, Keyed(c), tc.name)
	}
}

func TestOwner(t *testing.T) {
	leaders := map[uint16]ring.NodeID{1: na, 2: na, 3: nb, 4: ""}
	route := func(slot uint16) (ring.NodeID, bool) { return leaders[slot], leaders[slot] == na }
	for _, tc := range []struct {
		slots []uint16
		owner ring.NodeID
		spans bool
	}{
		{[]uint16{1}, na, false},
		{[]uint16{1, 2}, na, false},
		{[]uint16{1, 3}, na, true},
		{[]uint16{3, 1, 2}, nb, true},
		{[]uint16{1, 4}, "", false},
		{[]uint16{1, 3, 4}, "", true},
		{[]uint16{4, 1}, "", true},
	} {
		owner, spans := Owner(tc.slots, route)
		assert.Equal(t, tc.owner, owner, "%v", tc.slots)
		assert.Equal(t, tc.spans, spans, "%v", tc.slots)
	}
}

func TestExec(t *testing.T) {
	tb := table(t)
	base := Txn{Table: tb, Self: na, Owner: nb}
	for _, tc := range []struct {
		name   string
		change func(*Txn)
		want   Verdict
	}{
		{"led elsewhere: the block is forwarded", nil, Verdict{Do: Forward}},
		{"led here", func(x *Txn) { x.Owner = na }, Verdict{Do: Here}},
		{"no table yet", func(x *Txn) { x.Table = nil }, Verdict{Do: Refuse, Err: ErrClusterDown}},
		{"led by none", func(x *Txn) { x.Owner = "" }, Verdict{Do: Refuse, Err: ErrSlotNotServed}},
		{"--cluster-redirect", func(x *Txn) { x.Redirect = true }, Verdict{Do: Moved}},
		{"forwarded here", func(x *Txn) { x.Forwarded = true }, Verdict{Do: Moved}},
		{"keys watched here, slot led elsewhere", func(x *Txn) { x.LocalWatch = true }, Verdict{Do: Refuse, Err: ErrWatchRemote}},
		{"keys watched here, led here", func(x *Txn) { x.LocalWatch, x.Owner = true, na }, Verdict{Do: Here}},
		{"remote watch, same leader", func(x *Txn) { x.RemoteWatch, x.WatchLeader = true, nb }, Verdict{Do: Forward}},
		{"remote watch, leader changed", func(x *Txn) { x.RemoteWatch, x.WatchLeader = true, nc }, Verdict{Do: Abort}},
		{"remote watch, now led here", func(x *Txn) { x.RemoteWatch, x.WatchLeader, x.Owner = true, nb, na }, Verdict{Do: Abort}},
		{"remote watch, led by none", func(x *Txn) { x.RemoteWatch, x.WatchLeader, x.Owner = true, nb, "" }, Verdict{Do: Refuse, Err: ErrSlotNotServed}},
	} {
		x := base
		if tc.change != nil {
			tc.change(&x)
		}
		assert.Equal(t, tc.want, Exec(x), tc.name)
	}
}

func TestOneSlot(t *testing.T) {
	slot, ok := OneSlot([]uint16{7, 7, 7})
	assert.True(t, ok)
	assert.Equal(t, uint16(7), slot)
	_, ok = OneSlot([]uint16{7, 7, 8})
	assert.False(t, ok)
}

func TestNeedsLease(t *testing.T) {
	for _, tc := range []struct {
		write, read, readsWhenDown, want bool
	}{
		{write: true, want: true},
		{write: true, readsWhenDown: true, want: true},
		{read: true, want: true},
		{read: true, readsWhenDown: true, want: false},
		{want: false}, // neither: PING, CLIENT ...
	} {
		assert.Equal(t, tc.want, NeedsLease(tc.write, tc.read, tc.readsWhenDown), "%+v", tc)
	}
	assert.Equal(t, ErrWriteMinority, LeaseError(true))
	assert.Equal(t, ErrReadMinority, LeaseError(false))
}

// TestRetry follows -MOVED answers: at once to a third node the answer
// names, else after a growing backoff, and gives up after MovedRetries.
func TestRetry(t *testing.T) {
	tb := table(t)
	var r Retry
	assert.Equal(t, nb, r.To(nb))

	wait, giveUp := r.Moved(tb, "127.0.0.1:7003", na, nb) // b sends it to c
	assert.False(t, giveUp)
	assert.Zero(t, wait, "a third node: at once")
	assert.Equal(t, nc, r.To(nb))

	wait, giveUp = r.Moved(tb, "127.0.0.1:7002", na, nc) // c sends it back to b
	assert.False(t, giveUp)
	assert.Zero(t, wait)
	assert.Equal(t, nb, r.To(nc))

	wait, giveUp = r.Moved(tb, "127.0.0.1:7001", na, nb) // b names this node
	assert.False(t, giveUp)
	assert.Equal(t, MovedBackoff<<2, wait, "the third attempt backs off")
	assert.Equal(t, nb, r.To(nb), "routed again by this node's table")

	for range MovedRetries - 3 {
		_, giveUp = r.Moved(tb, "", na, nb)
		assert.False(t, giveUp)
	}
	_, giveUp = r.Moved(tb, "", na, nb)
	assert.True(t, giveUp, "after MovedRetries")
	assert.Equal(t, "TRYAGAIN slot 12 is moving between nodes, try again", TryAgain(12))
}

func TestReplies(t *testing.T) {
	cmds := [][][]byte{{[]byte("GET"), []byte(na)}, {[]byte("GET"), []byte(nb)}, {[]byte("GET"), []byte(nc)}}
	first, movedTo, moved, ahead := Replies(nil, cmds, [][]byte{[]byte("$1\r\nA\r\n"), []byte("$1\r\nB\r\n"), []byte("$1\r\nC\r\n")})
	assert.False(t, moved)
	assert.Empty(t, movedTo)
	assert.Equal(t, "$1\r\nA\r\n", string(first))
	assert.Equal(t, []Ahead{{Args: cmds[1], Reply: []byte("$1\r\nB\r\n")}, {Args: cmds[2], Reply: []byte("$1\r\nC\r\n")}}, ahead)

	// The receiver stopped at the second command: the third did not run.
	_, _, moved, ahead = Replies(nil, cmds, [][]byte{[]byte("+OK\r\n"), []byte("-MOVED 5 127.0.0.1:7003\r\n")})
	assert.False(t, moved)
	assert.Empty(t, ahead)

	first, movedTo, moved, ahead = Replies(nil, cmds, [][]byte{[]byte("-MOVED 5 127.0.0.1:7003\r\n")})
	assert.True(t, moved)
	assert.Nil(t, first)
	assert.Equal(t, "127.0.0.1:7003", movedTo)
	assert.Empty(t, ahead)

	ahead = Failed(nil, cmds, "TRYAGAIN x")
	assert.Equal(t, []Ahead{{Args: cmds[1], Reply: []byte("-TRYAGAIN x\r\n")}, {Args: cmds[2], Reply: []byte("-TRYAGAIN x\r\n")}}, ahead)
}

func TestForwardError(t *testing.T) {
	owner := ring.NodeID("0123456789abcdef")
	assert.Equal(t, "CLUSTERDOWN node 01234567 leading the slot is down", ForwardError(owner, fmt.Errorf("call: %w", cluster.ErrNodeDown)))
	assert.Equal(t, "CLUSTERDOWN node 01234567 leading the slot is down", ForwardError(owner, cluster.ErrUnknownNode))
	assert.Equal(t, "TRYAGAIN forwarding to node 01234567 failed: empty batch reply", ForwardError(owner, ErrEmptyBatch))
	assert.Equal(t, "TRYAGAIN forwarding to node ab failed: a  b", ForwardError("ab", errors.New("a\r\nb")))
	assert.Equal(t, 5*time.Second, ForwardTimeout)
}
