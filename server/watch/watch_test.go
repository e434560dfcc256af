package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/store"
)

// node is a member of a two-node test cluster: it leads the slots in
// leads, and its ForwardBatch runs a batch on its peer (the cluster port's
// answers: AnswerToken for a token request).
type node struct {
	id    ring.NodeID
	t     *ring.Table
	st    *store.Store
	leads map[uint16]bool
	peer  *node
	down  bool // the peer does not answer
}

func (n *node) ID() ring.NodeID    { return n.id }
func (n *node) Table() *ring.Table { return n.t }
func (n *node) Route(slot uint16) (ring.NodeID, bool) {
	if n.leads[slot] {
		return n.id, true
	}
	return n.peer.id, false
}

func (n *node) ForwardBatch(_ context.Context, id ring.NodeID, _ bool, cmds [][][]byte) ([][]byte, error) {
	if n.down || id != n.peer.id {
		return nil, cluster.ErrNodeDown
	}
	if !IsTokenBatch(cmds) {
		return nil, errors.New("not a token request")
	}
	return AnswerToken(n.peer, n.peer.st, cmds[0]), nil
}

// pair returns this node and the peer that leads slot.
func pair(t *testing.T, slot uint16) (here, leader *node) {
	ids := []ring.NodeID{ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40))}
	var members []ring.Member
	for i, id := range ids {
		members = append(members, ring.Member{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7001+i)})
	}
	tb, err := ring.NewTable(1, ids[0], members)
	require.NoError(t, err)
	here = &node{id: ids[0], t: tb, st: store.New(store.Config{}), leads: map[uint16]bool{}}
	leader = &node{id: ids[1], t: tb, st: store.New(store.Config{}), leads: map[uint16]bool{slot: true}, peer: here}
	here.peer = leader
	return here, leader
}

func put(t *testing.T, st *store.Store, key string) {
	tx := st.Lock(ring.KeySlotString(key))
	defer tx.Close()
	require.NoError(t, tx.Put([]byte(key), []byte("v"), 0))
}

// TestWatchThroughAnotherNode takes a token, opens the EXEC with its check
// and runs the check on the leader: it holds while nothing of the slot
// changed, and breaks when anything did, the leader changed or a key of
// another slot was watched with it.
func TestWatchThroughAnotherNode(t *testing.T) {
	k1, k2 := "{t}a", "{t}b"
	slot := ring.KeySlotString(k1)
	here, leader := pair(t, slot)

	rw, msg := Watch(here, nil, false, leader.id, slot, [][]byte{[]byte(k1)}, false)
	require.Empty(t, msg)
	assert.Equal(t, &Remote{Leader: leader.id, Slot: slot, Version: leader.st.SlotVersion(slot), Keys: [][]byte{[]byte(k1)}}, rw)
	rw, msg = Watch(here, rw, false, leader.id, slot, [][]byte{[]byte(k2)}, false)
	require.Empty(t, msg)
	assert.Len(t, rw.Keys, 2, "a later WATCH of the slot keeps the token and adds its keys")

	check := func() (broken bool) {
		cmds := [][][]byte{rw.CheckArgs()}
		require.True(t, IsCheckBatch(cmds))
		var w *store.Watcher
		got, broken, ok := Check(leader, leader.st, &w, cmds[0])
		require.True(t, ok)
		assert.Equal(t, slot, got)
		require.NotNil(t, w, "the check watches the keys on the leader")
		return broken || w.Dirty()
	}
	assert.False(t, check(), "nothing changed")
	put(t, leader.st, "{t}other")
	assert.True(t, check(), "a write to another key of the slot: a false abort, never a missed change")

	rw, msg = Watch(here, nil, false, leader.id, slot, [][]byte{[]byte(k1)}, false)
	require.Empty(t, msg)
	leader.leads[slot] = false // a handoff took the slot since the WATCH
	assert.True(t, check())
	leader.leads[slot] = true

	_, msg = Watch(here, rw, false, leader.id, ring.KeySlotString("other"), [][]byte{[]byte("other")}, false)
	assert.Equal(t, route.ErrWatchNodes, msg, "keys of another slot")
	_, msg = Watch(here, rw, false, here.id, slot, [][]byte{[]byte(k1)}, false)
	assert.Equal(t, route.ErrWatchNodes, msg, "another leader")
	_, msg = Watch(here, nil, true, leader.id, slot, [][]byte{[]byte(k1)}, false)
	assert.Equal(t, route.ErrWatchNodes, msg, "keys watched here too")
}

func TestTokenRefused(t *testing.T) {
	slot := ring.KeySlotString("k")
	here, leader := pair(t, slot)
	leader.leads[slot] = false // the peer does not lead it (any more)
	_, msg := Watch(here, nil, false, leader.id, slot, [][]byte{[]byte("k")}, false)
	assert.Equal(t, route.TryAgain(slot), msg, "the leader answered -MOVED")
	assert.Equal(t, []byte("-MOVED "+fmt.Sprint(slot)+" 127.0.0.1:7001\r\n"),
		AnswerToken(leader, leader.st, [][]byte{tokenMarker, []byte(fmt.Sprint(slot))})[0])
	assert.Equal(t, "-ERR bad slot\r\n", string(AnswerToken(leader, leader.st, [][]byte{tokenMarker, []byte("16384")})[0]))

	here.down = true
	_, msg = Watch(here, nil, false, leader.id, slot, [][]byte{[]byte("k")}, false)
	assert.Equal(t, route.ForwardError(leader.id, cluster.ErrNodeDown), msg)

	var w *store.Watcher
	_, _, ok := Check(leader, leader.st, &w, [][]byte{checkMarker, []byte(leader.id), []byte("x"), []byte("1"), []byte("k")})
	assert.False(t, ok, "a malformed check")
	assert.Nil(t, w, "watches nothing")
	assert.False(t, IsTokenBatch([][][]byte{{[]byte("GET"), []byte("k")}}))
	assert.False(t, IsCheckBatch([][][]byte{{[]byte("MULTI")}}))
}
