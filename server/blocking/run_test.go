package blocking

import (
	"testing"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/stretchr/testify/assert"
)

// TestReplyCancelled: a chunk cancelled before it ran answers -UNBLOCKED
// for CLIENT UNBLOCK ... ERROR, else its timeout reply: a null in RESP3, in
// RESP2 a null array or (BLMOVE, BRPOPLPUSH) a null bulk.
func TestReplyCancelled(t *testing.T) {
	cases := []struct {
		reason    Reason
		nullArray bool
		resp3     bool
		want      string
	}{
		{Error, true, false, "-" + ErrUnblocked + "\r\n"},
		{Error, false, true, "-" + ErrUnblocked + "\r\n"},
		{Timeout, true, false, "*-1\r\n"},
		{Timeout, false, false, "$-1\r\n"},
		{Gone, true, false, "*-1\r\n"},
		{Gone, false, false, "$-1\r\n"},
		{Timeout, true, true, "_\r\n"},
		{Gone, false, true, "_\r\n"},
	}
	for _, tc := range cases {
		var r resp.Reply
		r.SetRESP3(tc.resp3)
		replyCancelled(&r, tc.reason, tc.nullArray)
		assert.Equal(t, tc.want, string(r.Bytes()), "reason %d, null array %v, RESP3 %v", tc.reason, tc.nullArray, tc.resp3)
	}
}

// TestPopType: the sorted-set family pops sorted sets, every other
// blocking command (and an unknown one) lists.
func TestPopType(t *testing.T) {
	assert.Equal(t, store.TypeZSet, PopType(&commands.Command{Name: "bzpopmin", Group: "sorted-set"}))
	assert.Equal(t, store.TypeList, PopType(&commands.Command{Name: "blpop", Group: "list"}))
	assert.Equal(t, store.TypeList, PopType(nil))
}
