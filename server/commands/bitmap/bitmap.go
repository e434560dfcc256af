// Package bitmap holds the bitmap commands on string values, as Redis
// 7.2's bitops.c: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
// BITFIELD_RO (field.go). Bit 0 is the most significant bit of the first
// byte. Writes change only the bytes they touch and replicate them as one
// range effect (store.EffectSetRange), so a SETBIT on a large string ships
// one byte.
package bitmap

import (
	"math/bits"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
)

// Commands are the bitmap commands, the front end's "bitmap" group.
func Commands() []*commands.Command {
	const g = "bitmap"
	a := commands.ACLBitmap
	return []*commands.Command{
		{Name: "setbit", Arity: 4, Flags: commands.FlagWrite | commands.FlagDenyOOM, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Access|commands.Update, 1, 0, 1)},
			Group: g, Since: "2.2.0", Summary: "Sets or clears the bit at offset in the string value stored at key", Handler: setbitCommand},
		{Name: "getbit", Arity: 3, Flags: commands.FlagReadOnly | commands.FlagFast, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1)},
			Group: g, Since: "2.2.0", Summary: "Returns the bit value at offset in the string value stored at key", Handler: getbitCommand},
		{Name: "bitcount", Arity: -2, Flags: commands.FlagReadOnly, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1)},
			Group: g, Since: "2.6.0", Summary: "Count set bits in a string", Handler: bitcountCommand},
		{Name: "bitpos", Arity: -3, Flags: commands.FlagReadOnly, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1)},
			Group: g, Since: "2.8.7", Summary: "Find first bit set or clear in a string", Handler: bitposCommand},
		{Name: "bitop", Arity: -4, Flags: commands.FlagWrite | commands.FlagDenyOOM, ACL: a,
			Keys:  []commands.KeySpec{commands.Range(commands.OW|commands.Update, 2, 0, 1), commands.Range(commands.RO|commands.Access, 3, -1, 1)},
			Group: g, Since: "2.6.0", Summary: "Perform bitwise operations between strings", Handler: bitopCommand},
		{Name: "bitfield", Arity: -2, Flags: commands.FlagWrite | commands.FlagDenyOOM, ACL: a, Keys: []commands.KeySpec{{Flags: commands.RW | commands.Access | commands.Update | commands.VariableFlags,
			Index: 1, Step: 1, Notes: "This command allows both access and modification of the key"}}, VariableKeyFlags: bitfieldKeyFlags,
			Group: g, Since: "3.2.0", Summary: "Perform arbitrary bitfield integer operations on strings", Handler: bitfieldCommand},
		{Name: "bitfield_ro", Arity: -2, Flags: commands.FlagReadOnly | commands.FlagFast, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 1, 0, 1)},
			Group: g, Since: "6.0.0", Summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
			Handler: bitfieldROCommand},
	}
}

// Error texts of bitops.c.
const (
	errBitOffset = "ERR bit offset is not an integer or out of range"
	errBitValue  = "ERR bit is not an integer or out of range"
	errBitArg    = "ERR The bit argument must be 1 or 0."
	errBitopNot  = "ERR BITOP NOT must be called with a single source key."
)

// bitOffset is getBitOffsetFromArgument: a bit offset in [0, limit*8),
// limit being proto-max-bulk-len; with hash and width > 0, "#n" means
// n*width (multiplied as int64, wrapping as Redis's C does).
func bitOffset(c *commands.Call, b []byte, hash bool, width int) (uint64, bool) {
	usehash := hash && width > 0 && len(b) > 0 && b[0] == '#'
	if usehash {
		b = b[1:]
	}
	n, ok := resp.ParseInt64(b)
	if !ok {
		return 0, false
	}
	if usehash {
		n *= int64(width)
	}
	if n < 0 || n>>3 >= c.MaxBulkLen() {
		return 0, false
	}
	return uint64(n), true
}

