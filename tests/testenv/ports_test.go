package testenv

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreeNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p := Free(t, 0)
		require.False(t, seen[p], "port %d handed out twice", p)
		seen[p] = true
	}
}

func TestFreeChecksCompanion(t *testing.T) {
	p := Free(t, ClusterOffset)
	for _, q := range []int{p, p + ClusterOffset} {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
		require.NoError(t, err, "port %d is not free", q)
		assert.NoError(t, ln.Close())
	}
}

func TestFreeRange(t *testing.T) {
	base := FreeRange(t, 3, ClusterOffset)
	for p := base; p < base+3; p++ {
		for _, q := range []int{p, p + ClusterOffset} {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			require.NoError(t, err, "port %d is not free", q)
			assert.NoError(t, ln.Close())
		}
	}
}
