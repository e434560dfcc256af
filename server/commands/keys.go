package commands

import (
	"bytes"
	"math"
	"strconv"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// KeyCommands are the generic keyspace commands (Redis's "generic" group):
// deletion, existence, type, expiry, renaming, copying and iteration.
func KeyCommands() []*Command {
	const g = "generic"
	w, wd, wf := FlagWrite, FlagWrite|FlagDenyOOM, FlagWrite|FlagFast
	r, rf := FlagReadOnly, FlagReadOnly|FlagFast
	return []*Command{
		{Name: "del", Arity: -2, Flags: w, ACL: ACLKeyspace, Tips: []string{TipMultiShard, TipAggSum}, Keys: []KeySpec{Range(RM|Delete, 1, -1, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Deletes one or more keys.", Handler: delCommand},
		{Name: "unlink", Arity: -2, Flags: wf, ACL: ACLKeyspace, Tips: []string{TipMultiShard, TipAggSum}, Keys: []KeySpec{Range(RM|Delete, 1, -1, 1)},
			Group: g, Since: "4.0.0",
			Summary: "Asynchronously deletes one or more keys.", Handler: delCommand},
		{Name: "exists", Arity: -2, Flags: rf, ACL: ACLKeyspace, Tips: []string{TipMultiShard, TipAggSum}, Keys: []KeySpec{Range(RO, 1, -1, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Determines whether one or more keys exist.", Handler: existsCommand},
		{Name: "touch", Arity: -2, Flags: rf, ACL: ACLKeyspace, Tips: []string{TipMultiShard, TipAggSum}, Keys: []KeySpec{Range(RO, 1, -1, 1)},
			Group: g, Since: "3.2.1",
			Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Handler: touchCommand},
		{Name: "type", Arity: 2, Flags: rf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Determines the type of value stored at a key.", Handler: typeCommand},
		{Name: "expire", Arity: -3, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Sets the expiration time of a key in seconds.", Handler: expireCommand},
		{Name: "pexpire", Arity: -3, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Sets the expiration time of a key in milliseconds.", Handler: pexpireCommand},
		{Name: "expireat", Arity: -3, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "1.2.0",
			Summary: "Sets the expiration time of a key to a Unix timestamp.", Handler: expireatCommand},
		{Name: "pexpireat", Arity: -3, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", Handler: pexpireatCommand},
		{Name: "ttl", Arity: 2, Flags: rf, ACL: ACLKeyspace, Tips: []string{TipNondeterministic}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Returns the expiration time in seconds of a key.", Handler: ttlCommand},
		{Name: "pttl", Arity: 2, Flags: rf, ACL: ACLKeyspace, Tips: []string{TipNondeterministic}, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)},
			Group: g, Since: "2.6.0",
			Summary: "Returns the expiration time in milliseconds of a key.", Handler: pttlCommand},
		{Name: "expiretime", Arity: 2, Flags: rf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "7.0.0",
			Summary: "Returns the expiration time of a key as a Unix timestamp.", Handler: expiretimeCommand},
		{Name: "pexpiretime", Arity: 2, Flags: rf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "7.0.0",
			Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Handler: pexpiretimeCommand},
		{Name: "persist", Arity: 2, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "2.2.0",
			Summary: "Removes the expiration time of a key.", Handler: persistCommand},
		{Name: "rename", Arity: 3, Flags: w, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Access|Delete, 1, 0, 1), Range(OW|Update, 2, 0, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Renames a key and overwrites the destination.", Handler: renameCommand},
		{Name: "renamenx", Arity: 3, Flags: wf, ACL: ACLKeyspace, Keys: []KeySpec{Range(RW|Access|Delete, 1, 0, 1), Range(OW|Insert, 2, 0, 1)},
			Group: g, Since: "1.0.0",
			Summary: "Renames a key only when the target key name doesn't exist.", Handler: renamenxCommand},
		{Name: "copy", Arity: -3, Flags: wd, ACL: ACLKeyspace, Keys: []KeySpec{Range(RO|Access, 1, 0, 1), Range(OW|Update, 2, 0, 1)},
			Group: g, Since: "6.2.0",
			Summary: "Copies the value of a key to a new key.", Handler: copyCommand},
		{Name: "keys", Arity: 2, Flags: r, ACL: ACLKeyspace | ACLDangerous, Tips: []string{TipAllShards, TipNondeterministicOrder},
			Group: g, Since: "1.0.0",
			Summary: "Returns all key names that match a pattern.", Handler: keysCommand},
		{Name: "scan", Arity: -2, Flags: r, ACL: ACLKeyspace, Tips: []string{TipNondeterministic, TipSpecial}, Group: g, Since: "2.8.0",
			Summary: "Iterates over the key names in the database.", Handler: scanCommand},
		{Name: "randomkey", Arity: 1, Flags: r, ACL: ACLKeyspace, Tips: []string{TipAllShards, TipNondeterministic}, Group: g, Since: "1.0.0",
			Summary: "Returns a random key name from the database.", Handler: randomkeyCommand},
	}
}

// delCommand is DEL and UNLINK: the store frees memory without blocking
// either way, so UNLINK is DEL.
func delCommand(c *Call) {
	var n int64
	for _, k := range c.Args[1:] {
		deleted, err := c.Tx.Delete(k)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if deleted {
			c.Notify(notify.Del, k)
		}
		n += BoolInt(deleted)
	}
	c.Reply.Int(n)
}

// existsCommand counts a key named twice twice, as Redis does.
func existsCommand(c *Call) {
	var n int64
	for _, k := range c.Args[1:] {
		found, err := c.Tx.Exists(k)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		n += BoolInt(found)
	}
	c.Reply.Int(n)
}

func touchCommand(c *Call) {
	var n int64
	for _, k := range c.Args[1:] {
		found, err := c.Tx.Touch(k)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		n += BoolInt(found)
	}
	c.Reply.Int(n)
}

func typeCommand(c *Call) {
	t, err := c.Tx.Type(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Status(t.String())
}

func expireCommand(c *Call)    { expireGeneric(c, c.Tx.NowMS(), true) }
func pexpireCommand(c *Call)   { expireGeneric(c, c.Tx.NowMS(), false) }
func expireatCommand(c *Call)  { expireGeneric(c, 0, true) }
func pexpireatCommand(c *Call) { expireGeneric(c, 0, false) }

// expireGeneric is Redis 7's expireGenericCommand: the time may be
// negative (the key is then deleted) but must not overflow when converted
// to absolute milliseconds; NX/XX/GT/LT compare with the current expiry,
// GT and LT treating "no expiry" as infinite.
func expireGeneric(c *Call, basetime int64, seconds bool) {
	flags, msg := parseExpireFlags(c.Args[3:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	when, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Reply.Error(resp.ErrInvalidExpire(c.Name()))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		c.Reply.Error(resp.ErrInvalidExpire(c.Name()))
		return
	}
	when += basetime

	tx, key := c.Tx, c.Args[1]
	current, found, err := tx.ExpireAt(key)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		c.Reply.Int(0)
		return
	}
	persistent := current == 0
	switch {
	case flags&expireNX != 0 && !persistent,
		flags&expireXX != 0 && persistent,
		flags&expireGT != 0 && (persistent || when <= current),
		flags&expireLT != 0 && !persistent && when >= current:
		c.Reply.Int(0)
		return
	}
	ev := notify.Expire
	if when <= tx.NowMS() {
		// Already expired: delete now (SetExpireAt(0) would persist
		// instead when when is exactly 0).
		_, err = tx.Delete(key)
		ev = notify.Del
	} else {
		_, err = tx.SetExpireAt(key, when)
	}
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(ev, key)
	c.Reply.Int(1)
}

func ttlCommand(c *Call)         { ttlGeneric(c, false, false) }
func pttlCommand(c *Call)        { ttlGeneric(c, true, false) }
func expiretimeCommand(c *Call)  { ttlGeneric(c, false, true) }
func pexpiretimeCommand(c *Call) { ttlGeneric(c, true, true) }

// ttlGeneric is Redis's ttlGenericCommand: -2 for a missing key, -1 for no
// expiry, else the remaining time (or the absolute time) in milliseconds
// or rounded to seconds.
func ttlGeneric(c *Call, ms, abs bool) {
	at, found, err := c.Tx.ExpireAt(c.Args[1])
	switch {
	case err != nil:
		c.ReplyStoreError(err)
		return
	case !found:
		c.Reply.Int(-2)
		return
	case at == 0:
		c.Reply.Int(-1)
		return
	}
	ttl := at
	if !abs {
		ttl = at - c.Tx.NowMS()
	}
	ttl = max(ttl, 0)
	if !ms {
		ttl = (ttl + 500) / 1000
	}
	c.Reply.Int(ttl)
}

func persistCommand(c *Call) {
	at, found, err := c.Tx.ExpireAt(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found || at == 0 {
		c.Reply.Int(0)
		return
	}
	if _, err := c.Tx.SetExpireAt(c.Args[1], 0); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.Persist, c.Args[1])
	c.Reply.Int(1)
}

func renameCommand(c *Call)   { renameGeneric(c, false) }
func renamenxCommand(c *Call) { renameGeneric(c, true) }

// renameGeneric is RENAME and RENAMENX: a missing source is "ERR no such
// key"; renaming a key to itself succeeds without change (RENAMENX: 0).
func renameGeneric(c *Call, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	if bytes.Equal(src, dst) {
		found, err := c.Tx.Exists(src)
		switch {
		case err != nil:
			c.ReplyStoreError(err)
		case !found:
			c.Reply.Error(resp.ErrNoSuchKey)
		case nx:
			c.Reply.Int(0)
		default:
			c.Reply.OK()
		}
		return
	}
	renamed, srcExists, err := c.Tx.Rename(src, dst, nx)
	if err == nil && srcExists && (renamed || !nx) {
		c.Notify(notify.RenameFrom, src)
		c.Notify(notify.RenameTo, dst)
		c.CountChanges(1) // one for the two keys, as Redis
	}
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case !srcExists:
		c.Reply.Error(resp.ErrNoSuchKey)
	case nx:
		c.Reply.Int(BoolInt(renamed))
	default:
		c.Reply.OK()
	}
}

// numDatabases is the number of databases Redis accepts in COPY's DB
// option (its default "databases 16"); only 0 exists here, as in Redis
// Cluster.
const numDatabases = 16

// copyCommand is COPY source destination [DB 0] [REPLACE].
func copyCommand(c *Call) {
	replace := false
	for j := 3; j < len(c.Args); j++ {
		switch {
		case resp.EqualFold(c.Args[j], "replace"):
			replace = true
		case resp.EqualFold(c.Args[j], "db") && j < len(c.Args)-1:
			db, ok := resp.ParseInt64(c.Args[j+1])
			if !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			if db < 0 || db >= numDatabases {
				c.Reply.Error("ERR DB index is out of range")
				return
			}
			if db != 0 {
				c.Reply.Error("ERR Copying to another database is not allowed in cluster mode")
				return
			}
			j++
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	src, dst := c.Args[1], c.Args[2]
	if bytes.Equal(src, dst) {
		c.Reply.Error(resp.ErrSameObject)
		return
	}
	copied, err := c.Tx.Copy(src, dst, replace)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if copied {
		c.Notify(notify.CopyTo, dst)
	} else if c.Wants(notify.KeyMiss) && !c.Tx.Has(src) {
		c.Notify(notify.KeyMissed, src) // Redis looks the source up as a read
	}
	c.Reply.Int(BoolInt(copied))
}

// keysCommand is KEYS pattern over the slots this node leads, slot by
// slot.
func keysCommand(c *Call) {
	pattern := c.Args[1]
	all := resp.MatchAll(pattern)
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	n := 0
	st := c.Store
	for slot := 0; slot < ring.SlotCount; slot++ {
		if !c.Host.Leads(uint16(slot)) {
			continue
		}
		st.ScanSlot(uint16(slot), func(key []byte, _ store.Type) bool {
			if all || resp.GlobMatch(pattern, key, false) {
				body.Bulk(key)
				n++
			}
			return true
		})
	}
	c.Reply.Array(n)
	c.Reply.Raw(body.Bytes())
}

// scanCommand is SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] over
// the slots this node leads. The cursor is the next slot to visit: each
// call returns every live key of whole slots, in slot order, until at least COUNT keys are gathered or
// the slots run out, so a key present for the whole iteration is returned
// exactly once (a key's slot is fixed, so keys never move behind the
// cursor). Empty slots cost a lock and a nil check, so unlike Redis there
// is no budget of empty buckets per call: a sparse keyspace is scanned in
// one call. A cursor beyond the last slot ends the iteration.
func scanCommand(c *Call) {
	cursor, ok := resp.ParseScanCursor(c.Args[1])
	if !ok {
		c.Reply.Error(resp.ErrInvalidCursor)
		return
	}
	opts, msg := parseScanOptions(c.Args[2:], false)
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	var body resp.Reply
	body.SetRESP3(c.Reply.RESP3())
	n := int64(0)
	st := c.Store
	slot := cursor
	for ; slot < ring.SlotCount && n < opts.Count; slot++ {
		if !c.Host.Leads(uint16(slot)) {
			continue
		}
		st.ScanSlot(uint16(slot), func(key []byte, t store.Type) bool {
			if opts.Type != nil && !resp.EqualFold(opts.Type, t.String()) {
				return true
			}
			if opts.Pattern != nil && !resp.GlobMatch(opts.Pattern, key, false) {
				return true
			}
			body.Bulk(key)
			n++
			return true
		})
	}
	if slot >= ring.SlotCount {
		slot = 0
	}
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(slot, 10))
	c.Reply.Array(int(n))
	c.Reply.Raw(body.Bytes())
}

// randomkeyCommand draws from the slots this node leads.
func randomkeyCommand(c *Call) {
	key, ok := c.Store.RandomKeyIn(c.Host.Leads)
	if !ok {
		c.Reply.Null()
		return
	}
	c.Reply.Bulk(key)
}
