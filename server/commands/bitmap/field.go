package bitmap

import (
	"bytes"
	"math"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
)

// BITFIELD: signed and unsigned integers of 1 to 64 bits (u64 excepted) at
// any bit offset of a string, as bitops.c's bitfieldGeneric.

const (
	errBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
)

// Bitfield opcodes and overflow modes.
const (
	bfGet = iota
	bfSet
	bfIncrBy

	bfWrap = iota - 3
	bfSat
	bfFail
)

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	offset uint64
	value  int64 // SET's value or INCRBY's increment
	opcode int
	owtype int
	bits   uint
	signed bool
}

// parseBitfield parses BITFIELD's subcommands (args after the key) in
// Redis's order of checks; on failure it returns the error text.
func parseBitfield(c *commands.Call, args [][]byte) (ops []bitfieldOp, writes bool, msg string) {
	owtype := bfWrap
	for j := 0; j < len(args); j++ {
		rem := len(args) - j - 1
		var opcode int
		switch sub := args[j]; {
		case resp.EqualFold(sub, "get") && rem >= 2:
			opcode = bfGet
		case resp.EqualFold(sub, "set") && rem >= 3:
			opcode = bfSet
		case resp.EqualFold(sub, "incrby") && rem >= 3:
			opcode = bfIncrBy
		case resp.EqualFold(sub, "overflow") && rem >= 1:
			j++
			switch t := args[j]; {
			case resp.EqualFold(t, "wrap"):
				owtype = bfWrap
			case resp.EqualFold(t, "sat"):
				owtype = bfSat
			case resp.EqualFold(t, "fail"):
				owtype = bfFail
			default:
				return nil, false, errBitfieldOverflow
			}
			continue
		default:
			return nil, false, resp.ErrSyntax
		}
		signed, width, ok := bitfieldType(args[j+1])
		if !ok {
			return nil, false, errBitfieldType
		}
		off, ok := bitOffset(c, args[j+2], true, int(width))
		if !ok {
			return nil, false, errBitOffset
		}
		op := bitfieldOp{offset: off, opcode: opcode, owtype: owtype, bits: width, signed: signed}
		if opcode != bfGet {
			writes = true
			if op.value, ok = resp.ParseInt64(args[j+3]); !ok {
				return nil, false, resp.ErrNotInteger
			}
		}
		ops = append(ops, op)
		j += 3
		if opcode == bfGet {
			j--
		}
	}
	return ops, writes, ""
}

// bitfieldType is getBitfieldTypeFromArgument: i1..i64 or u1..u63. Redis
// reads the width as a C string, so it ends at a NUL byte.
func bitfieldType(b []byte) (signed bool, width uint, ok bool) {
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	signed = b[0] == 'i'
	num := b[1:]
	if i := bytes.IndexByte(num, 0); i >= 0 {
		num = num[:i]
	}
	n, ok := resp.ParseInt64(num)
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint(n), true
}

// bitfieldKeyFlags are the flags of BITFIELD's key, as Redis's
// bitfieldGetKeys: RO|ACCESS when it only GETs, else RW|ACCESS|UPDATE (a
// syntax error counts as a write).
func bitfieldKeyFlags(args [][]byte) commands.KeyFlags {
	for i := 2; i < len(args); i++ {
		rem := len(args) - i - 1
		switch a := args[i]; {
		case resp.EqualFold(a, "get") && rem >= 2:
			i += 2
		case (resp.EqualFold(a, "set") || resp.EqualFold(a, "incrby")) && rem >= 3:
			return commands.RW | commands.Access | commands.Update
		case resp.EqualFold(a, "overflow") && rem >= 1:
			i++
		default:
			return commands.RW | commands.Access | commands.Update
		}
	}
	return commands.RO | commands.Access
}

func bitfieldCommand(c *commands.Call)   { bitfieldGeneric(c, false) }
func bitfieldROCommand(c *commands.Call) { bitfieldGeneric(c, true) }

// bitfieldResult is one element of BITFIELD's reply: a number, or null
// when an OVERFLOW FAIL operation did not write.
type bitfieldResult struct {
	n    int64
	null bool
}

