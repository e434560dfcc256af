// Package sortcmd holds SORT and SORT_RO, as Redis's sort.c: the elements
// of a list, a set or a sorted set, sorted by their own values or by the
// keys a BY pattern forms, with the values of the GET patterns' keys,
// replied or stored as a list. It is not named sort, so that its importers
// keep the standard library's.
package sortcmd

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Commands are SORT and SORT_RO, in the front end's "generic" group. BY
// and GET patterns name other keys. On a cluster node they are allowed
// when every key a pattern can form hashes to the sorted key's slot (the
// pattern's hash tag), as Redis 8 allows on Redis Cluster, and refused
// otherwise (Redis 7.2 refuses every pattern on a cluster). On a
// standalone node every pattern is allowed, as on a standalone
// redis-server: the command reaches the slots of the keys its patterns
// form once it has read the elements (store.Tx.Reach), before it reads
// any of them.
func Commands() []*commands.Command {
	const g = "generic"
	acl := commands.ACLSet | commands.ACLSortedSet | commands.ACLList | commands.ACLDangerous
	byGet := commands.Unknown(commands.RO|commands.Access, "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")
	return []*commands.Command{
		{Name: "sort", Arity: -2, Flags: commands.FlagWrite | commands.FlagDenyOOM, ACL: acl, Group: g, Since: "1.0.0",
			Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1), byGet,
				commands.Unknown(commands.OW|commands.Update, "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")},
			KeysProc: sortGetKeys,
			Summary:  "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
			Event:    notify.Event{Class: notify.List, Name: "sortstore"},
			Handler:  func(c *commands.Call) { sortCommand(c, false) }},
		{Name: "sort_ro", Arity: -2, Flags: commands.FlagReadOnly, ACL: acl, Group: g, Since: "7.0.0",
			Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1), byGet},
			KeysProc: func(args [][]byte, out []commands.KeyRef) []commands.KeyRef {
				return append(out, commands.KeyRef{Pos: 1, Flags: commands.RO | commands.Access})
			},
			Summary: "Returns the sorted elements of a list, a set, or a sorted set.",
			Handler: func(c *commands.Call) { sortCommand(c, true) }},
	}
}

// sortGetKeys is Redis's sortGetKeys: the sorted key, and the key after
// the last STORE, skipping the arguments of LIMIT, GET and BY.
func sortGetKeys(args [][]byte, out []commands.KeyRef) []commands.KeyRef {
	out = append(out, commands.KeyRef{Pos: 1, Flags: commands.RO | commands.Access})
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case resp.EqualFold(args[i], "limit"):
			i += 2
		case resp.EqualFold(args[i], "get"), resp.EqualFold(args[i], "by"):
			i++
		case resp.EqualFold(args[i], "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		out = append(out, commands.KeyRef{Pos: store, Flags: commands.OW | commands.Update})
	}
	return out
}

// sortOptions are SORT's parsed arguments.
type sortOptions struct {
	desc, alpha  bool
	start, count int64 // LIMIT; count -1 = all
	by           []byte
	dontSort     bool // BY a pattern without '*': keep the natural order
	gets         [][]byte
	store        []byte
}

// parseSort parses SORT's options as sortCommandGeneric does; errText is
// the reply for bad arguments.
// On a standalone node (anySlot) patterns may name keys of any slot.
func parseSort(args [][]byte, readonly, anySlot bool) (o sortOptions, errText string) {
	o.count = -1
	slot := int(ring.KeySlot(args[1]))
	if anySlot {
		slot = -1 // patternSlot's "several slots" is fine too
	}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case resp.EqualFold(a, "asc"):
			o.desc = false
		case resp.EqualFold(a, "desc"):
			o.desc = true
		case resp.EqualFold(a, "alpha"):
			o.alpha = true
		case resp.EqualFold(a, "limit") && left >= 2:
			start, ok1 := resp.ParseInt64(args[j+1])
			count, ok2 := resp.ParseInt64(args[j+2])
			if !ok1 || !ok2 {
				return o, resp.ErrNotInteger
			}
			o.start, o.count = start, count
			j += 2
		case !readonly && resp.EqualFold(a, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case resp.EqualFold(a, "by") && left >= 1:
			o.by = args[j+1]
			if bytes.IndexByte(o.by, '*') < 0 {
				o.dontSort = true
			} else if !anySlot && patternSlot(o.by) != slot {
				return o, "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
			}
			j++
		case resp.EqualFold(a, "get") && left >= 1:
			// "#" is the element itself and names no key: allowed,
			// although Redis 8 hashes it like a key name.
			if p := args[j+1]; !anySlot && !(len(p) == 1 && p[0] == '#') && patternSlot(p) != slot {
				return o, "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
			}
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			return o, resp.ErrSyntax
		}
	}
	return o, ""
}

// patternSlot is Redis's patternHashSlot: the slot of every key a glob
// pattern can match, or -1 when they may be in several slots.
func patternSlot(p []byte) int {
	s := -1
	for i, ch := range p {
		switch {
		case ch == '*' || ch == '?' || ch == '[' || ch == '\\':
			return -1
		case s == -1 && ch == '{':
			s = i
		case s >= 0 && ch == '}' && i == s+1:
			s = -2
		case s >= 0 && ch == '}':
			return int(ring.KeySlot(p[s : i+1]))
		}
	}
	return int(ring.KeySlot(p))
}

// sortItem is one element being sorted and what it sorts by.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA BY: the value looked up; nil when missing
}

