package client

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestParseClusterNodes(t *testing.T) {
	a := strings.Repeat("a", 40)
	b := strings.Repeat("b", 40)
	c := strings.Repeat("c", 40)
	d := strings.Repeat("d", 40)
	e := strings.Repeat("e", 40)
	text := b + " 10.0.0.2:7001@17001 master - 0 1700000000000 2 connected 5461-10922\n" +
		a + " :7000@17000 myself,master - 0 0 1 connected 0-5460\n" +
		c + " 10.0.0.3:7002@17002,host-c master,fail - 1700000000000 1700000000000 3 disconnected 10923-16383\n" +
		d + " 10.0.0.4:7003@17003 handshake - 0 0 0 connected\n" +
		e + " :0@0 master,noaddr - 0 0 0 disconnected\n"
	got, err := parseClusterNodes(text, "10.0.0.1:7000")
	require.NoError(t, err)
	assert.Equal(t, []member{
		{ID: ring.NodeID(a), Addr: "10.0.0.1:7000"},
		{ID: ring.NodeID(b), Addr: "10.0.0.2:7001"},
		{ID: ring.NodeID(c), Addr: "10.0.0.3:7002"}, // failed nodes stay members
	}, got)

	bad := []string{
		"",
		"short line\n",
		"XYZ 10.0.0.2:7001@17001 master - 0 0 2 connected\n",
		b + " nonsense master - 0 0 2 connected\n",
	}
	for _, text := range bad {
		_, err := parseClusterNodes(text, "10.0.0.1:7000")
		assert.Error(t, err, "%q", text)
	}
}

// Every client with the same members picks the same nodes, whatever order
// it learned them in.
func TestLockAddrsDeterministic(t *testing.T) {
	var members []member
	for i, ch := range "0123456" {
		members = append(members, member{ID: ring.NodeID(strings.Repeat(string(ch), 40)), Addr: "10.0.0." + string(rune('1'+i)) + ":7000"})
	}
	reversed := make([]member, len(members))
	for i, m := range members {
		reversed[len(members)-1-i] = m
	}
	for _, name := range []string{"a", "b", "jobs/nightly", "leader"} {
		got := lockAddrs(name, members, 5)
		assert.Len(t, got, 5)
		assert.Equal(t, got, lockAddrs(name, reversed, 5))
	}
	assert.Len(t, lockAddrs("x", members[:3], 5), 3)
}
