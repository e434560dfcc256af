package zset

import (
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// The range commands: ZRANGE and its older forms, ZRANGESTORE, ZCOUNT,
// ZLEXCOUNT and ZREMRANGEBY*. Each range is resolved to ascending ranks
// [lo, hi) by the store, then offset, limit and direction are applied here
// as zrangeGenericCommand does.

// How a range is given.
type zrangeType uint8

const (
	zrangeAuto zrangeType = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// Direction of a range.
type zrangeDir uint8

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

func zrangeCommand(c *commands.Call)      { zrangeGeneric(c, 1, false, zrangeAuto, zdirAuto) }
func zrangestoreCommand(c *commands.Call) { zrangeGeneric(c, 2, true, zrangeAuto, zdirAuto) }
func zrangebyscoreCommand(c *commands.Call) {
	zrangeGeneric(c, 1, false, zrangeScore, zdirForward)
}
func zrevrangebyscoreCommand(c *commands.Call) {
	zrangeGeneric(c, 1, false, zrangeScore, zdirReverse)
}
func zrangebylexCommand(c *commands.Call)    { zrangeGeneric(c, 1, false, zrangeLex, zdirForward) }
func zrevrangebylexCommand(c *commands.Call) { zrangeGeneric(c, 1, false, zrangeLex, zdirReverse) }
func zrevrangeCommand(c *commands.Call)      { zrangeGeneric(c, 1, false, zrangeRank, zdirReverse) }

// zrangeGeneric is zrangeGenericCommand: the source key is at argStart,
// then min and max, then the options; store (ZRANGESTORE) writes the
// result to Args[1] instead of replying with it.
func zrangeGeneric(c *commands.Call, argStart int, toStore bool, typ zrangeType, dir zrangeDir) {
	key := c.Args[argStart]
	minIdx, maxIdx := argStart+1, argStart+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := argStart + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		a := c.Args[j]
		switch {
		case !toStore && resp.EqualFold(a, "withscores"):
			withScores = true
		case resp.EqualFold(a, "limit") && left >= 2:
			var ok1, ok2 bool
			offset, ok1 = resp.ParseInt64(c.Args[j+1])
			if ok1 {
				limit, ok2 = resp.ParseInt64(c.Args[j+2])
			}
			if !ok1 || !ok2 {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			j += 2
		case dir == zdirAuto && resp.EqualFold(a, "rev"):
			dir = zdirReverse
		case typ == zrangeAuto && resp.EqualFold(a, "bylex"):
			typ = zrangeLex
		case typ == zrangeAuto && resp.EqualFold(a, "byscore"):
			typ = zrangeScore
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	if dir == zdirAuto {
		dir = zdirForward
	}
	if typ == zrangeAuto {
		typ = zrangeRank
	}
	if limit != -1 && typ == zrangeRank {
		c.Reply.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && typ == zrangeLex {
		c.Reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	rev := dir == zdirReverse
	if rev && typ != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr store.ZScoreRange
	var lmin, lmax store.ZLexBound
	switch typ {
	case zrangeRank:
		var ok1, ok2 bool
		start, ok1 = resp.ParseInt64(c.Args[minIdx])
		if ok1 {
			end, ok2 = resp.ParseInt64(c.Args[maxIdx])
		}
		if !ok1 || !ok2 {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Reply.Error(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		var ok bool
		if lmin, lmax, ok = parseLexRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Reply.Error(errZMinMaxLex)
			return
		}
	}
	// Resolve the selection to a first ascending rank, a direction and a count.
	var lo, hi, n int
	var err error
	switch typ {
	case zrangeRank:
		n, err = c.Tx.ZCard(key)
		lo, hi = store.IndexSpan(start, end, n)
		if rev {
			lo, hi = n-hi, n-lo
		}
	case zrangeScore:
		lo, hi, n, err = c.Tx.ZScoreSpan(key, sr)
	case zrangeLex:
		lo, hi, n, err = c.Tx.ZLexSpan(key, lmin, lmax)
	}
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	count := hi - lo
	if typ != zrangeRank {
		count = limitCount(count, offset, limit)
	}
	from := lo
	if typ != zrangeRank && offset > 0 {
		from += int(min(offset, int64(n)))
	}
	if rev {
		from = hi - 1
		if typ != zrangeRank && offset > 0 {
			from -= int(min(offset, int64(n)))
		}
	}
	if toStore {
		members := make([][]byte, 0, max(count, 0))
		scores := make([]float64, 0, max(count, 0))
		zrangeEach(c, key, from, rev, count, func(m []byte, s float64) {
			members = append(members, m)
			scores = append(scores, s)
		})
		existed := c.StoreExisted(c.Args[1])
		stored, err := c.Tx.ZStore(c.Args[1], members, scores)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Stored(c.Args[1], int64(stored), existed, 1)
		c.Reply.Int(int64(stored))
		return
	}
	replyZRange(c, key, from, rev, count, withScores)
}

// limitCount applies LIMIT offset count to a range of n members: a
// negative offset selects nothing (Redis walks past the end), a negative
// count means all.
func limitCount(n int, offset, limit int64) int {
	if offset < 0 {
		return 0
	}
	left := int64(n) - offset
	if left < 0 {
		return 0
	}
	if limit >= 0 && limit < left {
		left = limit
	}
	return int(left)
}

// zrangeEach calls fn for count members from rank from in direction rev.
func zrangeEach(c *commands.Call, key []byte, from int, rev bool, count int, fn func(m []byte, s float64)) {
	if count <= 0 {
		return
	}
	k := 0
	_ = c.Tx.ZIter(key, from, rev, func(m []byte, s float64) bool {
		fn(m, s)
		k++
		return k < count
	})
}

// replyZRange writes count members from rank from: an array of members,
// with WITHSCORES a flat member/score array in RESP2 and an array of
// [member, score] pairs in RESP3.
func replyZRange(c *commands.Call, key []byte, from int, rev bool, count int, withScores bool) {
	count = max(count, 0)
	resp3 := c.Reply.RESP3()
	if withScores && !resp3 {
		c.Reply.Array(2 * count)
	} else {
		c.Reply.Array(count)
	}
	zrangeEach(c, key, from, rev, count, func(m []byte, s float64) {
		if withScores && resp3 {
			c.Reply.Array(2)
		}
		c.Reply.Bulk(m)
		if withScores {
			replyDouble(c.Reply, s)
		}
	})
}

// scoreSpan finds the ranks [lo, hi) of Args[1]'s members scored within
// Args[2] and Args[3] (ZCOUNT, ZREMRANGEBYSCORE); ok false means the
// error reply is written.
func scoreSpan(c *commands.Call) (lo, hi int, ok bool) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Reply.Error(errZMinMaxFloat)
		return 0, 0, false
	}
	lo, hi, _, err := c.Tx.ZScoreSpan(c.Args[1], r)
	if err != nil {
		c.ReplyStoreError(err)
		return 0, 0, false
	}
	return lo, hi, true
}

// lexSpan is scoreSpan for a lexicographic range (ZLEXCOUNT,
// ZREMRANGEBYLEX).
func lexSpan(c *commands.Call) (lo, hi int, ok bool) {
	lmin, lmax, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Reply.Error(errZMinMaxLex)
		return 0, 0, false
	}
	lo, hi, _, err := c.Tx.ZLexSpan(c.Args[1], lmin, lmax)
	if err != nil {
		c.ReplyStoreError(err)
		return 0, 0, false
	}
	return lo, hi, true
}

// zcountCommand is ZCOUNT key min max.
func zcountCommand(c *commands.Call) {
	if lo, hi, ok := scoreSpan(c); ok {
		c.Reply.Int(int64(hi - lo))
	}
}

// zlexcountCommand is ZLEXCOUNT key min max.
func zlexcountCommand(c *commands.Call) {
	if lo, hi, ok := lexSpan(c); ok {
		c.Reply.Int(int64(hi - lo))
	}
}

// zremrangebyrankCommand is ZREMRANGEBYRANK key start stop.
func zremrangebyrankCommand(c *commands.Call) {
	start, ok1 := resp.ParseInt64(c.Args[2])
	end, ok2 := resp.ParseInt64(c.Args[3])
	if !ok1 || !ok2 {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	n, err := c.Tx.ZCard(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	lo, hi := store.IndexSpan(start, end, n)
	zremRanks(c, lo, hi)
}

// zremrangebyscoreCommand is ZREMRANGEBYSCORE key min max.
func zremrangebyscoreCommand(c *commands.Call) {
	if lo, hi, ok := scoreSpan(c); ok {
		zremRanks(c, lo, hi)
	}
}

// zremrangebylexCommand is ZREMRANGEBYLEX key min max.
func zremrangebylexCommand(c *commands.Call) {
	if lo, hi, ok := lexSpan(c); ok {
		zremRanks(c, lo, hi)
	}
}

// zremRanks removes ranks [lo, hi) of Args[1] and replies the count.
func zremRanks(c *commands.Call, lo, hi int) {
	if hi <= lo {
		c.Reply.Int(0)
		return
	}
	n, err := c.Tx.ZRemRanks(c.Args[1], lo, hi)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n > 0 {
		c.NotifyChanged(c.Own(), c.Args[1])
		c.CountChanges(n) // Redis counts the members removed
	}
	c.Reply.Int(int64(n))
}