// bitfieldGeneric runs BITFIELD (or BITFIELD_RO when ro). Writes change the
// string in place between the lowest and highest byte they touch, which is
// what replicates.
func bitfieldGeneric(c *commands.Call, ro bool) {
	ops, writes, msg := parseBitfield(c, c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	key := c.Args[1]
	if !writes {
		v, _, err := c.Tx.Get(key)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Reply.Array(len(ops))
		for _, op := range ops {
			c.Reply.Int(bitfieldGet(v, op))
		}
		return
	}
	if ro {
		c.Reply.Error(errBitfieldRO)
		return
	}
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for _, op := range ops {
		if op.opcode != bfGet {
			lo = min(lo, op.offset>>3)
			hi = max(hi, (op.offset+uint64(op.bits)-1)>>3)
		}
	}
	// Redis tells "setbit" when a write changed a value or made the
	// string longer (created it included), and counts a change for each
	// write not refused that did either.
	watch, grew, wrote, changed, changes := c.Wants(notify.String), false, false, false, 0
	found, err := c.Tx.PeekString(key, func(v []byte) { grew = uint64(len(v)) <= hi })
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	grew = grew || !found
	results := make([]bitfieldResult, 0, len(ops))
	if r, same, err := bitfieldUnchanged(c, key, ops, lo, hi); err != nil {
		c.ReplyStoreError(err)
		return
	} else if same {
		results = r // writes that change no bit of a string long enough: no write, as Redis
	} else if _, err := c.Tx.ModifyRange(key, int(lo), int(hi-lo+1), func(v []byte) {
		var before []byte
		if watch {
			before = append(before, v[lo:hi+1]...)
		}
		for _, op := range ops {
			old := bitfieldGet(v, op)
			r := bitfieldApply(v, op)
			results = append(results, r)
			if op.opcode != bfGet && !r.null { // a write not refused (overflow FAIL)
				wrote = true
				if grew || bitfieldGet(v, op) != old {
					changes++
				}
			}
		}
		changed = watch && !bytes.Equal(before, v[lo:hi+1])
	}); err != nil {
		c.ReplyStoreError(err)
		return
	} else {
		c.CountChanges(changes)
	}
	if changed || (grew && wrote) {
		c.Notify(notify.SetBit, key)
	}
	c.Reply.Array(len(results))
	for _, r := range results {
		if r.null {
			c.Reply.Null()
		} else {
			c.Reply.Int(r.n)
		}
	}
}

// bitfieldUnchanged runs ops on a copy of bytes lo..hi of the string at
// key and reports their results and true when they would change nothing:
// the string exists, is long enough (no growth) and every SET and INCRBY
// leaves its bits as they are (INCRBY 0, say). Redis counts such a
// BITFIELD as no change: no dirty, no WATCH signal.
func bitfieldUnchanged(c *commands.Call, key []byte, ops []bitfieldOp, lo, hi uint64) ([]bitfieldResult, bool, error) {
	var results []bitfieldResult
	same := false
	found, err := c.Tx.PeekString(key, func(v []byte) {
		if hi >= uint64(len(v)) {
			return // the write would grow the string
		}
		win := bytes.Clone(v[lo : hi+1])
		for _, op := range ops {
			if op.opcode == bfGet {
				// Read from the string as it is: when the writes change
				// nothing, that is what they leave.
				results = append(results, bitfieldResult{n: bitfieldGet(v, op)})
				continue
			}
			op.offset -= lo * 8 // the window starts at byte lo
			results = append(results, bitfieldApply(win, op))
		}
		same = bytes.Equal(win, v[lo:hi+1])
	})
	if err != nil || !found || !same {
		return nil, false, err
	}
	return results, true, nil
}

// bitfieldGet reads op's integer from v, whose bits past its end are clear.
func bitfieldGet(v []byte, op bitfieldOp) int64 {
	var buf [9]byte
	i := op.offset >> 3
	if i < uint64(len(v)) {
		copy(buf[:], v[i:])
	}
	off := op.offset - i*8
	if op.signed {
		return getSignedBits(buf[:], off, op.bits)
	}
	return int64(getUnsignedBits(buf[:], off, op.bits))
}

// bitfieldApply runs op on v, which is long enough for every write.
func bitfieldApply(v []byte, op bitfieldOp) bitfieldResult {
	if op.opcode == bfGet {
		return bitfieldResult{n: bitfieldGet(v, op)}
	}
	if op.signed {
		old := getSignedBits(v, op.offset, op.bits)
		var newval, ret int64
		var over int
		var wrapped int64
		if op.opcode == bfIncrBy {
			over, wrapped = signedOverflow(old, op.value, op.bits, op.owtype)
			newval = old + op.value
			if over != 0 {
				newval = wrapped
			}
			ret = newval
		} else {
			newval = op.value
			if over, wrapped = signedOverflow(newval, 0, op.bits, op.owtype); over != 0 {
				newval = wrapped
			}
			ret = old
		}
		if over != 0 && op.owtype == bfFail {
			return bitfieldResult{null: true}
		}
		setUnsignedBits(v, op.offset, op.bits, uint64(newval))
		return bitfieldResult{n: ret}
	}
	old := getUnsignedBits(v, op.offset, op.bits)
	var newval, ret, wrapped uint64
	var over int
	if op.opcode == bfIncrBy {
		newval = old + uint64(op.value)
		if over, wrapped = unsignedOverflow(old, op.value, op.bits, op.owtype); over != 0 {
			newval = wrapped
		}
		ret = newval
	} else {
		newval = uint64(op.value)
		if over, wrapped = unsignedOverflow(newval, 0, op.bits, op.owtype); over != 0 {
			newval = wrapped
		}
		ret = old
	}
	if over != 0 && op.owtype == bfFail {
		return bitfieldResult{null: true}
	}
	setUnsignedBits(v, op.offset, op.bits, newval)
	return bitfieldResult{n: int64(ret)}
}

// setUnsignedBits writes the low width bits of value at bit offset of p,
// most significant first.
func setUnsignedBits(p []byte, offset uint64, width uint, value uint64) {
	for j := uint(0); j < width; j++ {
		bit := byte(value>>(width-1-j)) & 1
		i, shift := offset>>3, 7-offset&7
		p[i] = p[i]&^(1<<shift) | bit<<shift
		offset++
	}
}

// getUnsignedBits reads width bits at bit offset of p.
func getUnsignedBits(p []byte, offset uint64, width uint) uint64 {
	var v uint64
	for j := uint(0); j < width; j++ {
		v = v<<1 | uint64(p[offset>>3]>>(7-offset&7))&1
		offset++
	}
	return v
}

// getSignedBits reads width bits at bit offset of p as two's complement.
func getSignedBits(p []byte, offset uint64, width uint) int64 {
	v := getUnsignedBits(p, offset, width)
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

// unsignedOverflow is checkUnsignedBitfieldOverflow: 1 on overflow, -1 on
// underflow, 0 when value+incr fits width bits; with it the value the
// operation yields under owtype (WRAP: modulo 2^width, SAT: the limit).
func unsignedOverflow(value uint64, incr int64, width uint, owtype int) (int, uint64) {
	maxv := uint64(math.MaxUint64)
	if width < 64 {
		maxv = 1<<width - 1
	}
	maxincr := int64(maxv - value)
	minincr := int64(-value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << width) }
	switch {
	case value > maxv || (incr > 0 && incr > maxincr):
		switch owtype {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	case incr < 0 && incr < minincr:
		switch owtype {
		case bfWrap:
			return -1, wrap()
		case bfSat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// signedOverflow is checkSignedBitfieldOverflow, as unsignedOverflow for
// two's complement integers of width bits (WRAP keeps the low bits and
// extends the sign).
func signedOverflow(value, incr int64, width uint, owtype int) (int, int64) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if c&(1<<(width-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > maxv || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		switch owtype {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	case value < minv || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		switch owtype {
		case bfWrap:
			return -1, wrap()
		case bfSat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}
