package commands

import (
	"bytes"
	"math"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// StringCommands are the commands on string values, with Redis 7 semantics
// (plus SET IFEQ/IFNE and DELEX from Redis 8.4 and Valkey's DELIFEQ, which
// lock holders use to release a lock only if they still own it).
func StringCommands() []*Command {
	const g = "string"
	wd, wf, wdf := FlagWrite|FlagDenyOOM, FlagWrite|FlagFast, FlagWrite|FlagDenyOOM|FlagFast
	r, rf := FlagReadOnly, FlagReadOnly|FlagFast
	// at marks the handlers read for FlagArgsTransient: they copy what
	// they store (Tx.Put, Tx.IncrBy) and append what they answer.
	const at = FlagArgsTransient
	return []*Command{
		{Name: "get", Arity: 2, Flags: rf | at, ACL: ACLString, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns the string value of a key.", Handler: getCommand},
		{Name: "set", Arity: -3, Flags: wd | at, ACL: ACLString, Keys: []KeySpec{{Flags: RW | Access | Update | VariableFlags, Index: 1, Step: 1,
			Notes: "RW and ACCESS due to the optional `GET` argument"}}, VariableKeyFlags: setKeyFlags, Group: g, Since: "1.0.0",
			Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Handler: setCommand},
		{Name: "setnx", Arity: 3, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(OW|Insert, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Set the string value of a key only when the key doesn't exist.", Handler: setnxCommand},
		{Name: "setex", Arity: 4, Flags: wd | at, ACL: ACLString, Keys: []KeySpec{Range(OW|Update, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", Handler: setexCommand},
		{Name: "psetex", Arity: 4, Flags: wd | at, ACL: ACLString, Keys: []KeySpec{Range(OW|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", Handler: psetexCommand},
		{Name: "mget", Arity: -2, Flags: rf | at, ACL: ACLString, Tips: []string{TipMultiShard}, Keys: []KeySpec{Range(RO|Access, 1, -1, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Atomically returns the string values of one or more keys.", Handler: mgetCommand},
		{Name: "mset", Arity: -3, Flags: wd | at, ACL: ACLString, Tips: []string{TipMultiShard, TipAllSucceeded}, Keys: []KeySpec{Range(OW|Update, 1, -1, 2)},
			Group: g, Since: "1.0.1",
			Summary: "Atomically creates or modifies the string values of one or more keys.", Handler: msetCommand},
		// MSETNX carries no request_policy:multi_shard tip (Redis 7.0 had one,
		// with agg_min; 7.2 dropped both): it sets all keys or none, which
		// only one node can do, so its keys must share a slot.
		{Name: "msetnx", Arity: -3, Flags: wd | at, ACL: ACLString, Keys: []KeySpec{Range(OW|Insert, 1, -1, 2)}, Group: g, Since: "1.0.1",
			Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", Handler: msetnxCommand},
		{Name: "getset", Arity: 3, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns the previous string value of a key after setting it to a new value.", Handler: getsetCommand},
		{Name: "getdel", Arity: 2, Flags: wf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Delete, 1, 0, 1)}, Group: g, Since: "6.2.0",
			Summary: "Returns the string value of a key after deleting the key.", Handler: getdelCommand},
		{Name: "getex", Arity: -2, Flags: wf, ACL: ACLString, Keys: []KeySpec{{Flags: RW | Access | Update, Index: 1, Step: 1,
			Notes: "RW and UPDATE because it changes the TTL"}}, Group: g, Since: "6.2.0",
			Summary: "Returns the string value of a key after setting its expiration time.", Handler: getexCommand},
		{Name: "append", Arity: 3, Flags: wdf, ACL: ACLString, Keys: []KeySpec{Range(RW|Insert, 1, 0, 1)}, Group: g, Since: "2.0.0",
			Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Event: notify.Event{Class: notify.String, Name: "append"}, Handler: appendCommand},
		{Name: "strlen", Arity: 2, Flags: rf | at, ACL: ACLString, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "2.2.0",
			Summary: "Returns the length of a string value.", Handler: strlenCommand},
		{Name: "incr", Arity: 2, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Event: notify.Event{Class: notify.String, Name: "incrby"}, Handler: incrCommand},
		{Name: "decr", Arity: 2, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Event: notify.Event{Class: notify.String, Name: "incrby"}, Handler: decrCommand},
		{Name: "incrby", Arity: 3, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Event: notify.Event{Class: notify.String, Name: "incrby"}, Handler: incrbyCommand},
		{Name: "decrby", Arity: 3, Flags: wdf | at, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Event: notify.Event{Class: notify.String, Name: "incrby"}, Handler: decrbyCommand},
		{Name: "incrbyfloat", Arity: 3, Flags: wdf, ACL: ACLString, Keys: []KeySpec{Range(RW|Access|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Event: notify.Event{Class: notify.String, Name: "incrbyfloat"}, Handler: incrbyfloatCommand},
		{Name: "getrange", Arity: 4, Flags: r, ACL: ACLString, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "2.4.0",
			Summary: "Returns a substring of the string stored at a key.", Handler: getrangeCommand},
		{Name: "substr", Arity: 4, Flags: r, ACL: ACLString, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns a substring from a string value.", Handler: getrangeCommand}, // GETRANGE's old name (deprecated since 2.0)
		{Name: "setrange", Arity: 4, Flags: wd, ACL: ACLString, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.2.0",
			Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", Event: notify.Event{Class: notify.String, Name: "setrange"}, Handler: setrangeCommand},
		// DELEX's facts are Redis 8.4's (delex.json), DELIFEQ's Valkey 9.0's.
		{Name: "delex", Arity: -2, Flags: wf, ACL: ACLString, Keys: []KeySpec{Range(RW|Delete, 1, 0, 1)}, Group: g, Since: "8.4.0",
			Summary: "Conditionally removes the specified key based on value or digest comparison.", Handler: delexCommand},
		// DELIFEQ is Valkey's (9.0) name for DELEX key IFEQ value.
		{Name: "delifeq", Arity: 3, Flags: FlagWrite, ACL: ACLString, Keys: []KeySpec{Range(RM|Access|Delete, 1, 0, 1)}, Group: g, Since: "9.0.0",
			Summary: "Delete key if value matches string.", Handler: delifeqCommand},
	}
}

// GetString returns the string at key, a copy the caller may keep across
// later writes to the key.
func GetString(tx *store.Tx, key []byte) ([]byte, bool, error) {
	v, ok, err := tx.Get(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	return bytes.Clone(v), true, nil
}

// PutKeepTTL replaces the string at key with value, keeping the key's
// expiry as APPEND, SETRANGE, INCR and friends do.
func PutKeepTTL(tx *store.Tx, key, value []byte) error {
	at, _, err := tx.ExpireAt(key)
	if err != nil {
		return err
	}
	return tx.Put(key, value, at)
}

// putWithExpiry stores value at key expiring at expireAt (0 for none). An
// expiry already in the past deletes the key instead: Redis stores it and
// the key is gone on the next access, which looks the same to clients but
// would leave a dead key behind here.
func putWithExpiry(tx *store.Tx, key, value []byte, expireAt int64) error {
	if expireAt != 0 && expireAt <= tx.NowMS() {
		_, err := tx.Delete(key)
		return err
	}
	return tx.Put(key, value, expireAt)
}

func getCommand(c *Call) {
	v, ok, err := c.Tx.Get(c.Args[1])
	replyLookup(c, v, ok, err)
}

// replyLookup answers a single-value read: the error, null when missing,
// or the value.
func replyLookup(c *Call, v []byte, ok bool, err error) {
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case !ok:
		c.Reply.Null()
	default:
		c.Reply.Bulk(v)
	}
}

// setKeyFlags are the flags of SET's key, as Redis's setGetKeys: the
// value is read (RW, access) with GET, only overwritten (OW) without.
func setKeyFlags(args [][]byte) KeyFlags {
	for _, a := range args[min(3, len(args)):] {
		if resp.EqualFold(a, "get") {
			return RW | Access | Update
		}
	}
	return OW | Update
}

// setCommand is SET key value [NX|XX|IFEQ v|IFNE v] [GET] [EX s|PX ms|EXAT
// s|PXAT ms|KEEPTTL].
func setCommand(c *Call) {
	opts, msg := parseStrOptions(c.Args[3:], true)
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	setGeneric(c, c.Args[1], c.Args[2], opts)
}

// setGeneric is Redis's setGenericCommand: validate the expiry, read the
// old value when GET or a value condition needs it, check the condition,
// write, and answer OK, the old value (GET) or null (condition not met).
func setGeneric(c *Call, key, value []byte, opts strOptions) {
	tx := c.Tx
	var expireAt int64
	if opts.expire != nil {
		var msg string
		if expireAt, msg = expireAtMillis(opts.expire, opts.flags, tx.NowMS(), c.Name()); msg != "" {
			c.Reply.Error(msg)
			return
		}
	}
	var old []byte
	var found bool
	if opts.flags&(strGet|strIFEQ|strIFNE) != 0 {
		var err error
		if old, found, err = GetString(tx, key); err != nil {
			c.ReplyStoreError(err)
			return
		}
		if !found && opts.flags&strGet != 0 {
			c.Notify(notify.KeyMissed, key) // GET reads it as Redis's GET does
		}
	} else if opts.flags&(strNX|strXX) != 0 {
		var err error
		if found, err = tx.Exists(key); err != nil {
			c.ReplyStoreError(err)
			return
		}
	}
	f := opts.flags
	blocked := (f&strNX != 0 && found) || (f&strXX != 0 && !found) ||
		(f&strIFEQ != 0 && (!found || !bytes.Equal(old, opts.match))) ||
		(f&strIFNE != 0 && found && bytes.Equal(old, opts.match))
	if !blocked {
		if f&strKeepTTL != 0 {
			at, _, err := tx.ExpireAt(key)
			if err != nil {
				c.ReplyStoreError(err)
				return
			}
			expireAt = at
		}
		if err := putWithExpiry(tx, key, value, expireAt); err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Notify(notify.SetEvent, key)
		if opts.expire != nil {
			c.Notify(notify.Expire, key)
		}
	}
	switch {
	case f&strGet != 0 && found:
		c.Reply.Bulk(old)
	case f&strGet != 0 || blocked:
		c.Reply.Null()
	default:
		c.Reply.OK()
	}
}

func setnxCommand(c *Call) {
	found, err := c.Tx.Exists(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if found {
		c.Reply.Int(0)
		return
	}
	if err := c.Tx.Put(c.Args[1], c.Args[2], 0); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.SetEvent, c.Args[1])
	c.Reply.Int(1)
}

// setexCommand is SETEX key seconds value.
func setexCommand(c *Call) {
	setGeneric(c, c.Args[1], c.Args[3], strOptions{flags: strEX, expire: c.Args[2]})
}

// psetexCommand is PSETEX key milliseconds value.
func psetexCommand(c *Call) {
	setGeneric(c, c.Args[1], c.Args[3], strOptions{flags: strPX, expire: c.Args[2]})
}

// mgetCommand answers null for missing keys and for keys of another type,
// as Redis does.
func mgetCommand(c *Call) {
	keys := c.Args[1:]
	c.Reply.Array(len(keys))
	for _, k := range keys {
		v, ok, err := c.Tx.Get(k)
		if err != nil || !ok {
			c.Reply.Null()
			continue
		}
		c.Reply.Bulk(v)
	}
}

func msetCommand(c *Call) { msetGeneric(c, false) }

func msetnxCommand(c *Call) { msetGeneric(c, true) }

// msetGeneric sets every key/value pair; with nx, only when none of the
// keys exists (answering 1 or 0 instead of OK).
func msetGeneric(c *Call, nx bool) {
	if len(c.Args)%2 == 0 {
		c.Reply.Error(resp.ErrWrongArgs(c.Name()))
		return
	}
	pairs := c.Args[1:]
	if nx {
		for i := 0; i < len(pairs); i += 2 {
			found, err := c.Tx.Exists(pairs[i])
			if err != nil {
				c.ReplyStoreError(err)
				return
			}
			if found {
				c.Reply.Int(0)
				return
			}
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		if err := c.Tx.Put(pairs[i], pairs[i+1], 0); err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Notify(notify.SetEvent, pairs[i])
	}
	if nx {
		c.Reply.Int(1)
		return
	}
	c.Reply.OK()
}

func getsetCommand(c *Call) {
	setGeneric(c, c.Args[1], c.Args[2], strOptions{flags: strGet})
}

func getdelCommand(c *Call) {
	old, found, err := GetString(c.Tx, c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		c.Notify(notify.KeyMissed, c.Args[1]) // read as Redis's GET reads it
		c.Reply.Null()
		return
	}
	if _, err := c.Tx.Delete(c.Args[1]); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.Del, c.Args[1])
	c.Reply.Bulk(old)
}

// getexCommand is GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]. As in
// Redis, options are parsed first, then the key is read, then the expiry
// is validated, so a missing key answers null even with a bad expiry.
func getexCommand(c *Call) {
	opts, msg := parseStrOptions(c.Args[2:], false)
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	tx, key := c.Tx, c.Args[1]
	v, found, err := GetString(tx, key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		c.Notify(notify.KeyMissed, key) // read as Redis's GET reads it
		c.Reply.Null()
		return
	}
	var at int64
	if opts.expire != nil {
		if at, msg = expireAtMillis(opts.expire, opts.flags, tx.NowMS(), "getex"); msg != "" {
			c.Reply.Error(msg)
			return
		}
	}
	var ev notify.Event
	switch {
	case opts.expire != nil && at <= tx.NowMS():
		_, err = tx.Delete(key)
		ev = notify.Del
	case opts.expire != nil:
		_, err = tx.SetExpireAt(key, at)
		ev = notify.Expire
	case opts.flags&strPersist != 0:
		var ttl int64
		if ttl, _, err = tx.ExpireAt(key); err == nil && ttl != 0 {
			_, err = tx.SetExpireAt(key, 0)
			ev = notify.Persist
		}
	}
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(ev, key)
	c.Reply.Bulk(v)
}

// checkStringLength is Redis's checkStringLength: a string built from size
// bytes plus add more must fit proto-max-bulk-len.
func checkStringLength(c *Call, size, add int64) bool {
	return size <= c.MaxBulkLen()-add
}

func appendCommand(c *Call) {
	tx, key, add := c.Tx, c.Args[1], c.Args[2]
	n, found, err := tx.StringLen(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		if err := tx.Put(key, add, 0); err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.NotifyOwn(key)
		c.Reply.Int(int64(len(add)))
		return
	}
	if !checkStringLength(c, int64(n), int64(len(add))) {
		c.Reply.Error(resp.ErrStringTooLong)
		return
	}
	if len(add) == 0 {
		// Nothing changes, but Redis still signals the key (WATCH sees
		// it): rewrite the last byte in place, or the empty value.
		if n > 0 {
			_, err = tx.ModifyRange(key, n-1, 1, func([]byte) {})
		} else {
			err = PutKeepTTL(tx, key, nil)
		}
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.NotifyOwn(key)
		c.Reply.Int(int64(n))
		return
	}
	// The appended bytes replicate as one range effect, not the whole value.
	size, err := tx.ModifyRange(key, n, len(add), func(v []byte) { copy(v[n:], add) })
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Int(int64(size))
}

func strlenCommand(c *Call) {
	v, _, err := c.Tx.Get(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(len(v)))
}

func incrCommand(c *Call) { incrDecr(c, 1) }

func decrCommand(c *Call) { incrDecr(c, -1) }

func incrbyCommand(c *Call) {
	n, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	incrDecr(c, n)
}

func decrbyCommand(c *Call) {
	n, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if n == math.MinInt64 {
		c.Reply.Error("ERR decrement would overflow")
		return
	}
	incrDecr(c, -n)
}

// incrDecr adds by to the integer at key (0 when missing), keeping its TTL.
func incrDecr(c *Call, by int64) {
	tx, key := c.Tx, c.Args[1]
	v, found, err := tx.Get(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	var old int64
	if found {
		var ok bool
		if old, ok = resp.ParseInt64(v); !ok {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
	}
	if (by < 0 && old < 0 && by < math.MinInt64-old) || (by > 0 && old > 0 && by > math.MaxInt64-old) {
		c.Reply.Error(resp.ErrOverflow)
		return
	}
	n := old + by
	if err := PutKeepTTL(tx, key, resp.FormatInt(n)); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Int(n)
}

// incrbyfloatCommand adds in long double precision, as Redis does, and
// answers the new value as a bulk string in both protocols.
func incrbyfloatCommand(c *Call) {
	tx, key := c.Tx, c.Args[1]
	v, found, err := tx.Get(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	old := resp.LongDoubleFromInt(0)
	if found {
		var ok bool
		if old, ok = resp.ParseLongDouble(v); !ok {
			c.Reply.Error(resp.ErrNotFloat)
			return
		}
	}
	incr, ok := resp.ParseLongDouble(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotFloat)
		return
	}
	sum, ok := resp.AddLongDouble(old, incr)
	if !ok {
		c.Reply.Error(resp.ErrNaNOrInf)
		return
	}
	out := resp.FormatLongDouble(sum)
	if err := PutKeepTTL(tx, key, out); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Bulk(out)
}

// getrangeCommand is GETRANGE key start end with Redis 7's clamping: negative
// offsets count from the end, both ends inclusive, out of range answers "".
func getrangeCommand(c *Call) {
	start, ok1 := resp.ParseInt64(c.Args[2])
	end, ok2 := resp.ParseInt64(c.Args[3])
	if !ok1 || !ok2 {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	v, _, err := c.Tx.Get(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Bulk(substr(v, start, end))
}

// substr is getrangeCommand's arithmetic.
func substr(v []byte, start, end int64) []byte {
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return v[start : end+1]
}

// setrangeCommand is SETRANGE key offset value: it zero-pads the string up
// to offset, refuses results above proto-max-bulk-len, keeps the TTL, and
// creates no key for an empty value.
func setrangeCommand(c *Call) {
	offset, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if offset < 0 {
		c.Reply.Error(resp.ErrOffsetRange)
		return
	}
	tx, key, value := c.Tx, c.Args[1], c.Args[3]
	n, _, err := tx.StringLen(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if len(value) == 0 {
		c.Reply.Int(int64(n))
		return
	}
	if !checkStringLength(c, offset, int64(len(value))) {
		c.Reply.Error(resp.ErrStringTooLong)
		return
	}
	// Only the written bytes replicate (store.EffectSetRange).
	size, err := tx.ModifyRange(key, int(offset), len(value), func(v []byte) { copy(v[offset:], value) })
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(key)
	c.Reply.Int(int64(size))
}

// delexCommand is DELEX key [IFEQ value | IFNE value]: DEL of one key, or a
// compare-and-delete of a string. IFDEQ/IFDNE (digest conditions) need
// XXH3, which the pinned dependencies do not provide; they are refused.
func delexCommand(c *Call) {
	key := c.Args[1]
	if len(c.Args) == 2 {
		deleted, err := c.Tx.Delete(key)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if deleted {
			c.Notify(notify.Del, key)
		}
		c.Reply.Int(BoolInt(deleted))
		return
	}
	if len(c.Args) != 4 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	switch cond := c.Args[2]; {
	case resp.EqualFold(cond, "ifeq"):
		deleteIf(c, key, c.Args[3], true)
	case resp.EqualFold(cond, "ifne"):
		deleteIf(c, key, c.Args[3], false)
	case resp.EqualFold(cond, "ifdeq"), resp.EqualFold(cond, "ifdne"):
		c.Reply.Error("ERR IFDEQ and IFDNE are not supported: use IFEQ or IFNE")
	default:
		c.Reply.Error(resp.ErrSyntax)
	}
}

// delifeqCommand is DELIFEQ key value.
func delifeqCommand(c *Call) { deleteIf(c, c.Args[1], c.Args[2], true) }

// deleteIf deletes the string at key when its value equals match (eq) or
// differs from it (!eq), answering 1 or 0; a missing key answers 0 and a
// value of another type WRONGTYPE.
func deleteIf(c *Call, key, match []byte, eq bool) {
	v, found, err := c.Tx.Get(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found || bytes.Equal(v, match) != eq {
		c.Reply.Int(0)
		return
	}
	deleted, err := c.Tx.Delete(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if deleted {
		c.Notify(notify.Del, key)
	}
	c.Reply.Int(BoolInt(deleted))
}

// BoolInt is 1 for true and 0 for false, for integer replies.
func BoolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
