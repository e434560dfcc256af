package topology

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
		addr := MovedAddr([]byte(tc.reply))
		assert.Equal(t, tc.addr, addr, tc.reply)
		assert.Equal(t, tc.id, MemberAt(tbl, addr), tc.reply)
	}
}

// TestNextHop checks which -MOVED answers a forwarded request follows at
// once: only those naming a third member of the table.
func TestNextHop(t *testing.T) {
	a, b, c := ring.NewNodeID(), ring.NewNodeID(), ring.NewNodeID()
	tb, err := ring.NewTable(1, a, []ring.Member{
		{ID: a, Addr: "10.0.0.1:6379", ClusterAddr: "10.0.0.1:16379"},
		{ID: b, Addr: "10.0.0.2:6379", ClusterAddr: "10.0.0.2:16379"},
		{ID: c, Addr: "10.0.0.3:6379", ClusterAddr: "10.0.0.3:16379"},
	})
	require.NoError(t, err)
	cases := []struct {
		name    string
		movedTo string
		want    ring.NodeID
	}{
		{"a third node", "10.0.0.3:6379", c},
		{"back to us", "10.0.0.1:6379", ""},
		{"the node we asked", "10.0.0.2:6379", ""},
		{"no such member", "10.0.0.9:6379", ""},
		{"no address", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, NextHop(tb, tc.movedTo, a, b))
		})
	}
	assert.Equal(t, "10.0.0.3:6379", MovedAddr([]byte("-MOVED 42 10.0.0.3:6379\r\n")))
}
