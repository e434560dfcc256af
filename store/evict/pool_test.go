package evict

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPoolOrder(t *testing.T) {
	var p Pool
	for i := 0; i < 40; i++ {
		p.insert(uint64((i*7)%40), 0, []byte(strconv.Itoa(i)))
	}
	assert.Equal(t, poolSize, p.n)
	prev := uint64(1 << 63)
	for {
		c, ok := p.pop()
		if !ok {
			break
		}
		assert.Less(t, c.score, prev)
		prev = c.score
	}
	assert.Equal(t, uint64(40-poolSize), prev, "the pool keeps the best 16")
}

// TestPoolSameKey: a key sampled again keeps one entry with its new score;
// the same key of another slot is another candidate.
func TestPoolSameKey(t *testing.T) {
	var p Pool
	p.insert(5, 1, []byte("k"))
	p.insert(9, 1, []byte("k"))
	p.insert(7, 2, []byte("k"))
	assert.Equal(t, 2, p.n)
	c, _ := p.pop()
	assert.Equal(t, candidate{score: 9, slot: 1, key: []byte("k")}, c)
	c, _ = p.pop()
	assert.Equal(t, candidate{score: 7, slot: 2, key: []byte("k")}, c)
	_, ok := p.pop()
	assert.False(t, ok)
}
