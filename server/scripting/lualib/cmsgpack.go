package lualib

import (
	"context"
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// lua-cmsgpack 0.4.0 (lua_cmsgpack.c) as Redis builds it: 64-bit
// integers, tables nested 16 deep encoded as nil, no bin or ext types.
const (
	msgpackMaxNesting = 16
	msgpackMsgStack   = "too many return values at once; use unpack_one or unpack_limit instead."
)

func newCMsgpack(L *lua.LState) *lua.LTable {
	t := register(L, map[string]lua.LGFunction{
		"pack":   msgpackPack,
		"unpack": func(L *lua.LState) int { return msgpackUnpack(L, 0, 0, L.GetTop()) },
		"unpack_one": func(L *lua.LState) int {
			offset := optInteger(L, 2, 0)
			L.SetTop(1)
			return msgpackUnpack(L, 1, offset, 1)
		},
		"unpack_limit": func(L *lua.LState) int {
			limit := checkInteger(L, 2)
			offset := optInteger(L, 3, 0)
			L.SetTop(1)
			return msgpackUnpack(L, limit, offset, 1)
		},
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

// msgpackEncoder is one cmsgpack.pack call.
type msgpackEncoder struct {
	L    *lua.LState
	ctx  context.Context
	out  []byte
	next int // output length at which ctx is checked again
}

func msgpackPack(L *lua.LState) int {
	nargs := L.GetTop()
	if nargs == 0 {
		argError(L, 0, "MessagePack pack needs input.")
	}
	if 2*nargs > maxCStack {
		argError(L, 0, "Too many arguments for MessagePack pack.")
	}
	e := &msgpackEncoder{L: L, ctx: L.Context(), next: ctxCheckEvery}
	for i := 1; i <= nargs; i++ {
		e.value(L.Get(i), 0)
	}
	L.Push(lua.LString(e.out))
	return 1
}

// value is mp_encode_lua_type.
func (e *msgpackEncoder) value(v lua.LValue, level int) {
	if len(e.out) >= e.next {
		e.next = len(e.out) + ctxCheckEvery
		if e.ctx != nil && e.ctx.Err() != nil {
			raise(e.L, "%s", e.ctx.Err().Error())
		}
	}
	switch v := v.(type) {
	case lua.LString:
		e.bytes(string(v))
	case lua.LBool:
		if v {
			e.out = append(e.out, 0xc3)
		} else {
			e.out = append(e.out, 0xc2)
		}
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && float64(toInteger(f)) == f {
			e.int(toInteger(f))
		} else {
			e.double(f)
		}
	case *lua.LTable:
		if level == msgpackMaxNesting {
			e.out = append(e.out, 0xc0)
			return
		}
		if n, ok := msgpackArrayLen(v); ok {
			e.header(n, 0x90, 0xdc, 0xdd)
			for j := 1; j <= n; j++ {
				e.value(v.RawGetInt(j), level+1)
			}
			return
		}
		n := 0
		for k, _ := v.Next(lua.LNil); k != lua.LNil; k, _ = v.Next(k) {
			n++
		}
		e.header(n, 0x80, 0xde, 0xdf)
		for k, x := v.Next(lua.LNil); k != lua.LNil; k, x = v.Next(k) {
			e.value(k, level+1)
			e.value(x, level+1)
		}
	default:
		e.out = append(e.out, 0xc0)
	}
}

// msgpackArrayLen is table_is_an_array: every key a number that is a
// whole C int above 0, and as many keys as the largest.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	var max, count int32
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f <= 0 || float64(toInt32(f)) != f {
			return 0, false
		}
		if f > float64(max) {
			max = int32(f)
		}
		count++
	}
	return int(max), max == count
}

// header is mp_encode_array / mp_encode_map.
func (e *msgpackEncoder) header(n int, fix, b16, b32 byte) {
	switch {
	case n <= 15:
		e.out = append(e.out, fix|byte(n))
	case n <= 0xffff:
		e.out = binary.BigEndian.AppendUint16(append(e.out, b16), uint16(n))
	default:
		e.out = binary.BigEndian.AppendUint32(append(e.out, b32), uint32(n))
	}
}

// bytes is mp_encode_bytes.
func (e *msgpackEncoder) bytes(s string) {
	n := len(s)
	switch {
	case n < 32:
		e.out = append(e.out, 0xa0|byte(n))
	case n <= 0xff:
		e.out = append(e.out, 0xd9, byte(n))
	case n <= 0xffff:
		e.out = binary.BigEndian.AppendUint16(append(e.out, 0xda), uint16(n))
	default:
		e.out = binary.BigEndian.AppendUint32(append(e.out, 0xdb), uint32(n))
	}
	e.out = append(e.out, s...)
}

// double is mp_encode_double: a float when the value survives float32.
func (e *msgpackEncoder) double(d float64) {
	if f := float32(d); float64(f) == d {
		e.out = binary.BigEndian.AppendUint32(append(e.out, 0xca), math.Float32bits(f))
		return
	}
	e.out = binary.BigEndian.AppendUint64(append(e.out, 0xcb), math.Float64bits(d))
}

// int is mp_encode_int.
func (e *msgpackEncoder) int(n int64) {
	b := e.out
	switch {
	case n >= 0 && n <= 127:
		b = append(b, byte(n))
	case n >= 0 && n <= 0xff:
		b = append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		b = binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		b = binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		b = append(b, byte(int8(n)))
	case n >= -128:
		b = append(b, 0xd0, byte(n))
	case n >= -32768:
		b = binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		b = binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
	e.out = b
}
