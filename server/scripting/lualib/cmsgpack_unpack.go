package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// msgpackError is the cursor's error (MP_CUR_ERROR_*).
type msgpackError int

const (
	mpOK msgpackError = iota
	mpEOF
	mpBadFmt
)

// msgpackDecoder is mp_cur plus the Lua stack the C decoder would hold.
type msgpackDecoder struct {
	L   *lua.LState
	s   string
	p   int
	err msgpackError
}

func (d *msgpackDecoder) left() int { return len(d.s) - d.p }

// need is mp_cur_need: false (and the EOF error) when fewer than n bytes
// are left.
func (d *msgpackDecoder) need(n uint64) bool {
	if uint64(d.left()) < n {
		d.err = mpEOF
		return false
	}
	return true
}

// msgpackUnpack is mp_unpack_full. base is the number of Lua stack slots
// below the results (the arguments the C function still holds).
func msgpackUnpack(L *lua.LState, limit, offset int64, base int) int {
	s := checkString(L, 1)
	decodeAll := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		raise(L, "Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(s)))
	}
	if uint64(offset) > uint64(len(s)) {
		raise(L, "Start offset %d greater than input length %d.", int32(offset), int32(len(s)))
	}
	if decodeAll {
		limit = math.MaxInt32
	}
	d := &msgpackDecoder{L: L, s: s, p: int(offset)}
	var res []lua.LValue
	for cnt := int64(0); d.left() > 0 && cnt < limit; cnt++ {
		v := d.value(base + len(res))
		switch d.err {
		case mpEOF:
			raise(L, "Missing bytes in input.")
		case mpBadFmt:
			raise(L, "Bad data format in input.")
		}
		res = append(res, v)
	}
	if !decodeAll {
		next := lua.LNumber(-1)
		if d.left() > 0 {
			next = lua.LNumber(d.p)
		}
		L.Push(next)
	}
	for _, v := range res {
		L.Push(v)
	}
	if !decodeAll {
		return len(res) + 1
	}
	return len(res)
}

// value is mp_decode_to_lua_type; used is the Lua stack the C decoder
// holds when it starts this value. On a cursor error it returns nil with
// d.err set.
func (d *msgpackDecoder) value(used int) lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	if used+1 > maxCStack {
		raise(d.L, "stack overflow (%s)", msgpackMsgStack)
	}
	c := d.s[d.p]
	switch c {
	case 0xcc:
		if b := d.take(2); b != "" {
			return lua.LNumber(b[1])
		}
	case 0xd0:
		if b := d.take(2); b != "" {
			return lua.LNumber(int8(b[1]))
		}
	case 0xcd:
		if b := d.take(3); b != "" {
			return lua.LNumber(be16(b[1:]))
		}
	case 0xd1:
		if b := d.take(3); b != "" {
			return lua.LNumber(int16(be16(b[1:])))
		}
	case 0xce:
		if b := d.take(5); b != "" {
			return lua.LNumber(be32(b[1:]))
		}
	case 0xd2:
		if b := d.take(5); b != "" {
			return lua.LNumber(int32(be32(b[1:])))
		}
	case 0xcf, 0xd3: // lua_pushinteger of a uint64 wraps to int64 too
		if b := d.take(9); b != "" {
			return lua.LNumber(int64(binary.BigEndian.Uint64([]byte(b[1:]))))
		}
	case 0xc0:
		d.p++
		return lua.LNil
	case 0xc3:
		d.p++
		return lua.LTrue
	case 0xc2:
		d.p++
		return lua.LFalse
	case 0xca:
		if b := d.take(5); b != "" {
			return lua.LNumber(math.Float32frombits(be32(b[1:])))
		}
	case 0xcb:
		if b := d.take(9); b != "" {
			return lua.LNumber(math.Float64frombits(binary.BigEndian.Uint64([]byte(b[1:]))))
		}
	case 0xd9:
		if d.need(2) {
			return d.str(2, uint64(d.s[d.p+1]))
		}
	case 0xda:
		if d.need(3) {
			return d.str(3, uint64(be16(d.s[d.p+1:])))
		}
	case 0xdb:
		if d.need(5) {
			n := uint64(be32(d.s[d.p+1:]))
			d.p += 5
			return d.str(0, n)
		}
	case 0xdc:
		if d.need(3) {
			n := uint64(be16(d.s[d.p+1:]))
			d.p += 3
			return d.array(n, used)
		}
	case 0xdd:
		if d.need(5) {
			n := uint64(be32(d.s[d.p+1:]))
			d.p += 5
			return d.array(n, used)
		}
	case 0xde:
		if d.need(3) {
			n := uint64(be16(d.s[d.p+1:]))
			d.p += 3
			return d.hash(n, used)
		}
	case 0xdf:
		if d.need(5) {
			n := uint64(be32(d.s[d.p+1:]))
			d.p += 5
			return d.hash(n, used)
		}
	default:
		switch {
		case c&0x80 == 0:
			d.p++
			return lua.LNumber(c)
		case c&0xe0 == 0xe0:
			d.p++
			return lua.LNumber(int8(c))
		case c&0xe0 == 0xa0:
			return d.str(1, uint64(c&0x1f))
		case c&0xf0 == 0x90:
			d.p++
			return d.array(uint64(c&0xf), used)
		case c&0xf0 == 0x80:
			d.p++
			return d.hash(uint64(c&0xf), used)
		default:
			d.err = mpBadFmt
		}
	}
	return lua.LNil
}

// take consumes n bytes and returns them, "" (and the EOF error) when
// fewer are left.
func (d *msgpackDecoder) take(n int) string {
	if !d.need(uint64(n)) {
		return ""
	}
	b := d.s[d.p : d.p+n]
	d.p += n
	return b
}

// str reads a string of n bytes after a header of hdr bytes.
func (d *msgpackDecoder) str(hdr int, n uint64) lua.LValue {
	if !d.need(uint64(hdr) + n) {
		return lua.LNil
	}
	v := lua.LString(d.s[d.p+hdr : d.p+hdr+int(n)])
	d.p += hdr + int(n)
	return v
}

// array is mp_decode_to_lua_array: the table and each element's index
// take a stack slot while the element decodes.
func (d *msgpackDecoder) array(n uint64, used int) lua.LValue {
	t := d.L.CreateTable(int(min(n, uint64(d.left()))), 0) // each element takes a byte at least
	if used+2 > maxCStack {
		raise(d.L, "stack overflow (in function mp_decode_to_lua_array)")
	}
	for i := 1; n > 0; n, i = n-1, i+1 {
		v := d.value(used + 2)
		if d.err != mpOK {
			return lua.LNil
		}
		t.RawSetInt(i, v)
	}
	return t
}

// hash is mp_decode_to_lua_hash: lua_settable, so a nil or NaN key is
// Lua's own error.
func (d *msgpackDecoder) hash(n uint64, used int) lua.LValue {
	t := d.L.CreateTable(0, int(min(n, uint64(d.left()/2)))) // each pair takes two bytes at least
	for ; n > 0; n-- {
		k := d.value(used + 1)
		if d.err != mpOK {
			return lua.LNil
		}
		v := d.value(used + 2)
		if d.err != mpOK {
			return lua.LNil
		}
		switch k := k.(type) {
		case *lua.LNilType:
			d.L.Error(lua.LString("table index is nil"), 0)
		case lua.LNumber:
			if k != k {
				d.L.Error(lua.LString("table index is NaN"), 0)
			}
		}
		t.RawSet(k, v)
	}
	return t
}

func be16(s string) uint16 { return uint16(s[0])<<8 | uint16(s[1]) }
func be32(s string) uint32 {
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}
