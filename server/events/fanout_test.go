package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/events/pubsub"
)

// A peer that takes nothing (dead, or slow) costs at most fanoutQueueLimit
// bytes of queued messages; past it messages for that peer are dropped
// and counted. A peer the membership has seen dead for a moment (a
// suspicion it may refute) still gets its messages queued; one dead for
// longer than fanoutDeadGrace gets nothing.
func TestFanoutQueueBounded(t *testing.T) {
	var f fanout
	now := time.Now()
	live := &peerQueue{id: "live", wake: make(chan struct{}, 1), stop: make(chan struct{})}
	live.setAlive(true, now)
	suspect := &peerQueue{id: "suspect", wake: make(chan struct{}, 1), stop: make(chan struct{})}
	suspect.setAlive(false, now)
	dead := &peerQueue{id: "dead", wake: make(chan struct{}, 1), stop: make(chan struct{})}
	dead.setAlive(false, now.Add(-2*fanoutDeadGrace))
	dead.setAlive(false, now) // still dead: the first sighting counts
	peers := []*peerQueue{live, suspect, dead}
	f.peers.Store(&peers)
	msg := make([]byte, 1<<20)
	const sent = 2 * fanoutQueueLimit / (1 << 20)
	for i := 0; i < sent; i++ {
		f.send(pubsub.Channel, []byte("ch"), msg)
	}
	assert.LessOrEqual(t, live.bytes, fanoutQueueLimit)
	assert.Greater(t, live.bytes, fanoutQueueLimit/2)
	assert.Equal(t, live.bytes, suspect.bytes, "a peer suspected a moment ago is queued for as a live one")
	assert.Zero(t, dead.bytes, "nothing queued for a peer dead past the grace")
	assert.Equal(t, int64(2*(sent-len(live.items))+sent), f.dropped.Load())
	suspect.setAlive(true, now)
	assert.False(t, suspect.deadTooLong())
}