// setbitCommand is SETBIT key offset 0|1: it answers the bit's old value.
// A SETBIT that changes nothing (same bit, no growth) writes nothing, as
// Redis's (no effect, watchers untouched).
func setbitCommand(c *commands.Call) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		c.Reply.Error(errBitOffset)
		return
	}
	on, ok := resp.ParseInt64(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Reply.Error(errBitValue)
		return
	}
	key, byteAt, shift := c.Args[1], int(off>>3), 7-uint(off&7)
	old, grows := byte(0), true
	found, err := c.Tx.PeekString(key, func(v []byte) {
		if byteAt < len(v) {
			old, grows = v[byteAt], false
		}
	})
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	bit := int64(old>>shift) & 1
	if !found || grows || bit != on {
		_, err := c.Tx.ModifyRange(key, byteAt, 1, func(v []byte) {
			v[byteAt] = v[byteAt]&^(1<<shift) | byte(on)<<shift
		})
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Notify(notify.SetBit, key) // as Redis: only when created, grown or changed
	}
	c.Reply.Int(bit)
}

// getbitCommand is GETBIT key offset.
func getbitCommand(c *commands.Call) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		c.Reply.Error(errBitOffset)
		return
	}
	v, _, err := c.Tx.Get(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	i := off >> 3
	if i >= uint64(len(v)) {
		c.Reply.Int(0)
		return
	}
	c.Reply.Int(int64(v[i]>>(7-off&7)) & 1)
}

