package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestMovedRedirect: a forwarded request answered -MOVED follows the
// address the reply names, which must map back to a member of the table.
func TestMovedRedirect(t *testing.T) {
	a, b := ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40))
	tbl, err := ring.NewTable(3, a, []ring.Member{
		{ID: a, Addr: "127.0.0.1:7001", ClusterAddr: "127.0.0.1:17001"},
		{ID: b, Addr: "127.0.0.1:7002", ClusterAddr: "127.0.0.1:17002"},
	})
	require.NoError(t, err)
	for _, tc := range []struct {
		reply string
		addr  string
		id    ring.NodeID
	}{
		{"-MOVED 3999 127.0.0.1:7002\r\n", "127.0.0.1:7002", b},
		{"-MOVED 3999 127.0.0.1:7001", "127.0.0.1:7001", a},
		{"-MOVED 3999 127.0.0.1:9999\r\n", "127.0.0.1:9999", ""}, // not a member
		{"-MOVED 3999 \r\n", "", ""},                             // a member without an address
		{"-MOVED\r\n", "", ""},
	} {
		addr := movedAddr([]byte(tc.reply))
		assert.Equal(t, tc.addr, addr, tc.reply)
		assert.Equal(t, tc.id, memberAt(tbl, addr), tc.reply)
	}
}
