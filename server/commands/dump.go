package commands

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/store/rdb"
)

// DumpCommands are DUMP and RESTORE: a key's value in Redis's own
// serialization (store/rdb), so values move between redis-server and
// meshcache in either direction.
func DumpCommands() []*Command {
	const g = "generic"
	return []*Command{
		{Name: "dump", Arity: 2, Flags: FlagReadOnly, ACL: ACLKeyspace, Tips: []string{TipNondeterministic},
			Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Returns a serialized representation of the value stored at a key.", Handler: dumpCommand},
		{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, ACL: ACLKeyspace | ACLDangerous,
			Keys: []KeySpec{Range(OW|Update, 1, 0, 1)}, Group: g, Since: "2.6.0",
			Summary: "Creates a key from the serialized representation of a value.", Handler: restoreCommand},
	}
}

// dumpCommand is DUMP key: nil for a missing key, else the payload
// rdb.Dump writes.
func dumpCommand(c *Call) {
	v, ok, err := readValue(c.Tx, c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !ok {
		c.Reply.Null()
		return
	}
	c.Reply.Bulk(rdb.Dump(v))
}

// readValue copies the value at key into an rdb.Value: list order, sorted
// sets by ascending score, sets and hashes in the store's order, with the
// encoding it is held in and the live quicklist node size.
func readValue(tx *store.Tx, key []byte) (rdb.Value, bool, error) {
	typ, err := tx.Type(key)
	if err != nil || typ == store.TypeNone {
		return rdb.Value{}, false, err
	}
	var v rdb.Value
	add := func(e []byte) { v.Elems = append(v.Elems, bytes.Clone(e)) }
	switch typ {
	case store.TypeString:
		s, _, gerr := tx.Get(key)
		v, err = rdb.Value{Kind: rdb.KindString, Str: bytes.Clone(s)}, gerr
	case store.TypeList:
		v.Kind = rdb.KindList
		err = tx.ListRange(key, 0, -1, func(int) {}, add)
	case store.TypeSet:
		v.Kind = rdb.KindSet
		_, err = tx.SMembers(key, func(int) {}, add)
	case store.TypeHash:
		v.Kind = rdb.KindHash
		err = tx.HRange(key, func(f, val []byte) bool { add(f); add(val); return true })
	case store.TypeZSet:
		v.Kind = rdb.KindZSet
		err = tx.ZIter(key, 0, false, func(m []byte, score float64) bool {
			add(m)
			v.Scores = append(v.Scores, score)
			return true
		})
	default:
		return rdb.Value{}, false, errors.New("ERR DUMP of an unknown type")
	}
	if err != nil {
		return v, false, err
	}
	if typ != store.TypeString {
		// The payload takes the encoding the store holds the value in, as
		// Redis writes its object's own, and a list's nodes split under
		// the live list-max-listpack-size (0 splits as 1: one element a
		// node).
		info, _, oerr := tx.Object(key)
		if oerr != nil {
			return v, false, oerr
		}
		v.Encoding, v.ListFill = info.Encoding, tx.Encodings().List.Fill
		if v.ListFill == 0 {
			v.ListFill = 1
		}
	}
	return v, true, nil
}

// restoreCommand is RESTORE key ttl serialized-value [REPLACE] [ABSTTL]
// [IDLETIME seconds] [FREQ frequency], checked in Redis's order: options,
// an existing key, the TTL, the payload's version and checksum, its value.
// The value is written through the type's own writes (so it replicates as
// their effects and counts in memory), then its expiry.
func restoreCommand(c *Call) {
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch a := c.Args[j]; {
		case resp.EqualFold(a, "replace"):
			replace = true
		case resp.EqualFold(a, "absttl"):
			absTTL = true
		case resp.EqualFold(a, "idletime") && more >= 1 && freq == -1:
			n, ok := resp.ParseInt64(c.Args[j+1])
			if !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			if n < 0 {
				c.Reply.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			j++
		case resp.EqualFold(a, "freq") && more >= 1 && idle == -1:
			n, ok := resp.ParseInt64(c.Args[j+1])
			if !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			if n < 0 || n > 255 {
				c.Reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			j++
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	if !replace {
		exists, err := c.Tx.Exists(key)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if exists {
			c.Reply.Error("BUSYKEY Target key name already exists.")
			return
		}
	}
	ttl, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if ttl < 0 {
		c.Reply.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	v, err := rdb.Load(c.Args[3])
	switch {
	case errors.Is(err, rdb.ErrPayload):
		c.Reply.Error("ERR DUMP payload version or checksum are wrong")
		return
	case err != nil:
		c.Reply.Error("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		var err error
		if deleted, err = c.Tx.Delete(key); err != nil {
			c.ReplyStoreError(err)
			return
		}
	}
	at := ttl
	if ttl != 0 && !absTTL {
		at += c.Tx.NowMS()
	}
	if ttl != 0 && at <= c.Tx.NowMS() { // already expired: Redis creates nothing
		if deleted {
			c.Notify(notify.Del, key)
		}
		c.Reply.OK()
		return
	}
	if err := writeValue(c.Tx, key, v, at); err != nil {
		c.ReplyStoreError(err)
		return
	}
	if _, err := c.Tx.SetAccess(key, idle, int(freq)); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.Restore, key)
	c.Reply.OK()
}

// writeValue creates key (which does not exist) holding v, expiring at
// expireAt (unix ms; 0 = never), through the type's own writes.
func writeValue(tx *store.Tx, key []byte, v rdb.Value, expireAt int64) error {
	var err error
	switch v.Kind {
	case rdb.KindString:
		return tx.Put(key, v.Str, expireAt)
	case rdb.KindList:
		_, err = tx.ListPush(key, v.Elems, false, false)
	case rdb.KindSet:
		_, err = tx.SAdd(key, v.Elems...)
	case rdb.KindHash:
		for i := 0; i < len(v.Elems) && err == nil; i += 2 {
			_, err = tx.HSet(key, v.Elems[i], v.Elems[i+1])
		}
	case rdb.KindZSet:
		for i := 0; i < len(v.Elems) && err == nil; i++ {
			_, _, err = tx.ZAdd(key, v.Elems[i], v.Scores[i], 0, len(v.Elems))
		}
	}
	if err != nil || expireAt == 0 {
		return err
	}
	_, err = tx.SetExpireAt(key, expireAt)
	return err
}

// DebugObject is DEBUG OBJECT's line for key, in Redis's words (debug.c):
// the address of the value read (a copy: meshcache's values move), its
// encoding, the length of its serialization (the RDB value DUMP writes,
// without the type byte and footer), its LRU clock (seconds, 24 bits, as
// Redis's) and idle time. ok is false when the key does not exist.
func DebugObject(tx *store.Tx, key []byte) (line string, ok bool, err error) {
	info, ok, err := tx.Object(key)
	if err != nil || !ok {
		return "", ok, err
	}
	v, ok, err := readValue(tx, key)
	if err != nil || !ok {
		return "", ok, err
	}
	const footer = 1 + 2 + 8 // type byte, RDB version, CRC64
	lastAccess := (tx.NowMS() - info.IdleMS) / 1000
	return fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		&v, info.RefCount, info.Encoding, len(rdb.Dump(v))-footer, lastAccess&(1<<24-1), info.IdleMS/1000), true, nil
}
