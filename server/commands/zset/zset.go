// Package zset holds the sorted-set commands, with Redis 7.2 semantics and
// replies (ZRANK/ZREVRANK WITHSCORE, scores formatted as d2string). The
// handlers are split by theme: zset.go (single members), range.go
// (ranges), pop.go (pops, blocking pops, random members), algebra.go
// (union, intersection, difference, scan); parse.go parses scores, ranges
// and options as Redis's t_zset.c does. The sorted set itself is the
// store's.
package zset

import (
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Commands are the commands on sorted-set values, the front end's
// "sorted-set" group.
func Commands() []*commands.Command {
	const g = "sorted-set"
	a := commands.ACLSortedSet
	w, r := commands.FlagWrite, commands.FlagReadOnly
	deny, fast, blocking := commands.FlagDenyOOM, commands.FlagFast, commands.FlagBlocking
	wd, wdf, wf := w|deny, w|deny|fast, w|fast
	rf := r | fast
	wfb, wb := w|fast|blocking, w|blocking
	one := func(f commands.KeyFlags) []commands.KeySpec { return []commands.KeySpec{commands.Range(f, 1, 0, 1)} }
	ro, roa := one(commands.RO), one(commands.RO|commands.Access)
	store2 := func() []commands.KeySpec {
		return []commands.KeySpec{commands.Range(commands.OW|commands.Update, 1, 0, 1), commands.KeyNum(commands.RO|commands.Access, 2, 0, 1, 1)}
	}
	numkeys := []commands.KeySpec{commands.KeyNum(commands.RO|commands.Access, 1, 0, 1, 1)}
	pop := []commands.KeySpec{commands.Range(commands.RW|commands.Access|commands.Delete, 1, 0, 1)}
	// at marks the handlers read for FlagArgsTransient: they copy what
	// they store (store/zset copies members into its strings or arena) and
	// append what they answer.
	const at = commands.FlagArgsTransient
	return []*commands.Command{
		{Name: "zadd", Arity: -4, Flags: wdf | at, ACL: a, Keys: one(commands.RW | commands.Update), Group: g, Since: "1.2.0",
			Summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", Handler: zaddCommand},
		{Name: "zincrby", Arity: 4, Flags: wdf | at, ACL: a, Keys: one(commands.RW | commands.Access | commands.Update), Group: g, Since: "1.2.0",
			Summary: "Increments the score of a member in a sorted set.", Handler: zincrbyCommand},
		{Name: "zrem", Arity: -3, Flags: wf | at, ACL: a, Keys: one(commands.RW | commands.Delete), Group: g, Since: "1.2.0",
			Summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", Event: notify.Event{Class: notify.ZSet, Name: "zrem"}, Handler: zremCommand},
		{Name: "zcard", Arity: 2, Flags: rf | at, ACL: a, Keys: ro, Group: g, Since: "1.2.0",
			Summary: "Returns the number of members in a sorted set.", Handler: zcardCommand},
		{Name: "zcount", Arity: 4, Flags: rf | at, ACL: a, Keys: roa, Group: g, Since: "2.0.0",
			Summary: "Returns the count of members in a sorted set that have scores within a range.", Handler: zcountCommand},
		{Name: "zlexcount", Arity: 4, Flags: rf, ACL: a, Keys: roa, Group: g, Since: "2.8.9",
			Summary: "Returns the number of members in a sorted set within a lexicographical range.", Handler: zlexcountCommand},
		{Name: "zscore", Arity: 3, Flags: rf | at, ACL: a, Keys: roa, Group: g, Since: "1.2.0",
			Summary: "Returns the score of a member in a sorted set.", Handler: zscoreCommand},
		{Name: "zmscore", Arity: -3, Flags: rf | at, ACL: a, Keys: roa, Group: g, Since: "6.2.0",
			Summary: "Returns the score of one or more members in a sorted set.", Handler: zmscoreCommand},
		{Name: "zrank", Arity: -3, Flags: rf | at, ACL: a, Keys: roa, Group: g, Since: "2.0.0",
			Summary: "Returns the index of a member in a sorted set ordered by ascending scores.", Handler: zrankCommand},
		{Name: "zrevrank", Arity: -3, Flags: rf | at, ACL: a, Keys: roa, Group: g, Since: "2.0.0",
			Summary: "Returns the index of a member in a sorted set ordered by descending scores.", Handler: zrevrankCommand},
		{Name: "zrange", Arity: -4, Flags: r | at, ACL: a, Keys: roa, Group: g, Since: "1.2.0",
			Summary: "Returns members in a sorted set within a range of indexes.", Handler: zrangeCommand},
		{Name: "zrangestore", Arity: -5, Flags: wd, ACL: a,
			Keys: []commands.KeySpec{commands.Range(commands.OW|commands.Update, 1, 0, 1), commands.Range(commands.RO|commands.Access, 2, 0, 1)}, Group: g, Since: "6.2.0",
			Summary: "Stores a range of members from sorted set in a key.", Event: notify.Event{Class: notify.ZSet, Name: "zrangestore"}, Handler: zrangestoreCommand},
		{Name: "zrangebyscore", Arity: -4, Flags: r | at, ACL: a, Keys: roa, Group: g, Since: "1.0.5",
			Summary: "Returns members in a sorted set within a range of scores.", Handler: zrangebyscoreCommand},
		{Name: "zrevrangebyscore", Arity: -4, Flags: r | at, ACL: a, Keys: roa, Group: g, Since: "2.2.0",
			Summary: "Returns members in a sorted set within a range of scores in reverse order.", Handler: zrevrangebyscoreCommand},
		{Name: "zrangebylex", Arity: -4, Flags: r, ACL: a, Keys: roa, Group: g, Since: "2.8.9",
			Summary: "Returns members in a sorted set within a lexicographical range.", Handler: zrangebylexCommand},
		{Name: "zrevrangebylex", Arity: -4, Flags: r, ACL: a, Keys: roa, Group: g, Since: "2.8.9",
			Summary: "Returns members in a sorted set within a lexicographical range in reverse order.", Handler: zrevrangebylexCommand},
		{Name: "zrevrange", Arity: -4, Flags: r | at, ACL: a, Keys: roa, Group: g, Since: "1.2.0",
			Summary: "Returns members in a sorted set within a range of indexes in reverse order.", Handler: zrevrangeCommand},
		{Name: "zremrangebyrank", Arity: 4, Flags: w, ACL: a, Keys: one(commands.RW | commands.Delete), Group: g, Since: "2.0.0",
			Summary: "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", Event: notify.Event{Class: notify.ZSet, Name: "zremrangebyrank"}, Handler: zremrangebyrankCommand},
		{Name: "zremrangebyscore", Arity: 4, Flags: w, ACL: a, Keys: one(commands.RW | commands.Delete), Group: g, Since: "1.2.0",
			Summary: "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", Event: notify.Event{Class: notify.ZSet, Name: "zremrangebyscore"}, Handler: zremrangebyscoreCommand},
		{Name: "zremrangebylex", Arity: 4, Flags: w, ACL: a, Keys: one(commands.RW | commands.Delete), Group: g, Since: "2.8.9",
			Summary: "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", Event: notify.Event{Class: notify.ZSet, Name: "zremrangebylex"}, Handler: zremrangebylexCommand},
		{Name: "zpopmin", Arity: -2, Flags: wf, ACL: a, Keys: pop, Group: g, Since: "5.0.0",
			Summary: "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Handler: zpopminCommand},
		{Name: "zpopmax", Arity: -2, Flags: wf, ACL: a, Keys: pop, Group: g, Since: "5.0.0",
			Summary: "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", Handler: zpopmaxCommand},
		{Name: "bzpopmin", TimeoutArg: -1, Arity: -3, Flags: wfb, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Access|commands.Delete, 1, -2, 1)}, Group: g, Since: "5.0.0",
			Summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Handler: bzpopminCommand},
		{Name: "bzpopmax", TimeoutArg: -1, Arity: -3, Flags: wfb, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Access|commands.Delete, 1, -2, 1)}, Group: g, Since: "5.0.0",
			Summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", Handler: bzpopmaxCommand},
		{Name: "zmpop", Arity: -4, Flags: w, ACL: a, Keys: []commands.KeySpec{commands.KeyNum(commands.RW|commands.Access|commands.Delete, 1, 0, 1, 1)}, Group: g, Since: "7.0.0",
			Summary: "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", Handler: zmpopCommand},
		{Name: "bzmpop", TimeoutArg: 1, Arity: -5, Flags: wb, ACL: a, Keys: []commands.KeySpec{commands.KeyNum(commands.RW|commands.Access|commands.Delete, 2, 0, 1, 1)}, Group: g, Since: "7.0.0",
			Summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", Handler: bzmpopCommand},
		{Name: "zrandmember", Arity: -2, Flags: r, ACL: a, Tips: []string{commands.TipNondeterministic}, Keys: roa, Group: g, Since: "6.2.0",
			Summary: "Returns one or more random members from a sorted set.", Handler: zrandmemberCommand},
		{Name: "zunion", Arity: -3, Flags: r, ACL: a, Keys: numkeys, Group: g, Since: "6.2.0",
			Summary: "Returns the union of multiple sorted sets.", Handler: zunionCommand},
		{Name: "zinter", Arity: -3, Flags: r, ACL: a, Keys: numkeys, Group: g, Since: "6.2.0",
			Summary: "Returns the intersect of multiple sorted sets.", Handler: zinterCommand},
		{Name: "zdiff", Arity: -3, Flags: r, ACL: a, Keys: numkeys, Group: g, Since: "6.2.0",
			Summary: "Returns the difference between multiple sorted sets.", Handler: zdiffCommand},
		{Name: "zunionstore", Arity: -4, Flags: wd, ACL: a, Keys: store2(), Group: g, Since: "2.0.0",
			Summary: "Stores the union of multiple sorted sets in a key.", Event: notify.Event{Class: notify.ZSet, Name: "zunionstore"}, Handler: zunionstoreCommand},
		{Name: "zinterstore", Arity: -4, Flags: wd, ACL: a, Keys: store2(), Group: g, Since: "2.0.0",
			Summary: "Stores the intersect of multiple sorted sets in a key.", Event: notify.Event{Class: notify.ZSet, Name: "zinterstore"}, Handler: zinterstoreCommand},
		{Name: "zdiffstore", Arity: -4, Flags: wd, ACL: a, Keys: store2(), Group: g, Since: "6.2.0",
			Summary: "Stores the difference of multiple sorted sets in a key.", Event: notify.Event{Class: notify.ZSet, Name: "zdiffstore"}, Handler: zdiffstoreCommand},
		{Name: "zintercard", Arity: -3, Flags: r, ACL: a, Keys: numkeys, Group: g, Since: "7.0.0",
			Summary: "Returns the number of members of the intersect of multiple sorted sets.", Handler: zintercardCommand},
		{Name: "zscan", Arity: -3, Flags: r, ACL: a, Tips: []string{commands.TipNondeterministic}, Keys: roa, Group: g, Since: "2.8.0",
			Summary: "Iterates over members and scores of a sorted set.", Handler: zscanCommand},
	}
}

// Errors of ZADD's option checks.
const (
	errZAddXXNX   = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncr   = "ERR INCR option supports a single increment-element pair"
)

func zaddCommand(c *commands.Call)    { zaddGeneric(c, 0) }
func zincrbyCommand(c *commands.Call) { zaddGeneric(c, store.ZAddIncr) }

// zaddGeneric is zaddGenericCommand: ZADD key [NX|XX] [GT|LT] [CH] [INCR]
// score member [score member ...], and ZINCRBY key increment member
// (which goes through the same option parser, as in Redis). Every score
// is parsed before anything is written; a NaN sum stops the command with
// the pairs before it applied, as Redis does.
func zaddGeneric(c *commands.Call, flags store.ZAddFlags) {
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case resp.EqualFold(a, "nx"):
			flags |= store.ZAddNX
		case resp.EqualFold(a, "xx"):
			flags |= store.ZAddXX
		case resp.EqualFold(a, "ch"):
			ch = true
		case resp.EqualFold(a, "incr"):
			flags |= store.ZAddIncr
		case resp.EqualFold(a, "gt"):
			flags |= store.ZAddGT
		case resp.EqualFold(a, "lt"):
			flags |= store.ZAddLT
		default:
			break options
		}
	}
	elements := len(c.Args) - i
	if elements%2 != 0 || elements == 0 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	elements /= 2
	nx, gt, lt := flags&store.ZAddNX != 0, flags&store.ZAddGT != 0, flags&store.ZAddLT != 0
	incr := flags&store.ZAddIncr != 0
	switch {
	case nx && flags&store.ZAddXX != 0:
		c.Reply.Error(errZAddXXNX)
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		c.Reply.Error(errZAddGTLTNX)
		return
	case incr && elements > 1:
		c.Reply.Error(errZAddIncr)
		return
	}
	var one [1]float64
	scores := one[:0]
	if elements > 1 {
		scores = make([]float64, 0, elements)
	}
	for j := 0; j < elements; j++ {
		f, ok := ParseScore(c.Args[i+2*j])
		if !ok {
			c.Reply.Error(resp.ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	key := c.Args[1]
	var added, updated, processed int64
	var last float64
	for j, score := range scores {
		out, sc, err := c.Tx.ZAdd(key, c.Args[i+2*j+1], score, flags, elements)
		if err != nil {
			if added+updated > 0 { // Redis's cleanup: what was applied is told
				notifyZAdd(c, incr, key)
			}
			c.ReplyStoreError(err)
			return
		}
		switch out {
		case store.ZAddAdded:
			added++
		case store.ZAddUpdated:
			updated++
		}
		if out != store.ZAddNop {
			processed++
			last = sc
		}
	}
	if added+updated > 0 {
		notifyZAdd(c, incr, key)
	}
	switch {
	case incr && processed > 0:
		replyDouble(c.Reply, last)
	case incr:
		c.Reply.Null()
	case ch:
		c.Reply.Int(added + updated)
	default:
		c.Reply.Int(added)
	}
}

// zremCommand is ZREM key member [member ...].
func zremCommand(c *commands.Call) {
	var n int64
	for _, m := range c.Args[2:] {
		ok, err := c.Tx.ZRem(c.Args[1], m)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		n += commands.BoolInt(ok)
	}
	if n > 0 {
		c.NotifyChanged(c.Own(), c.Args[1])
	}
	c.Reply.Int(n)
}

// notifyZAdd emits ZADD's event ("zincr" with INCR, as ZINCRBY's).
func notifyZAdd(c *commands.Call, incr bool, key []byte) {
	if incr {
		c.Notify(notify.ZIncr, key)
	} else {
		c.Notify(notify.ZAdd, key)
	}
}

func zcardCommand(c *commands.Call) {
	n, err := c.Tx.ZCard(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(n))
}

func zscoreCommand(c *commands.Call) {
	s, ok, err := c.Tx.ZScore(c.Args[1], c.Args[2])
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case !ok:
		c.Reply.Null()
	default:
		replyDouble(c.Reply, s)
	}
}

// zmscoreCommand is ZMSCORE key member [member ...]: a score or null per
// member (all null when the key is missing).
func zmscoreCommand(c *commands.Call) {
	if _, err := c.Tx.ZCard(c.Args[1]); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		s, ok, _ := c.Tx.ZScore(c.Args[1], m)
		if ok {
			replyDouble(c.Reply, s)
		} else {
			c.Reply.Null()
		}
	}
}

func zrankCommand(c *commands.Call)    { zrankGeneric(c, false) }
func zrevrankCommand(c *commands.Call) { zrankGeneric(c, true) }

// zrankGeneric is Z[REV]RANK key member [WITHSCORE] (WITHSCORE from 7.2:
// the reply becomes [rank, score], null array when the member is missing).
func zrankGeneric(c *commands.Call, rev bool) {
	if len(c.Args) > 4 {
		c.Reply.Error(resp.ErrWrongArgs(c.Name()))
		return
	}
	withScore := false
	if len(c.Args) == 4 {
		if !resp.EqualFold(c.Args[3], "withscore") {
			c.Reply.Error(resp.ErrSyntax)
			return
		}
		withScore = true
	}
	rank, score, ok, err := c.Tx.ZRank(c.Args[1], c.Args[2])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !ok {
		if withScore {
			c.Reply.NullArray()
		} else {
			c.Reply.Null()
		}
		return
	}
	if rev {
		n, _ := c.Tx.ZCard(c.Args[1])
		rank = n - 1 - rank
	}
	if withScore {
		c.Reply.Array(2)
	}
	c.Reply.Int(int64(rank))
	if withScore {
		replyDouble(c.Reply, score)
	}
}
