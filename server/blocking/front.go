package blocking

import (
	"bytes"
	"slices"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// The front end's pure helpers: which keys a command waits on, its
// timeout reply, and the cut of its timeout for a forwarded chunk.

// PopKeys returns the distinct keys command cmd (nil: unknown) pops from
// in args: its key specs' Delete keys (BLMOVE's destination is not waited
// on, so that a client is first in line only for its sources), or, when
// the specs do not say, the keys at keyPos.
func PopKeys(cmd *commands.Command, args [][]byte, keyPos []int) []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if cmd != nil {
		refs, _ := cmd.GetKeys(args, nil)
		for _, r := range refs {
			if r.Flags&commands.Delete != 0 {
				add(string(args[r.Pos]))
			}
		}
	}
	if len(keys) == 0 {
		for _, i := range keyPos {
			add(string(args[i]))
		}
	}
	return keys
}

// KeysSlot is the slot of every one of keys (Waiter.Slot): -1 when they
// span slots, or when there are none.
func KeysSlot(keys []string) int32 {
	slot := int32(-1)
	for i, k := range keys {
		sl := int32(ring.KeySlot([]byte(k)))
		if i > 0 && sl != slot {
			return -1
		}
		slot = sl
	}
	return slot
}

// ReplyTimeout writes a blocking command's timeout reply to r: a null in
// RESP3; in RESP2 a null array when nullArray (BLPOP, BZPOPMIN ...), else
// a null bulk (BLMOVE, BRPOPLPUSH).
func ReplyTimeout(r *resp.Reply, nullArray bool) {
	switch {
	case r.RESP3():
		r.Null()
	case nullArray:
		r.NullArray()
	default:
		r.Null()
	}
}

// IsTimeoutReply reports whether reply is a blocking command's timeout
// reply (a null in RESP2 or RESP3).
func IsTimeoutReply(reply []byte) bool {
	return bytes.Equal(reply, []byte("*-1\r\n")) || bytes.Equal(reply, []byte("$-1\r\n")) || bytes.Equal(reply, []byte("_\r\n"))
}

// IsWrongTypeReply reports whether reply is the WRONGTYPE error.
func IsWrongTypeReply(reply []byte) bool { return bytes.HasPrefix(reply, []byte("-WRONGTYPE ")) }

// CutTimeout returns args with the timeout at pos cut to what is left
// until deadline (unix ms, 0 none) at now, at most chunk (a forwarded
// chunk's), and that timeout; last reports that it is all that is left.
func CutTimeout(args [][]byte, pos int, deadline int64, now time.Time, chunk time.Duration) (cut [][]byte, d time.Duration, last bool) {
	d = chunk
	if deadline > 0 {
		if left := time.UnixMilli(deadline).Sub(now); left <= chunk {
			d, last = left, true
		}
	}
	d = max(d, time.Millisecond) // the last look answers at once
	cut = slices.Clone(args)
	cut[pos] = strconv.AppendFloat(nil, d.Seconds(), 'f', 3, 64)
	return cut, d, last
}