// bitRange is the [start, end] range arithmetic BITCOUNT and BITPOS share:
// negative indexes count from the end, in bytes or (isbit) bits, clamped to
// the string of n bytes. It returns byte indexes and, for BIT ranges, the
// masks of the bits of the first and last byte that lie outside the range.
func bitRange(start, end int64, n int, isbit bool) (s, e int64, firstMask, lastMask byte) {
	total := int64(n)
	if isbit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isbit && start <= end {
		firstMask = ^byte((1 << (8 - start&7)) - 1)
		lastMask = byte((1 << (7 - end&7)) - 1)
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask
}

// bitUnit parses BITCOUNT's and BITPOS's BYTE|BIT argument.
func bitUnit(b []byte) (isbit, ok bool) {
	switch {
	case resp.EqualFold(b, "bit"):
		return true, true
	case resp.EqualFold(b, "byte"):
		return false, true
	}
	return false, false
}

// bitcountCommand is BITCOUNT key [start end [BYTE|BIT]]: the key is looked
// up (and its type checked) before the range is parsed, as Redis 7.2 does.
func bitcountCommand(c *commands.Call) {
	v, found, err := c.Tx.Get(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		c.Reply.Int(0)
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	switch len(c.Args) {
	case 4, 5:
		s, ok1 := resp.ParseInt64(c.Args[2])
		if !ok1 {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
		e, ok2 := resp.ParseInt64(c.Args[3])
		if !ok2 {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
		if s < 0 && e < 0 && s > e {
			c.Reply.Int(0)
			return
		}
		isbit := false
		if len(c.Args) == 5 {
			var ok bool
			if isbit, ok = bitUnit(c.Args[4]); !ok {
				c.Reply.Error(resp.ErrSyntax)
				return
			}
		}
		start, end, firstMask, lastMask = bitRange(s, e, len(v), isbit)
	case 2:
		start, end = 0, int64(len(v))-1
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if start > end {
		c.Reply.Int(0)
		return
	}
	count := popcount(v[start : end+1])
	count -= int64(bits.OnesCount8(v[start]&firstMask) + bits.OnesCount8(v[end]&lastMask))
	c.Reply.Int(count)
}

// popcount counts the set bits of b, eight bytes at a time.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(le64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// le64 loads eight bytes as a word (the order does not matter to popcount).
func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// firstBit is redisBitpos: the position of the first bit equal to bit in
// b, counting the bits right of b as clear; -1 when bit is 1 and b has no
// set bit.
func firstBit(b []byte, bit int64) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, x := range b {
		if x != skip {
			if bit == 1 {
				return int64(i)*8 + int64(bits.LeadingZeros8(x))
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(^x))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) * 8
}

// bitposCommand is BITPOS key bit [start [end [BYTE|BIT]]].
func bitposCommand(c *commands.Call) {
	bit, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if bit != 0 && bit != 1 {
		c.Reply.Error(errBitArg)
		return
	}
	v, found, err := c.Tx.Get(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		c.Reply.Int(-bit) // an endless run of clear bits
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch n := len(c.Args); n {
	case 4, 5, 6:
		s, ok := resp.ParseInt64(c.Args[3])
		if !ok {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
		isbit := false
		if n == 6 {
			if isbit, ok = bitUnit(c.Args[5]); !ok {
				c.Reply.Error(resp.ErrSyntax)
				return
			}
		}
		var e int64
		if n >= 5 {
			if e, ok = resp.ParseInt64(c.Args[4]); !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			endGiven = true
		} else if isbit {
			e = int64(len(v))<<3 + 7
		} else {
			e = int64(len(v)) - 1
		}
		start, end, firstMask, lastMask = bitRange(s, e, len(v), isbit)
	case 3:
		start, end = 0, int64(len(v))-1
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if start > end {
		c.Reply.Int(-1)
		return
	}
	c.Reply.Int(bitposIn(v, bit, start, end, firstMask, lastMask, endGiven))
}

// bitposIn is the search of bitposCommand over bytes [start, end] of v,
// whose first and last bytes' masked bits lie outside the range.
func bitposIn(v []byte, bit, start, end int64, firstMask, lastMask byte, endGiven bool) int64 {
	nbytes := end - start + 1
	var pos int64
	masked := func(x, mask byte) byte {
		if bit == 1 {
			return x &^ mask
		}
		return x | mask
	}
	done := false
	if firstMask != 0 {
		x := masked(v[start], firstMask)
		if lastMask != 0 && nbytes == 1 {
			x = masked(x, lastMask)
		}
		pos = firstBit([]byte{x}, bit)
		if nbytes == 1 || (pos != -1 && pos != 8) {
			done = true
		} else {
			start++
			nbytes--
		}
	}
	if !done {
		cur := nbytes
		if lastMask != 0 {
			cur--
		}
		if cur > 0 {
			pos = firstBit(v[start:start+cur], bit)
			if nbytes == cur || (pos != -1 && pos != cur<<3) {
				done = true
			} else {
				start += cur
				nbytes -= cur
			}
		}
	}
	if !done {
		pos = firstBit([]byte{masked(v[end], lastMask)}, bit)
	}
	if endGiven && bit == 0 && pos == nbytes<<3 {
		return -1
	}
	if pos != -1 {
		pos += start << 3
	}
	return pos
}

// Bit operations of BITOP.
const (
	bitopAnd = iota
	bitopOr
	bitopXor
	bitopNot
)

// bitopCommand is BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys
// are empty strings, shorter strings are zero-padded; an empty result
// deletes destkey. It answers the result's length.
func bitopCommand(c *commands.Call) {
	var op int
	switch name := c.Args[1]; {
	case resp.EqualFold(name, "and"):
		op = bitopAnd
	case resp.EqualFold(name, "or"):
		op = bitopOr
	case resp.EqualFold(name, "xor"):
		op = bitopXor
	case resp.EqualFold(name, "not"):
		op = bitopNot
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if op == bitopNot && len(c.Args) != 4 {
		c.Reply.Error(errBitopNot)
		return
	}
	srcs := make([][]byte, 0, len(c.Args)-3)
	maxlen := 0
	for _, k := range c.Args[3:] {
		v, _, err := c.Tx.Get(k)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		srcs = append(srcs, v)
		maxlen = max(maxlen, len(v))
	}
	dst := c.Args[2]
	if maxlen == 0 {
		deleted, err := c.Tx.Delete(dst)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if deleted {
			c.Notify(notify.Del, dst)
		}
		c.Reply.Int(0)
		return
	}
	res := make([]byte, maxlen)
	copy(res, srcs[0])
	switch op {
	case bitopNot:
		for i := range res {
			res[i] = ^res[i]
		}
	default:
		for _, s := range srcs[1:] {
			combine(res, s, op)
		}
	}
	if err := c.Tx.Put(dst, res, 0); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.SetEvent, dst)
	c.Reply.Int(int64(maxlen))
}

// combine folds s into res by op; s is zero-padded to res's length.
func combine(res, s []byte, op int) {
	switch op {
	case bitopAnd:
		for i := range res {
			if i < len(s) {
				res[i] &= s[i]
			} else {
				res[i] = 0
			}
		}
	case bitopOr:
		for i := range s {
			res[i] |= s[i]
		}
	case bitopXor:
		for i := range s {
			res[i] ^= s[i]
		}
	}
}
