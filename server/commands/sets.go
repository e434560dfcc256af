package commands

import (
	"bytes"
	"math"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// SetCommands are the commands on set values, with Redis 7.2 semantics.
func SetCommands() []*Command {
	const g = "set"
	wf, wd, wdf := FlagWrite|FlagFast, FlagWrite|FlagDenyOOM, FlagWrite|FlagDenyOOM|FlagFast
	r, rf := FlagReadOnly, FlagReadOnly|FlagFast
	one := func(f KeyFlags) []KeySpec { return []KeySpec{Range(f, 1, 0, 1)} }
	all := []KeySpec{Range(RO|Access, 1, -1, 1)}
	stores := []KeySpec{Range(OW|Update, 1, 0, 1), Range(RO|Access, 2, -1, 1)}
	order := []string{TipNondeterministicOrder}
	nondet := []string{TipNondeterministic}
	// at marks the handlers read for FlagArgsTransient: they copy what
	// they store (store/set appends members to its own data) and append
	// what they answer.
	const at = FlagArgsTransient
	return []*Command{
		{Name: "sadd", Arity: -3, Flags: wdf | at, ACL: ACLSet, Keys: one(RW | Insert), Group: g, Since: "1.0.0",
			Summary: "Adds one or more members to a set. Creates the key if it doesn't exist.", Handler: saddCommand},
		{Name: "srem", Arity: -3, Flags: wf | at, ACL: ACLSet, Keys: one(RW | Delete), Group: g, Since: "1.0.0",
			Summary: "Removes one or more members from a set. Deletes the set if the last member was removed.", Event: notify.Event{Class: notify.Set, Name: "srem"}, Handler: sremCommand},
		{Name: "smembers", Arity: 2, Flags: r | at, ACL: ACLSet, Tips: order, Keys: one(RO | Access), Group: g, Since: "1.0.0",
			Summary: "Returns all members of a set.", Handler: smembersCommand},
		{Name: "sismember", Arity: 3, Flags: rf | at, ACL: ACLSet, Keys: one(RO), Group: g, Since: "1.0.0",
			Summary: "Determines whether a member belongs to a set.", Handler: sismemberCommand},
		{Name: "smismember", Arity: -3, Flags: rf | at, ACL: ACLSet, Keys: one(RO | Access), Group: g, Since: "6.2.0",
			Summary: "Determines whether multiple members belong to a set.", Handler: smismemberCommand},
		{Name: "scard", Arity: 2, Flags: rf | at, ACL: ACLSet, Keys: one(RO), Group: g, Since: "1.0.0",
			Summary: "Returns the number of members in a set.", Handler: scardCommand},
		{Name: "spop", Arity: -2, Flags: wf | at, ACL: ACLSet, Tips: nondet, Keys: one(RW | Access | Delete), Group: g, Since: "1.0.0",
			Summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
			Event:   notify.Event{Class: notify.Set, Name: "spop"}, Handler: spopCommand},
		{Name: "srandmember", Arity: -2, Flags: r | at, ACL: ACLSet, Tips: nondet, Keys: one(RO | Access), Group: g, Since: "1.0.0",
			Summary: "Get one or multiple random members from a set", Handler: srandmemberCommand},
		{Name: "smove", Arity: 4, Flags: wf, ACL: ACLSet, Keys: []KeySpec{Range(RW|Access|Delete, 1, 0, 1), Range(RW|Insert, 2, 0, 1)},
			Group: g, Since: "1.0.0", Summary: "Moves a member from one set to another.", Handler: smoveCommand},
		{Name: "sinter", Arity: -2, Flags: r, ACL: ACLSet, Tips: order, Keys: all, Group: g, Since: "1.0.0",
			Summary: "Returns the intersect of multiple sets.", Handler: setOpCommand(store.SetInter)},
		{Name: "sintercard", Arity: -3, Flags: r, ACL: ACLSet, Keys: []KeySpec{KeyNum(RO|Access, 1, 0, 1, 1)}, Group: g, Since: "7.0.0",
			Summary: "Returns the number of members of the intersect of multiple sets.", Handler: sintercardCommand},
		{Name: "sinterstore", Arity: -3, Flags: wd, ACL: ACLSet, Keys: stores, Group: g, Since: "1.0.0",
			Summary: "Stores the intersect of multiple sets in a key.", Event: notify.Event{Class: notify.Set, Name: "sinterstore"}, Handler: setOpStoreCommand(store.SetInter)},
		{Name: "sunion", Arity: -2, Flags: r, ACL: ACLSet, Tips: order, Keys: all, Group: g, Since: "1.0.0",
			Summary: "Returns the union of multiple sets.", Handler: setOpCommand(store.SetUnion)},
		{Name: "sunionstore", Arity: -3, Flags: wd, ACL: ACLSet, Keys: stores, Group: g, Since: "1.0.0",
			Summary: "Stores the union of multiple sets in a key.", Event: notify.Event{Class: notify.Set, Name: "sunionstore"}, Handler: setOpStoreCommand(store.SetUnion)},
		{Name: "sdiff", Arity: -2, Flags: r, ACL: ACLSet, Tips: order, Keys: all, Group: g, Since: "1.0.0",
			Summary: "Returns the difference of multiple sets.", Handler: setOpCommand(store.SetDiff)},
		{Name: "sdiffstore", Arity: -3, Flags: wd, ACL: ACLSet, Keys: stores, Group: g, Since: "1.0.0",
			Summary: "Stores the difference of multiple sets in a key.", Event: notify.Event{Class: notify.Set, Name: "sdiffstore"}, Handler: setOpStoreCommand(store.SetDiff)},
		{Name: "sscan", Arity: -3, Flags: r, ACL: ACLSet, Tips: nondet, Keys: one(RO | Access), Group: g, Since: "2.8.0",
			Summary: "Iterates over members of a set.", Handler: sscanCommand},
	}
}

// Redis's error texts of the set commands' numbers.
const (
	errLimitNegative = "ERR LIMIT can't be negative"
)

// parsePositiveLong is getPositiveLongFromObjectOrReply: an integer from 0
// to LONG_MAX; the caller answers its own message otherwise (for a
// malformed number too, as Redis).
func parsePositiveLong(b []byte) (int64, bool) {
	n, ok := resp.ParseInt64(b)
	if !ok || n < 0 {
		return 0, false
	}
	return n, true
}

func saddCommand(c *Call) {
	n, err := c.Tx.SAdd(c.Args[1], c.Args[2:]...)
	if n > 0 && err == nil {
		c.Notify(notify.SAdd, c.Args[1])
		c.CountChanges(n) // Redis counts the members added
	}
	replyCount(c, n, err)
}

func sremCommand(c *Call) {
	n, err := c.Tx.SRem(c.Args[1], c.Args[2:]...)
	if n > 0 && err == nil {
		c.NotifyChanged(c.Own(), c.Args[1])
		c.CountChanges(n) // Redis counts the members removed
	}
	replyCount(c, n, err)
}

// replyCount answers an integer or the store's error.
func replyCount(c *Call, n int, err error) {
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(n))
}

