package zset

import (
	"math/rand/v2"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Pops (ZPOPMIN ZPOPMAX ZMPOP), their blocking forms (BZPOPMIN BZPOPMAX
// BZMPOP) and ZRANDMEMBER.

func zpopminCommand(c *commands.Call) { zpopMinMax(c, false) }
func zpopmaxCommand(c *commands.Call) { zpopMinMax(c, true) }

// zpopMinMax is ZPOPMIN/ZPOPMAX key [count]. Without count the reply is a
// flat [member, score] (empty when the key is missing); with a count it
// is flat in RESP2 and an array of [member, score] pairs in RESP3.
func zpopMinMax(c *commands.Call, max bool) {
	if len(c.Args) > 3 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := resp.ParseInt64(c.Args[2])
		if !ok || n < 0 {
			c.Reply.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	nested := c.Reply.RESP3() && count != -1
	zpopGeneric(c, c.Args[1:2], max, count, false, nested, false)
}

// zpopGeneric is genericZpopCommand: pop up to count (-1: one, plain) from
// the first existing key of keys. emitKey adds the key to the reply
// (BZPOP*, ZMPOP); nested makes pairs arrays; nilWhenEmpty answers a null
// array rather than an empty one when no key exists (ZMPOP). It reports
// whether it popped.
func zpopGeneric(c *commands.Call, keys [][]byte, max bool, count int64, emitKey, nested, nilWhenEmpty bool) bool {
	var key []byte
	n := 0
	for _, k := range keys {
		l, err := c.Tx.ZCard(k)
		if err != nil {
			c.ReplyStoreError(err)
			return false
		}
		if l > 0 {
			key, n = k, l
			break
		}
	}
	if key == nil {
		if nilWhenEmpty {
			c.Reply.NullArray()
		} else {
			c.Reply.Array(0)
		}
		return false
	}
	if count == 0 {
		c.Reply.Array(0)
		return false
	}
	if count == -1 {
		count = 1
	}
	rangeLen := int(min(count, int64(n)))
	switch {
	case !nested && !emitKey:
		c.Reply.Array(2 * rangeLen)
	case nested && !emitKey:
		c.Reply.Array(rangeLen)
	case !nested && emitKey:
		c.Reply.Array(2*rangeLen + 1)
		c.Reply.Bulk(key)
	default:
		c.Reply.Array(2)
		c.Reply.Bulk(key)
		c.Reply.Array(rangeLen)
	}
	_, err := c.Tx.ZPop(key, max, rangeLen, func(m []byte, s float64) {
		if nested {
			c.Reply.Array(2)
		}
		c.Reply.Bulk(m)
		replyDouble(c.Reply, s)
	})
	if err != nil { // not reached: the key was read as a sorted set above
		c.ReplyStoreError(err)
		return true
	}
	ev := notify.ZPopMin
	if max {
		ev = notify.ZPopMax
	}
	c.NotifyChanged(ev, key)
	c.CountChanges(rangeLen) // Redis counts the members popped
	return true
}

func bzpopminCommand(c *commands.Call) { bzpop(c, false) }
func bzpopmaxCommand(c *commands.Call) { bzpop(c, true) }

// bzpop is BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score]
// from the first non-empty key, else the client blocks.
func bzpop(c *commands.Call, max bool) {
	blockingZpop(c, c.Args[1:len(c.Args)-1], c.Args[len(c.Args)-1], max, -1, false)
}

// blockingZpop is blockingGenericZpopCommand: the timeout is checked
// first, then the keys in order (a key of another type is WRONGTYPE);
// the first non-empty one is popped, and when there is none the handler
// blocks without replying.
func blockingZpop(c *commands.Call, keys [][]byte, timeout []byte, max bool, count int64, nested bool) {
	deadline, msg := commands.ParseTimeout(timeout, c.Tx.NowMS())
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	for _, k := range keys {
		n, err := c.Tx.ZCard(k)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if n > 0 {
			zpopGeneric(c, [][]byte{k}, max, count, true, nested, nested)
			return
		}
	}
	c.Block(deadline, true)
}

func zmpopCommand(c *commands.Call)  { zmpopGeneric(c, 1, false) }
func bzmpopCommand(c *commands.Call) { zmpopGeneric(c, 2, true) }

// zmpopGeneric is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and
// BZMPOP timeout numkeys ...: the reply is [key, [[member, score] ...]],
// a null array when nothing could be popped.
func zmpopGeneric(c *commands.Call, numkeysIdx int, block bool) {
	numkeys, ok := resp.ParseInt64(c.Args[numkeysIdx])
	if !ok || numkeys < 1 {
		c.Reply.Error("ERR numkeys should be greater than 0")
		return
	}
	whereIdx := int64(numkeysIdx) + numkeys + 1
	if whereIdx >= int64(len(c.Args)) {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	var max bool
	switch w := c.Args[whereIdx]; {
	case resp.EqualFold(w, "min"):
	case resp.EqualFold(w, "max"):
		max = true
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	count := int64(-1)
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		if count == -1 && resp.EqualFold(c.Args[j], "count") && more > 0 {
			j++
			n, ok := resp.ParseInt64(c.Args[j])
			if !ok || n < 1 {
				c.Reply.Error("ERR count should be greater than 0")
				return
			}
			count = n
			continue
		}
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := c.Args[numkeysIdx+1 : whereIdx]
	if block {
		blockingZpop(c, keys, c.Args[1], max, count, true)
		return
	}
	zpopGeneric(c, keys, max, count, true, true, true)
}

// zrandmemberCommand is ZRANDMEMBER key [count [WITHSCORES]]: one random
// member (null when the key is missing); count > 0 distinct members (the
// whole set at most); count < 0 |count| members with repetitions. In
// RESP3 WITHSCORES answers [member, score] pairs.
func zrandmemberCommand(c *commands.Call) {
	key := c.Args[1]
	if len(c.Args) == 2 {
		n, err := c.Tx.ZCard(key)
		switch {
		case err != nil:
			c.ReplyStoreError(err)
		case n == 0:
			c.Reply.Null()
		default:
			zrangeEach(c, key, rand.IntN(n), false, 1, func(m []byte, _ float64) { c.Reply.Bulk(m) })
		}
		return
	}
	count, withScores, ok := commands.ParseRandCount(c, "withscores")
	if !ok {
		return
	}
	n, err := c.Tx.ZCard(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n == 0 || count == 0 {
		c.Reply.Array(0)
		return
	}
	if count < -commands.MaxRandCount {
		c.Reply.Error("ERR value is out of range")
		return
	}
	var ranks []int
	switch {
	case count < 0 || count == 1:
		ranks = make([]int, max(count, -count))
		for i := range ranks {
			ranks[i] = rand.IntN(n)
		}
	case count >= int64(n):
		ranks = make([]int, n)
		for i := range ranks {
			ranks[i] = i
		}
	default:
		picked := make(map[int]struct{}, count)
		for len(ranks) < int(count) {
			r := rand.IntN(n)
			if _, dup := picked[r]; !dup {
				picked[r] = struct{}{}
				ranks = append(ranks, r)
			}
		}
	}
	resp3 := c.Reply.RESP3()
	if withScores && !resp3 {
		c.Reply.Array(2 * len(ranks))
	} else {
		c.Reply.Array(len(ranks))
	}
	if count >= int64(n) {
		// The whole set: one walk.
		zrangeEach(c, key, 0, false, n, func(m []byte, s float64) { replyRandMember(c.Reply, m, s, withScores) })
		return
	}
	for _, r := range ranks {
		zrangeEach(c, key, r, false, 1, func(m []byte, s float64) { replyRandMember(c.Reply, m, s, withScores) })
	}
}

// replyRandMember writes one ZRANDMEMBER element.
func replyRandMember(r *resp.Reply, m []byte, s float64, withScores bool) {
	if withScores && r.RESP3() {
		r.Array(2)
	}
	r.Bulk(m)
	if withScores {
		replyDouble(r, s)
	}
}

// zsetMembers returns the members and scores of the sorted set at key in
// ascending order (nothing when missing); the slices alias store memory
// that is never modified.
func zsetMembers(tx *store.Tx, key []byte) (members [][]byte, scores []float64, err error) {
	err = tx.ZIter(key, 0, false, func(m []byte, s float64) bool {
		members = append(members, m)
		scores = append(scores, s)
		return true
	})
	return members, scores, err
}
