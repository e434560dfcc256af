package evict

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyNames(t *testing.T) {
	for i, name := range PolicyNames() {
		p, err := ParsePolicy(name)
		require.NoError(t, err)
		assert.Equal(t, Policy(i), p)
		assert.Equal(t, name, p.String())
	}
	p, err := ParsePolicy("AllKeys-LRU")
	require.NoError(t, err)
	assert.Equal(t, AllKeysLRU, p)
	_, err = ParsePolicy("lru")
	assert.Error(t, err)
	assert.Equal(t, "policy(8)", Policy(8).String())
}

// TestPolicyKinds: which keys each policy may evict and how it picks them.
func TestPolicyKinds(t *testing.T) {
	for _, c := range []struct {
		p                   Policy
		volatile, lfu, rand bool
	}{
		{NoEviction, false, false, false},
		{AllKeysLRU, false, false, false},
		{AllKeysLFU, false, true, false},
		{AllKeysRandom, false, false, true},
		{VolatileLRU, true, false, false},
		{VolatileLFU, true, true, false},
		{VolatileRandom, true, false, true},
		{VolatileTTL, true, false, false},
	} {
		assert.Equal(t, c.volatile, c.p.Volatile(), "%s volatile", c.p)
		assert.Equal(t, c.lfu, c.p.LFU(), "%s lfu", c.p)
		assert.Equal(t, c.rand, c.p.Random(), "%s random", c.p)
	}
}