// smembersCommand answers a set (an empty one for a missing key).
func smembersCommand(c *Call) {
	n, err := c.Tx.SMembers(c.Args[1], c.Reply.Set, c.Reply.Bulk)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n == 0 {
		c.Reply.Set(0)
	}
}

func sismemberCommand(c *Call) {
	ok, err := c.Tx.SIsMember(c.Args[1], c.Args[2])
	replyCount(c, int(BoolInt(ok)), err)
}

// smismemberCommand answers 1 or 0 per member; a missing key is an empty
// set, another type WRONGTYPE.
func smismemberCommand(c *Call) {
	members := c.Args[2:]
	start := c.Reply.Len()
	c.Reply.Array(len(members))
	err := c.Tx.SMIsMember(c.Args[1], members, func(ok bool) { c.Reply.Int(BoolInt(ok)) })
	if err != nil {
		c.Reply.Truncate(start)
		c.ReplyStoreError(err)
	}
}

func scardCommand(c *Call) {
	n, err := c.Tx.SCard(c.Args[1])
	replyCount(c, n, err)
}

// spopCommand is SPOP key [count]: one member (null when the key is
// missing), or a set of up to count members.
func spopCommand(c *Call) {
	switch len(c.Args) {
	case 2:
		found, err := c.Tx.SPop(c.Args[1], 1, func(int) {}, c.Reply.Bulk)
		if err != nil {
			c.ReplyStoreError(err)
		} else if !found {
			c.Reply.Null()
		} else {
			c.NotifyChanged(c.Own(), c.Args[1])
		}
		return
	case 3:
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	count, ok := parsePositiveLong(c.Args[2])
	if !ok {
		c.Reply.Error(errNotPositive)
		return
	}
	if count == 0 {
		// Redis checks the key's type first, then answers an empty set.
		if _, err := c.Tx.SCard(c.Args[1]); err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Reply.Set(0)
		return
	}
	popped := 0
	found, err := c.Tx.SPop(c.Args[1], count, func(n int) { popped = n; c.Reply.Set(n) }, c.Reply.Bulk)
	if err != nil {
		c.ReplyStoreError(err)
	} else if !found {
		c.Reply.Set(0)
	} else {
		c.NotifyChanged(c.Own(), c.Args[1])
		c.CountChanges(popped) // Redis counts the members popped
	}
}

// srandmemberCommand is SRANDMEMBER key [count]: one member (null when
// the key is missing), or an array of members by Redis's cases.
func srandmemberCommand(c *Call) {
	switch len(c.Args) {
	case 2:
		found, err := c.Tx.SRandMember(c.Args[1], -1, func(int) {}, c.Reply.Bulk)
		if err != nil {
			c.ReplyStoreError(err)
		} else if !found {
			c.Reply.Null()
		}
		return
	case 3:
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	count, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if count == math.MinInt64 {
		c.Reply.Error(errLongRange)
		return
	}
	if count == 0 || count < -MaxRandCount {
		// Redis streams any number of repeats; the reply is built in
		// memory here, so an absurd count on an existing set is refused.
		n, err := c.Tx.SCard(c.Args[1])
		switch {
		case err != nil:
			c.ReplyStoreError(err)
		case n == 0 || count == 0:
			c.Reply.Array(0)
		default:
			c.Reply.Error("ERR value is out of range")
		}
		return
	}
	found, err := c.Tx.SRandMember(c.Args[1], count, c.Reply.Array, c.Reply.Bulk)
	if err != nil {
		c.ReplyStoreError(err)
	} else if !found {
		c.Reply.Array(0)
	}
}

func smoveCommand(c *Call) {
	ok, added, err := c.Tx.SMoveAdded(c.Args[1], c.Args[2], c.Args[3])
	if ok && err == nil && !bytes.Equal(c.Args[1], c.Args[2]) {
		c.NotifyChanged(notify.SRem, c.Args[1])
		if added {
			c.Notify(notify.SAdd, c.Args[2])
		}
	}
	replyCount(c, int(BoolInt(ok)), err)
}

// setOpCommand answers SINTER, SUNION or SDIFF: a set.
func setOpCommand(op store.SetOp) func(*Call) {
	return func(c *Call) {
		start := c.Reply.Len()
		if err := c.Tx.SetOp(op, c.Args[1:], c.Reply.Set, c.Reply.Bulk); err != nil {
			c.Reply.Truncate(start)
			c.ReplyStoreError(err)
		}
	}
}

// setOpStoreCommand answers SINTERSTORE, SUNIONSTORE or SDIFFSTORE: the
// size of the stored result.
func setOpStoreCommand(op store.SetOp) func(*Call) {
	return func(c *Call) {
		existed := c.StoreExisted(c.Args[1])
		n, err := c.Tx.SetOpStore(op, c.Args[1], c.Args[2:])
		if err == nil {
			c.Stored(c.Args[1], int64(n), existed, 1)
		}
		replyCount(c, n, err)
	}
}

// sintercardCommand is SINTERCARD numkeys key [key ...] [LIMIT limit],
// checking its arguments as Redis does before looking at any key (the
// front end gives no Tx when numkeys does not fit the arguments).
func sintercardCommand(c *Call) {
	numkeys, ok := resp.ParseInt64(c.Args[1])
	if !ok || numkeys < 1 {
		c.Reply.Error(errNumkeys)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Reply.Error(errNumkeysArgs)
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(c.Args); j++ {
		if resp.EqualFold(c.Args[j], "limit") && j+1 < len(c.Args) {
			j++
			if limit, ok = parsePositiveLong(c.Args[j]); !ok {
				c.Reply.Error(errLimitNegative)
				return
			}
			continue
		}
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	n, err := c.Tx.SInterCard(c.Args[2:2+numkeys], int(min(limit, math.MaxInt)))
	replyCount(c, n, err)
}

// sscanCommand is SSCAN key cursor [MATCH pattern] [COUNT count]. As in
// Redis, the cursor is checked first, then the key (a missing key is an
// empty, finished scan), then the options (TYPE and NOVALUES are not
// SSCAN's in Redis 7.2: syntax errors).
func sscanCommand(c *Call) {
	cursor, opts, ok := ScanStart(c, store.TypeSet)
	if !ok {
		return
	}
	key, count, pattern := c.Args[1], opts.Count, opts.Pattern
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	found := 0
	next, err := c.Tx.SScan(key, cursor, int(min(count, math.MaxInt32)), func(m []byte) {
		if pattern == nil || resp.GlobMatch(pattern, m, false) {
			body.Bulk(m)
			found++
		}
	})
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	ScanReply(c, next, found, &body)
}