// sortCommand is SORT (readonly false) and SORT_RO.
func sortCommand(c *commands.Call, readonly bool) {
	anySlot := c.Host.Standalone()
	o, bad := parseSort(c.Args, readonly, anySlot)
	if bad != "" {
		c.Reply.Error(bad)
		return
	}
	var items []sortItem
	var typ store.Type
	for {
		items = items[:0]
		var err error
		typ, err = c.Tx.Elements(c.Args[1], func(e []byte) bool {
			items = append(items, sortItem{elem: bytes.Clone(e)})
			return true
		})
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if !anySlot || c.Tx.Reach(patternSlots(o, items)) {
			break
		}
		// The Tx let its slots go to take them in order: read again.
	}
	// A set has no order of its own: sorting it without a sort order for
	// STORE sorts it ALPHA, so that replicas and reruns agree, as Redis.
	if o.dontSort && typ == store.TypeSet && o.store != nil {
		o.dontSort, o.alpha, o.by = false, true, nil
	}
	n := int64(len(items))
	start := min(max(o.start, 0), n)
	count := min(max(o.count, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	if o.dontSort {
		if o.desc && typ != store.TypeSet {
			slices.Reverse(items)
		}
	} else if bad := sortItems(c.Tx, items, o); bad != "" {
		c.Reply.Error(bad)
		return
	}
	var sel []sortItem
	if end >= start {
		sel = items[start : end+1]
	}
	if o.store == nil {
		per := max(len(o.gets), 1)
		c.Reply.Array(len(sel) * per)
		for _, it := range sel {
			if len(o.gets) == 0 {
				c.Reply.Bulk(it.elem)
			}
			for _, p := range o.gets {
				if v, ok := lookupPattern(c.Tx, p, it.elem); ok {
					c.Reply.Bulk(v)
				} else {
					c.Reply.Null()
				}
			}
		}
		return
	}
	var out [][]byte
	for _, it := range sel {
		if len(o.gets) == 0 {
			out = append(out, it.elem)
		}
		for _, p := range o.gets {
			v, _ := lookupPattern(c.Tx, p, it.elem)
			out = append(out, bytes.Clone(v))
		}
	}
	existed, err := c.Tx.Delete(o.store)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if len(out) > 0 {
		if _, err := c.Tx.ListPush(o.store, out, false, false); err != nil {
			c.ReplyStoreError(err)
			return
		}
	}
	c.Stored(o.store, int64(len(out)), existed, len(out))
	c.Reply.Int(int64(len(out)))
}

// sortItems sorts items by their own value or the BY pattern's, as
// sortCompare does; errText reports a value that is not a number.
func sortItems(tx *store.Tx, items []sortItem, o sortOptions) (errText string) {
	for i := range items {
		it := &items[i]
		by := it.elem
		if o.by != nil {
			v, ok := lookupPattern(tx, o.by, it.elem)
			if !ok {
				continue
			}
			by = v
		}
		if o.alpha {
			if o.by != nil {
				it.cmp = bytes.Clone(by)
			}
			continue
		}
		f, err := strconv.ParseFloat(string(by), 64)
		if err != nil || math.IsNaN(f) {
			errText = "ERR One or more scores can't be converted into double"
		}
		it.score = f
	}
	if errText != "" {
		return errText
	}
	cmp := func(a, b *sortItem) int {
		switch {
		case !o.alpha:
			if a.score != b.score {
				if a.score < b.score {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.elem, b.elem)
		case o.by != nil:
			switch {
			case a.cmp == nil && b.cmp == nil:
				return 0
			case a.cmp == nil:
				return -1
			case b.cmp == nil:
				return 1
			}
			return bytes.Compare(a.cmp, b.cmp)
		}
		return bytes.Compare(a.elem, b.elem)
	}
	sort.SliceStable(items, func(i, j int) bool {
		r := cmp(&items[i], &items[j])
		if o.desc {
			r = -r
		}
		return r < 0
	})
	return ""
}

// patternSlots returns the slots, ascending and unique, of the keys that
// o's BY and GET patterns form from items.
func patternSlots(o sortOptions, items []sortItem) []uint16 {
	var slots []uint16
	for _, p := range append([][]byte{o.by}, o.gets...) {
		if p == nil {
			continue
		}
		for _, it := range items {
			if key, _, ok := patternKey(p, it.elem); ok {
				slots = append(slots, ring.KeySlot(key))
			}
		}
	}
	slices.Sort(slots)
	return slices.Compact(slots)
}

// lookupPattern is Redis's lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' of p is replaced by the element and the key
// read, as a string, or as the hash field after "->" when there is one.
// A pattern without '*', a missing key or a value of another type gives
// ok false.
func lookupPattern(tx *store.Tx, p, elem []byte) (v []byte, ok bool) {
	if len(p) == 1 && p[0] == '#' {
		return elem, true
	}
	key, field, ok := patternKey(p, elem)
	if !ok {
		return nil, false
	}
	if field != nil {
		v, ok, err := tx.HGet(key, field)
		return v, ok && err == nil
	}
	v, ok, err := tx.Get(key)
	return v, ok && err == nil
}

// patternKey returns the key pattern p forms for elem (its first '*'
// replaced by elem) and the hash field after "->" when there is one; ok
// is false for a pattern without '*' ("#" among them), which names no key.
func patternKey(p, elem []byte) (key, field []byte, ok bool) {
	star := bytes.IndexByte(p, '*')
	if star < 0 {
		return nil, nil, false
	}
	keyPat := p
	if f := bytes.Index(p[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(p) {
		keyPat, field = p[:star+1+f], p[star+1+f+2:]
	}
	key = make([]byte, 0, len(keyPat)+len(elem))
	key = append(append(append(key, keyPat[:star]...), elem...), keyPat[star+1:]...)
	return key, field, true
}
