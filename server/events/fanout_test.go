package events

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/events/pubsub"
)

// A peer that takes nothing (dead, or slow) costs at most fanoutQueueLimit
// bytes of queued messages; past it messages for that peer are dropped
// and counted, and a peer the membership calls dead is skipped.
func TestFanoutQueueBounded(t *testing.T) {
	var f fanout
	live := &peerQueue{id: "live", wake: make(chan struct{}, 1), stop: make(chan struct{})}
	live.alive.Store(true)
	dead := &peerQueue{id: "dead", wake: make(chan struct{}, 1), stop: make(chan struct{})}
	peers := []*peerQueue{live, dead}
	f.peers.Store(&peers)
	msg := make([]byte, 1<<20)
	const sent = 2 * fanoutQueueLimit / (1 << 20)
	for i := 0; i < sent; i++ {
		f.send(pubsub.Channel, []byte("ch"), msg)
	}
	assert.LessOrEqual(t, live.bytes, fanoutQueueLimit)
	assert.Greater(t, live.bytes, fanoutQueueLimit/2)
	assert.Equal(t, int64(sent-len(live.items)), f.dropped.Load())
	assert.Zero(t, dead.bytes, "nothing queued for a dead peer")
}
