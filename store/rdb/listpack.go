package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Listpack and intset: the two blob encodings inside RDB values (Redis's
// listpack.c and intset.c). Readers validate the whole blob (header, every
// entry and its back-length, the terminator) and return errors, never
// panic; writers produce the bytes Redis does for the same elements.

const (
	lpHeader = 6    // total bytes (uint32) and element count (uint16)
	lpEOF    = 0xff // the terminator
)

var errListpack = errors.New("listpack corrupt")

// appendLPEntry appends one listpack entry for s: an integer encoding when
// s is a canonical int64 (lpStringToInt64), else a string encoding; then
// the entry's back-length.
func appendLPEntry(dst, s []byte) []byte {
	start := len(dst)
	if v, ok := CanonicalInt(s); ok {
		switch {
		case v >= 0 && v <= 127:
			dst = append(dst, byte(v))
		case v >= -4096 && v <= 4095:
			u := uint64(v) & (1<<13 - 1)
			dst = append(dst, byte(u>>8)|0xc0, byte(u))
		case v >= -32768 && v <= 32767:
			dst = append(dst, 0xf1)
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case v >= -8388608 && v <= 8388607:
			u := uint32(v)
			dst = append(dst, 0xf2, byte(u), byte(u>>8), byte(u>>16))
		case v >= -1<<31 && v <= 1<<31-1:
			dst = append(dst, 0xf3)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = append(dst, 0xf4)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	} else {
		switch n := len(s); {
		case n < 64:
			dst = append(dst, 0x80|byte(n))
		case n < 4096:
			dst = append(dst, byte(n>>8)|0xe0, byte(n))
		default:
			dst = append(dst, 0xf0)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
		}
		dst = append(dst, s...)
	}
	return appendBacklen(dst, uint64(len(dst)-start))
}

// appendBacklen is lpEncodeBacklen: l in 7-bit groups, most significant
// first, every byte but the first with the top bit set.
func appendBacklen(dst []byte, l uint64) []byte {
	switch {
	case l <= 127:
		return append(dst, byte(l))
	case l < 16383:
		return append(dst, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(dst, byte(l>>14), byte(l>>7&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(dst, byte(l>>21), byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
	}
	return append(dst, byte(l>>28), byte(l>>21&127)|128, byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
}

// backlenSize is how many bytes appendBacklen writes for l.
func backlenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// Listpack builds a listpack of elems.
func Listpack(elems [][]byte) []byte {
	lp := make([]byte, lpHeader, 64)
	for _, e := range elems {
		lp = appendLPEntry(lp, e)
	}
	lp = append(lp, lpEOF)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	n := len(elems)
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(lp[4:], uint16(n))
	return lp
}

// lpEntrySize is the size a listpack entry for s takes (with back-length).
func lpEntrySize(s []byte) int {
	var buf [16]byte
	if _, ok := CanonicalInt(s); ok {
		return len(appendLPEntry(buf[:0], s))
	}
	n := len(s)
	var enc int
	switch {
	case n < 64:
		enc = 1
	case n < 4096:
		enc = 2
	default:
		enc = 5
	}
	return enc + n + backlenSize(uint64(enc+n))
}

// ReadListpack validates lp and calls fn with each element (integers as
// their decimal text). fn's slices alias lp.
func ReadListpack(lp []byte, fn func(e []byte) error) error {
	if len(lp) < lpHeader+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) {
		return errListpack
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	p := lp[lpHeader:]
	n := 0
	for {
		if len(p) == 0 {
			return errListpack
		}
		if p[0] == lpEOF {
			if len(p) != 1 {
				return errListpack
			}
			break
		}
		e, size, err := lpEntry(p)
		if err != nil {
			return err
		}
		bl := backlenSize(uint64(size))
		if size+bl > len(p) || !backlenOK(p[size:size+bl], uint64(size)) {
			return errListpack
		}
		p = p[size+bl:]
		n++
		if err := fn(e); err != nil {
			return err
		}
	}
	if count != 65535 && count != n {
		return errListpack
	}
	return nil
}

// backlenOK reports whether b is the back-length encoding of l.
func backlenOK(b []byte, l uint64) bool {
	var buf [5]byte
	return string(appendBacklen(buf[:0], l)) == string(b)
}

// lpEntry decodes the entry at the start of p: its value and its size
// without the back-length.
func lpEntry(p []byte) (e []byte, size int, err error) {
	b := p[0]
	need := func(n int) error {
		if len(p) < n {
			return errListpack
		}
		return nil
	}
	num := func(v int64, n int) ([]byte, int, error) {
		return strconv.AppendInt(nil, v, 10), n, nil
	}
	switch {
	case b&0x80 == 0: // 7-bit unsigned
		return num(int64(b), 1)
	case b&0xc0 == 0x80: // 6-bit string length
		n := int(b & 0x3f)
		if err := need(1 + n); err != nil {
			return nil, 0, err
		}
		return p[1 : 1+n], 1 + n, nil
	case b&0xe0 == 0xc0: // 13-bit signed
		if err := need(2); err != nil {
			return nil, 0, err
		}
		u := uint64(b&0x1f)<<8 | uint64(p[1])
		return num(int64(u<<51)>>51, 2)
	case b&0xf0 == 0xe0: // 12-bit string length
		if err := need(2); err != nil {
			return nil, 0, err
		}
		n := int(b&0x0f)<<8 | int(p[1])
		if err := need(2 + n); err != nil {
			return nil, 0, err
		}
		return p[2 : 2+n], 2 + n, nil
	}
	switch b {
	case 0xf1:
		if err := need(3); err != nil {
			return nil, 0, err
		}
		return num(int64(int16(binary.LittleEndian.Uint16(p[1:]))), 3)
	case 0xf2:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
		return num(int64(int32(u<<8)>>8), 4)
	case 0xf3:
		if err := need(5); err != nil {
			return nil, 0, err
		}
		return num(int64(int32(binary.LittleEndian.Uint32(p[1:]))), 5)
	case 0xf4:
		if err := need(9); err != nil {
			return nil, 0, err
		}
		return num(int64(binary.LittleEndian.Uint64(p[1:])), 9)
	case 0xf0:
		if err := need(5); err != nil {
			return nil, 0, err
		}
		n := uint64(binary.LittleEndian.Uint32(p[1:]))
		if n > uint64(len(p)-5) {
			return nil, 0, errListpack
		}
		return p[5 : 5+n], 5 + int(n), nil
	}
	return nil, 0, errListpack
}

// Intset builds an intset of vals, which must be sorted ascending without
// duplicates: the narrowest width (2, 4 or 8 bytes) that holds them all.
func Intset(vals []int64) []byte {
	width := 2
	for _, v := range vals {
		switch {
		case v < -1<<31 || v > 1<<31-1:
			width = 8
		case (v < -1<<15 || v > 1<<15-1) && width < 4:
			width = 4
		}
	}
	out := make([]byte, 0, 8+width*len(vals))
	out = binary.LittleEndian.AppendUint32(out, uint32(width))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			out = binary.LittleEndian.AppendUint16(out, uint16(v))
		case 4:
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		default:
			out = binary.LittleEndian.AppendUint64(out, uint64(v))
		}
	}
	return out
}

// ReadIntset validates an intset (width, length, strictly ascending
// members) and calls fn with each member.
func ReadIntset(b []byte, fn func(v int64)) error {
	if len(b) < 8 {
		return errors.New("intset truncated")
	}
	width := int(binary.LittleEndian.Uint32(b))
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if width != 2 && width != 4 && width != 8 {
		return errors.New("intset: bad width")
	}
	if n == 0 || uint64(len(b)-8) != n*uint64(width) {
		return errors.New("intset: bad length")
	}
	var prev int64
	for i := 0; i < int(n); i++ {
		p := b[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && v <= prev {
			return errors.New("intset: members out of order")
		}
		prev = v
		fn(v)
	}
	return nil
}

// CanonicalInt parses s as Redis's string2ll: an int64 whose text is
// exactly how it prints (no '+', no spaces, no leading zeros, not "-0").
// It allocates nothing: the store calls it on every list and set element
// and string value, and every element DUMP writes goes through it.
func CanonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	p := s
	if neg {
		p = p[1:]
	}
	if len(p) == 0 || p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range p {
		if c < '0' || c > '9' || u > (1<<64-1)/10 {
			return 0, false
		}
		u *= 10
		if u > 1<<64-1-uint64(c-'0') {
			return 0, false
		}
		u += uint64(c - '0')
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), true // -(1<<63) wraps to MinInt64
	case !neg && u <= 1<<63-1:
		return int64(u), true
	}
	return 0, false
}
