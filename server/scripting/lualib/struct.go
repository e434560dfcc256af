package lualib

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (lua_struct.c) as Redis builds it on x86-64: long and
// size_t are 8 bytes, int 4, short 2; native order little endian; the
// default maximum alignment ('!' alone) is 8.
const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

// structHeader is the format's current byte order and maximum alignment.
type structHeader struct {
	little bool
	align  int
}

func newStruct(L *lua.LState) *lua.LTable {
	return register(L, map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	})
}

// structFormat walks a format string as the C library's loops do.
type structFormat struct {
	L   *lua.LState
	fmt string
	i   int
	h   structHeader
}

func newStructFormat(L *lua.LState, f string) *structFormat {
	if k := strings.IndexByte(f, 0); k >= 0 {
		f = f[:k] // the C code stops at the first NUL
	}
	return &structFormat{L: L, fmt: f, h: structHeader{little: true, align: 1}}
}

func (s *structFormat) more() bool { return s.i < len(s.fmt) }

func (s *structFormat) next() byte {
	c := s.fmt[s.i]
	s.i++
	return c
}

// getnum reads a decimal size after an option, df when there is none.
func (s *structFormat) getnum(df int) int {
	if !s.more() || !isDigit(s.fmt[s.i]) {
		return df
	}
	a := 0
	for s.more() && isDigit(s.fmt[s.i]) {
		d := int(s.fmt[s.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			raise(s.L, "integral size overflow")
		}
		a = a*10 + d
		s.i++
	}
	return a
}

// optsize is the size of option opt (reading its count, if any).
func (s *structFormat) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return s.getnum(1)
	case 'i', 'I':
		sz := s.getnum(4)
		if sz > structMaxIntSize {
			raise(s.L, "integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

// toalign is gettoalign: padding before an item of size at offset pos.
func (s *structFormat) toalign(pos int, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > s.h.align {
		size = s.h.align
	}
	return (size - (pos & (size - 1))) & (size - 1)
}

// control is controloptions: byte order, alignment and white space.
func (s *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		s.h.little = false
	case '<':
		s.h.little = true
	case '!':
		a := s.getnum(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			raise(s.L, "alignment %d is not a power of 2", a)
		}
		s.h.align = a
	default:
		argError(s.L, 1, "invalid format option '"+string([]byte{opt})+"'")
	}
}

func structPack(L *lua.LState) int {
	f := newStructFormat(L, checkString(L, 1))
	L.Push(lua.LNil) // as b_pack's mark: a missing argument reads as nil
	arg := 2
	var out []byte
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pad := f.toalign(len(out), opt, size)
		out = append(out, make([]byte, pad)...)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := checkNumber(L, arg)
			arg++
			var v uint64
			if n < 0 {
				v = uint64(toInteger(n))
			} else {
				v = toUint64(n)
			}
			buf := make([]byte, size)
			for k := 0; k < size; k++ {
				idx := k
				if !f.h.little {
					idx = size - 1 - k
				}
				buf[idx] = byte(v)
				v >>= 8
			}
			out = append(out, buf...)
		case 'x':
			out = append(out, 0)
		case 'f':
			bits := math.Float32bits(float32(checkNumber(L, arg)))
			arg++
			out = f.order().AppendUint32(out, bits)
		case 'd':
			bits := math.Float64bits(checkNumber(L, arg))
			arg++
			out = f.order().AppendUint64(out, bits)
		case 'c', 's':
			str := checkString(L, arg)
			arg++
			if size == 0 {
				size = len(str)
			}
			if len(str) < size {
				argError(L, arg, "string too short")
			}
			out = append(out, str[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		default:
			f.control(opt)
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func (s *structFormat) order() binary.AppendByteOrder {
	if s.h.little {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// structInteger is getinteger: size bytes as an integer, with the C code's
// behaviour for sizes above 8 (only the last 8 bytes read count; the sign
// mask's shift is taken modulo 64, as x86's shl does).
func structInteger(b []byte, little, signed bool) float64 {
	var l uint64
	size := len(b)
	for k := 0; k < size; k++ {
		idx := k
		if little {
			idx = size - 1 - k
		}
		l = l<<8 | uint64(b[idx])
	}
	if !signed {
		return float64(l)
	}
	mask := ^uint64(0) << (uint(size*8-1) & 63)
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := newStructFormat(L, checkString(L, 1))
	data := checkString(L, 2)
	ld := len(data)
	pos := optInteger(L, 3, 1)
	if pos == 0 {
		argError(L, 3, "offset must be 1 or greater")
	}
	// size_t arithmetic: a negative offset is a huge one.
	upos := uint64(pos) - 1
	args := L.GetTop()
	var res []lua.LValue
	tooShort := func(size int) {
		if uint64(size) > uint64(ld) || upos > uint64(ld)-uint64(size) {
			argError(L, 2, "data string too short")
		}
	}
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		upos += uint64(f.toalign(int(upos&0xffff_ffff_ffff), opt, size))
		tooShort(size)
		if args+len(res)+2 > maxCStack {
			raise(L, "stack overflow (too many results)")
		}
		p := int(upos)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a'
			res = append(res, lua.LNumber(structInteger([]byte(data[p:p+size]), f.h.little, signed)))
		case 'x':
		case 'f':
			bits := f.byteOrder().Uint32([]byte(data[p : p+4]))
			res = append(res, lua.LNumber(float64(math.Float32frombits(bits))))
		case 'd':
			bits := f.byteOrder().Uint64([]byte(data[p : p+8]))
			res = append(res, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				var prev float64
				ok := false
				if len(res) > 0 {
					prev, ok = toNumber(res[len(res)-1])
				}
				if !ok {
					raise(L, "format 'c0' needs a previous size")
				}
				res = res[:len(res)-1]
				u := toUint64(prev) // size_t from a double, negative ones huge
				if u > uint64(ld) || upos > uint64(ld)-u {
					argError(L, 2, "data string too short")
				}
				size = int(u)
			}
			res = append(res, lua.LString(data[p:p+size]))
		case 's':
			e := strings.IndexByte(data[p:], 0)
			if e < 0 {
				raise(L, "unfinished string in data")
			}
			size = e + 1
			res = append(res, lua.LString(data[p:p+e]))
		default:
			f.control(opt)
		}
		upos += uint64(size)
	}
	for _, v := range res {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(int64(upos + 1))))
	return len(res) + 1
}

func (s *structFormat) byteOrder() binary.ByteOrder {
	if s.h.little {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

func structSize(L *lua.LState) int {
	f := newStructFormat(L, checkString(L, 1))
	pos := 0
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pos += f.toalign(pos, opt, size)
		if opt == 's' {
			argError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(float64(pos)))
	return 1
}
