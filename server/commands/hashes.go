package commands

import (
	"bytes"
	"math"
	"math/rand/v2"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// HashCommands are the commands on hash values, with Redis 7 semantics
// (HSCAN NOVALUES from 7.4).
func HashCommands() []*Command {
	const g = "hash"
	wf, wdf := FlagWrite|FlagFast, FlagWrite|FlagDenyOOM|FlagFast
	r, rf := FlagReadOnly, FlagReadOnly|FlagFast
	// at marks the handlers read for FlagArgsTransient: they copy what
	// they store (store/hash keeps strings) and append what they answer.
	const at = FlagArgsTransient
	return []*Command{
		{Name: "hset", Arity: -4, Flags: wdf | at, ACL: ACLHash, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Creates or modifies the value of a field in a hash.", Handler: hsetCommand},
		{Name: "hsetnx", Arity: 4, Flags: wdf | at, ACL: ACLHash, Keys: []KeySpec{Range(RW|Insert, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Sets the value of a field in a hash only when the field doesn't exist.", Handler: hsetnxCommand},
		{Name: "hget", Arity: 3, Flags: rf | at, ACL: ACLHash, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Returns the value of a field in a hash.", Handler: hgetCommand},
		{Name: "hmset", Arity: -4, Flags: wdf | at, ACL: ACLHash, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Sets the values of multiple fields.", Handler: hmsetCommand},
		{Name: "hmget", Arity: -3, Flags: rf | at, ACL: ACLHash, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Returns the values of all fields in a hash.", Handler: hmgetCommand},
		{Name: "hdel", Arity: -3, Flags: wf | at, ACL: ACLHash, Keys: []KeySpec{Range(RW|Delete, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", Event: notify.Event{Class: notify.Hash, Name: "hdel"}, Handler: hdelCommand},
		{Name: "hexists", Arity: 3, Flags: rf | at, ACL: ACLHash, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Determines whether a field exists in a hash.", Handler: hexistsCommand},
		{Name: "hlen", Arity: 2, Flags: rf | at, ACL: ACLHash, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Returns the number of fields in a hash.", Handler: hlenCommand},
		{Name: "hstrlen", Arity: 3, Flags: rf | at, ACL: ACLHash, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "3.2.0",
			Summary: "Returns the length of the value of a field.", Handler: hstrlenCommand},
		{Name: "hgetall", Arity: 2, Flags: r | at, ACL: ACLHash, Tips: []string{TipNondeterministicOrder}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "2.0.0",
			Summary: "Returns all fields and values in a hash.", Handler: hgetallCommand},
		{Name: "hkeys", Arity: 2, Flags: r | at, ACL: ACLHash, Tips: []string{TipNondeterministicOrder}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "2.0.0",
			Summary: "Returns all fields in a hash.", Handler: hkeysCommand},
		{Name: "hvals", Arity: 2, Flags: r | at, ACL: ACLHash, Tips: []string{TipNondeterministicOrder}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "2.0.0",
			Summary: "Returns all values in a hash.", Handler: hvalsCommand},
		{Name: "hincrby", Arity: 4, Flags: wdf | at, ACL: ACLHash, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", Event: notify.Event{Class: notify.Hash, Name: "hincrby"}, Handler: hincrbyCommand},
		{Name: "hincrbyfloat", Arity: 4, Flags: wdf, ACL: ACLHash, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", Event: notify.Event{Class: notify.Hash, Name: "hincrbyfloat"}, Handler: hincrbyfloatCommand},
		{Name: "hscan", Arity: -3, Flags: r, ACL: ACLHash, Tips: []string{TipNondeterministic}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "2.8.0",
			Summary: "Iterates over fields and values of a hash.", Handler: hscanCommand},
		{Name: "hrandfield", Arity: -2, Flags: r, ACL: ACLHash, Tips: []string{TipNondeterministic}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "6.2.0",
			Summary: "Returns one or more random fields from a hash.", Handler: hrandfieldCommand},
	}
}

// hsetCommand is HSET key field value [field value ...], answering the
// number of new fields.
func hsetCommand(c *Call) {
	added, ok := hsetPairs(c)
	if ok {
		c.Reply.Int(added)
	}
}

// hmsetCommand is HMSET, the deprecated form of HSET that answers OK.
func hmsetCommand(c *Call) {
	if _, ok := hsetPairs(c); ok {
		c.Reply.OK()
	}
}

// hsetPairs sets the field/value pairs of HSET and HMSET. When it fails it
// has written the error reply and returns false. A key of another type
// fails on the first pair, before anything is written.
func hsetPairs(c *Call) (int64, bool) {
	if len(c.Args)%2 == 1 {
		c.Reply.Error(resp.ErrWrongArgs(c.Name()))
		return 0, false
	}
	added, err := c.Tx.HSetPairs(c.Args[1], c.Args[2:])
	if err != nil {
		c.ReplyStoreError(err)
		return 0, false
	}
	c.Notify(notify.HSet, c.Args[1])
	c.CountChanges((len(c.Args) - 2) / 2) // Redis counts every pair, new or not
	return int64(added), true
}

func hsetnxCommand(c *Call) {
	key, field := c.Args[1], c.Args[2]
	_, found, err := c.Tx.HGet(key, field)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if found {
		c.Reply.Int(0)
		return
	}
	if _, err := c.Tx.HSet(key, field, c.Args[3]); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.HSet, key)
	c.Reply.Int(1)
}

func hgetCommand(c *Call) {
	v, found, err := c.Tx.HGet(c.Args[1], c.Args[2])
	replyLookup(c, v, found, err)
}

// hmgetCommand answers WRONGTYPE for a key of another type (unlike MGET)
// and null for each missing field.
func hmgetCommand(c *Call) {
	key, fields := c.Args[1], c.Args[2:]
	t, err := c.Tx.Type(key)
	if err != nil || (t != store.TypeHash && t != store.TypeNone) {
		if err == nil {
			err = store.ErrWrongType
		}
		c.ReplyStoreError(err)
		return
	}
	if t == store.TypeNone { // one lookup missed, as Redis's (one keymiss)
		c.Reply.Array(len(fields))
		for range fields {
			c.Reply.Null()
		}
		return
	}
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	for _, f := range fields {
		v, found, err := c.Tx.HGet(key, f)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if found {
			body.Bulk(v)
		} else {
			body.Null()
		}
	}
	c.Reply.Array(len(fields))
	c.Reply.Raw(body.Bytes())
}

func hdelCommand(c *Call) {
	var n int64
	for _, f := range c.Args[2:] {
		deleted, err := c.Tx.HDel(c.Args[1], f)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		n += BoolInt(deleted)
	}
	if n > 0 {
		c.NotifyChanged(c.Own(), c.Args[1])
	}
	c.Reply.Int(n)
}

func hexistsCommand(c *Call) {
	_, found, err := c.Tx.HGet(c.Args[1], c.Args[2])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(BoolInt(found))
}

func hlenCommand(c *Call) {
	n, err := c.Tx.HLen(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(n))
}

func hstrlenCommand(c *Call) {
	v, _, err := c.Tx.HGet(c.Args[1], c.Args[2])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(len(v)))
}

// What hgetallGeneric returns for each field.
const (
	hashFields = 1 << iota
	hashValues
)

func hgetallCommand(c *Call) { hgetallGeneric(c, hashFields|hashValues) }
func hkeysCommand(c *Call)   { hgetallGeneric(c, hashFields) }
func hvalsCommand(c *Call)   { hgetallGeneric(c, hashValues) }

// hgetallGeneric answers HGETALL (a map in RESP3, a flat array in RESP2),
// HKEYS and HVALS (arrays).
func hgetallGeneric(c *Call, what int) {
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	n := 0
	err := c.Tx.HRange(c.Args[1], func(field, value []byte) bool {
		if what&hashFields != 0 {
			body.Bulk(field)
		}
		if what&hashValues != 0 {
			body.Bulk(value)
		}
		n++
		return true
	})
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if what == hashFields|hashValues {
		c.Reply.Map(n)
	} else {
		c.Reply.Array(n)
	}
	c.Reply.Raw(body.Bytes())
}

// hincrbyCommand is HINCRBY key field increment, with Redis's checks: the
// increment must be an integer, the field's value too ("hash value is not
// an integer"), and the sum must not overflow.
func hincrbyCommand(c *Call) {
	by, ok := resp.ParseInt64(c.Args[3])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	key, field := c.Args[1], c.Args[2]
	v, found, err := c.Tx.HGet(key, field)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	var old int64
	if found {
		if old, ok = resp.ParseInt64(v); !ok {
			c.Reply.Error("ERR hash value is not an integer")
			return
		}
	}
	if (by < 0 && old < 0 && by < math.MinInt64-old) || (by > 0 && old > 0 && by > math.MaxInt64-old) {
		c.Reply.Error(resp.ErrOverflow)
		return
	}
	n := old + by
	if _, err := c.Tx.HSet(key, field, resp.FormatInt(n)); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Int(n)
}

// hincrbyfloatCommand is HINCRBYFLOAT key field increment, computed in long
// double precision as Redis does and answered as a bulk string.
func hincrbyfloatCommand(c *Call) {
	incr, ok := resp.ParseLongDouble(c.Args[3])
	if !ok {
		c.Reply.Error(resp.ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Reply.Error("ERR value is NaN or Infinity")
		return
	}
	key, field := c.Args[1], c.Args[2]
	v, found, err := c.Tx.HGet(key, field)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	old := resp.LongDoubleFromInt(0)
	if found {
		if old, ok = resp.ParseLongDouble(v); !ok {
			c.Reply.Error("ERR hash value is not a float")
			return
		}
	}
	sum, ok := resp.AddLongDouble(old, incr)
	if !ok {
		c.Reply.Error(resp.ErrNaNOrInf)
		return
	}
	out := resp.FormatLongDouble(sum)
	if _, err := c.Tx.HSet(key, field, out); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Bulk(out)
}

// hscanCommand is HSCAN key cursor [MATCH pattern] [COUNT n] [NOVALUES].
// As in Redis, the cursor is checked first, then the key (a missing key is
// an empty, finished scan), then the options.
func hscanCommand(c *Call) {
	cursor, opts, ok := ScanStart(c, store.TypeHash)
	if !ok {
		return
	}
	key := c.Args[1]
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	n := 0
	count := int(min(opts.Count, math.MaxInt32))
	next, err := c.Tx.HScan(key, cursor, count, func(field, value []byte) {
		if opts.Pattern != nil && !resp.GlobMatch(opts.Pattern, field, false) {
			return
		}
		body.Bulk(field)
		n++
		if !opts.NoValues {
			body.Bulk(value)
			n++
		}
	})
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	ScanReply(c, next, n, &body)
}

// MaxRandCount bounds |count| of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER
// with repetitions. Redis streams such a reply whatever its size; here the
// reply is built in memory first, so an absurd count would exhaust it:
// refusing (with Redis's out-of-range error) keeps the node up.
const MaxRandCount = 1 << 20

// hrandfieldCommand is HRANDFIELD key [count [WITHVALUES]]: one random
// field (null when the key is missing), or count distinct fields (count >
// 0, at most the whole hash), or |count| fields with repetitions (count <
// 0). In RESP3, WITHVALUES answers an array of [field, value] pairs.
func hrandfieldCommand(c *Call) {
	if len(c.Args) == 2 {
		hrandfieldOne(c)
		return
	}
	count, withValues, ok := ParseRandCount(c, "withvalues")
	if !ok {
		return
	}
	if count < -MaxRandCount {
		c.Reply.Error("ERR value is out of range")
		return
	}
	fields, values, err := hashEntries(c, c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if len(fields) == 0 || count == 0 {
		c.Reply.Array(0)
		return
	}
	var picks []int
	switch {
	case count < 0 || count == 1:
		picks = make([]int, max(count, -count))
		for i := range picks {
			picks[i] = rand.IntN(len(fields))
		}
	case count >= int64(len(fields)):
		picks = make([]int, len(fields))
		for i := range picks {
			picks[i] = i
		}
	default:
		picks = rand.Perm(len(fields))[:count]
	}
	resp3 := c.Reply.RESP3()
	switch {
	case withValues && !resp3:
		c.Reply.Array(2 * len(picks))
	default:
		c.Reply.Array(len(picks))
	}
	for _, i := range picks {
		if withValues && resp3 {
			c.Reply.Array(2)
		}
		c.Reply.Bulk(fields[i])
		if withValues {
			c.Reply.Bulk(values[i])
		}
	}
}

// hrandfieldOne answers HRANDFIELD key: one random field or null.
func hrandfieldOne(c *Call) {
	fields, _, err := hashEntries(c, c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if len(fields) == 0 {
		c.Reply.Null()
		return
	}
	c.Reply.Bulk(fields[rand.IntN(len(fields))])
}

// hashEntries returns copies of the fields and values of the hash at key
// (none when it is missing). The store offers no random field access, so
// HRANDFIELD reads the whole hash: O(N) where Redis is O(count).
func hashEntries(c *Call, key []byte) (fields, values [][]byte, err error) {
	err = c.Tx.HRange(key, func(f, v []byte) bool {
		fields = append(fields, bytes.Clone(f))
		values = append(values, bytes.Clone(v))
		return true
	})
	return fields, values, err
}
