package events

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/resp"
)

// The message pushes are byte for byte what redis-server sends (the
// differential tests compare whole sessions; these pin each shape).
func TestEncodeMessage(t *testing.T) {
	cases := []struct {
		name    string
		resp3   bool
		verb    string
		pattern string
		want    string
	}{
		{"message RESP2", false, "message", "", "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{"message RESP3", true, "message", "", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{"pmessage RESP2", false, "pmessage", "c*", "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{"smessage RESP3", true, "smessage", "", ">3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
	}
	for _, tc := range cases {
		got := encodeMessage([]byte("keep"), tc.resp3, tc.verb, tc.pattern, []byte("ch"), []byte("hi"))
		assert.Equal(t, "keep"+tc.want, string(got), tc.name)
	}
}

func TestWriteSubReply(t *testing.T) {
	var r resp.Reply
	writeSubReply(&r, "unsubscribe", nil, 0)
	assert.Equal(t, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", string(r.Bytes()))
	r.Reset()
	r.SetRESP3(true)
	writeSubReply(&r, "ssubscribe", []byte("{s}a"), 2)
	assert.Equal(t, ">3\r\n$10\r\nssubscribe\r\n$4\r\n{s}a\r\n:2\r\n", string(r.Bytes()))
}

func TestOneSlot(t *testing.T) {
	args := [][]byte{[]byte("SSUBSCRIBE"), []byte("{s}a"), []byte("{s}b"), []byte("a"), []byte("b")}
	cases := []struct {
		pos  []int
		want bool
	}{
		{[]int{1}, true},
		{[]int{1, 2}, true},     // one hash tag
		{[]int{1, 2, 3}, false}, // "a" hashes elsewhere
		{[]int{3, 4}, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, OneSlot(args, tc.pos), "%v", tc.pos)
	}
}

// Redis refuses BCAST prefixes that overlap one another or one the client
// has, naming the pair (networking.c checkPrefixCollisionsOrReply).
func TestPrefixCollision(t *testing.T) {
	cases := []struct {
		have, add []string
		want      string
	}{
		{nil, []string{"a", "b"}, ""},
		{[]string{"user:"}, []string{"post:"}, ""},
		{[]string{"user:"}, []string{"user:1"}, "ERR Prefix 'user:1' overlaps with an existing prefix 'user:'. Prefixes for a single client must not overlap."},
		{[]string{"user:1"}, []string{"user:"}, "ERR Prefix 'user:' overlaps with an existing prefix 'user:1'. Prefixes for a single client must not overlap."},
		{nil, []string{"a", "ab"}, "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap."},
		{nil, []string{"", "x"}, "ERR Prefix '' overlaps with another provided prefix 'x'. Prefixes for a single client must not overlap."},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, prefixCollision(tc.have, tc.add), "have %q add %q", tc.have, tc.add)
	}
}

type noClients struct{}

func (noClients) EventsClient(uint64) *Client { return nil }

// A node alone (cluster mode off) runs the Hub with Alone: the loop finds
// no peer to start a sender for, sends nothing anywhere, and stops with
// its context.
func TestHubAlone(t *testing.T) {
	var _ Cluster = Alone("")
	h := New(slog.Default(), noClients{}, "self")
	_, err := h.cluster.ForwardBatch(context.Background(), "peer", false, nil)
	assert.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { // stopped by cancel below
		h.Run(ctx)
		close(done)
	}()
	assert.Zero(t, h.Publish([]byte("ch"), []byte("m")), "nobody listens")
	assert.Zero(t, h.FanoutPeers())
	cancel()
	<-done
	assert.Zero(t, h.Stats().FanoutDropped)
}
