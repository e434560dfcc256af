package list

import (
	"encoding/binary"
	"strconv"

	"github.com/meshcache/meshcache/store/rdb"
)

// How list elements are laid out in a chunk's buffer (list.go), and the
// sizes they would have in a Redis listpack, which decide the encoding
// OBJECT ENCODING reports and where chunks split.

// uvarintLen is the size of n as a uvarint.
func uvarintLen(n int) int {
	s := 1
	for n >= 0x80 {
		n >>= 7
		s++
	}
	return s
}

// An element is stored as [uvarint(hdr) | payload | reversed uvarint(hdr)].
// hdr is len<<1 for a string of len bytes, or ilen<<1|1 for an integer in
// Redis's canonical form ("123", "-7", as rdb.CanonicalInt accepts them) kept as its
// ilen (1..8) low bytes, little-endian, sign-extended on reading, so that
// numbers cost about what they cost in a Redis listpack. Reading an
// integer formats it into the list's scratch buffer (List.num).

// elemEnc is how one element is stored.
type elemEnc struct {
	size int // bytes of the whole entry
	hdr  uint64
	iv   int64 // the integer, when ilen > 0
	ilen int   // payload bytes of an integer; 0 for a string
}

// intLen is the number of low bytes that hold v sign-extended.
func intLen(v int64) int {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	return n
}

// encodeOf returns how e is stored.
func encodeOf(e []byte) elemEnc {
	if v, ok := rdb.CanonicalInt(e); ok {
		n := intLen(v)
		h := uint64(n)<<1 | 1
		return elemEnc{size: 2*uvarintLen(int(h)) + n, hdr: h, iv: v, ilen: n}
	}
	h := uint64(len(e)) << 1
	return elemEnc{size: 2*uvarintLen(int(h)) + len(e), hdr: h}
}

// put writes e, encoded as enc, at dst[0:enc.size].
func (enc elemEnc) put(dst, e []byte) {
	k := binary.PutUvarint(dst, enc.hdr)
	p := k
	if enc.ilen > 0 {
		u := uint64(enc.iv)
		for i := 0; i < enc.ilen; i++ {
			dst[p+i] = byte(u >> (8 * i))
		}
		p += enc.ilen
	} else {
		p += copy(dst[p:], e)
	}
	for i := 0; i < k; i++ {
		dst[p+i] = dst[k-1-i]
	}
}

// decode returns the element of header h whose payload is pay, formatting
// an integer into num.
func decode(h uint64, pay []byte, num *[20]byte) []byte {
	if h&1 == 0 {
		return pay
	}
	var u uint64
	for i, b := range pay {
		u |= uint64(b) << (8 * i)
	}
	sh := 64 - 8*uint(len(pay))
	v := int64(u<<sh) >> sh
	return strconv.AppendInt(num[:0], v, 10)
}

// payLen is the payload size of header h.
func payLen(h uint64) int { return int(h >> 1) }

// readFwd decodes the element starting at buf[at] and returns it and the
// offset after it. A string aliases buf; an integer is formatted into num.
func readFwd(buf []byte, at int, num *[20]byte) ([]byte, int) {
	h, k := uint64(buf[at]), 1
	if h >= 0x80 {
		h, k = binary.Uvarint(buf[at:])
	}
	s := at + k
	e := s + payLen(h)
	return decode(h, buf[s:e:e], num), e + k
}

// skipFwd returns the offset after the element starting at buf[at].
func skipFwd(buf []byte, at int) int {
	h, k := uint64(buf[at]), 1
	if h >= 0x80 {
		h, k = binary.Uvarint(buf[at:])
	}
	return at + 2*k + payLen(h)
}

// backHdr reads the reversed header ending at buf[end] (exclusive).
func backHdr(buf []byte, end int) (h uint64, k int) {
	for shift := uint(0); ; shift += 7 {
		b := buf[end-1-k]
		k++
		h |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return h, k
		}
	}
}

// readBack decodes the element ending at buf[end] (exclusive) and returns
// it and its start offset (as readFwd).
func readBack(buf []byte, end int, num *[20]byte) ([]byte, int) {
	h, k := backHdr(buf, end)
	e := end - k
	s := e - payLen(h)
	return decode(h, buf[s:e:e], num), s - k
}

// skipBack returns the start offset of the element ending at buf[end].
func skipBack(buf []byte, end int) int {
	h, k := backHdr(buf, end)
	return end - 2*k - payLen(h)
}

// ---- Redis listpack sizes (for the encoding rules) ----

// lpEntrySize is the size of e as a Redis listpack entry: its encoding
// (integers compactly, strings with a 1, 2 or 5 byte header) plus the
// back-length.
func lpEntrySize(e []byte) int32 {
	v, ok := rdb.CanonicalInt(e)
	return lpSizeOf(ok, v, len(e))
}

// lpSize is lpEntrySize of an element of n bytes encoded as enc.
func lpSize(enc elemEnc, n int) int32 { return lpSizeOf(enc.ilen > 0, enc.iv, n) }

// lpSizeOf is the listpack entry size of an integer v (isInt) or of a
// string of n bytes.
func lpSizeOf(isInt bool, v int64, n int) int32 {
	var enc int
	if isInt {
		switch {
		case v >= 0 && v <= 127:
			enc = 1
		case v >= -4096 && v <= 4095:
			enc = 2
		case v >= -32768 && v <= 32767:
			enc = 3
		case v >= -8388608 && v <= 8388607:
			enc = 4
		case v >= -2147483648 && v <= 2147483647:
			enc = 5
		default:
			enc = 9
		}
	} else {
		switch {
		case n < 64:
			enc = 1 + n
		case n < 4096:
			enc = 2 + n
		default:
			enc = 5 + n
		}
	}
	switch {
	case enc <= 127:
		return int32(enc + 1)
	case enc < 16383:
		return int32(enc + 2)
	case enc < 2097151:
		return int32(enc + 3)
	case enc < 268435455:
		return int32(enc + 4)
	}
	return int32(enc + 5)
}
