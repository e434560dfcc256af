package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// The ziplist: the blob encoding of small lists, hashes and sorted sets in
// payloads of Redis before 7.0 (RDB 9 and older; ziplist.c). meshcache only
// reads it, so values DUMPed by Redis 6 and older RESTORE here.

const (
	zlHeader = 10 // total bytes (uint32), offset of the last entry (uint32), count (uint16)
	zlEnd    = 0xff
)

var errZiplist = errors.New("ziplist corrupt")

// ReadZiplist validates zl (header, every entry's previous-length, the
// last-entry offset, the count and the terminator) and calls fn with each
// element (integers as their decimal text). fn's slices alias zl.
func ReadZiplist(zl []byte, fn func(e []byte) error) error {
	if len(zl) < zlHeader+1 || int(binary.LittleEndian.Uint32(zl)) != len(zl) {
		return errZiplist
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	pos, prev, last, n := zlHeader, 0, zlHeader, 0
	for {
		if pos >= len(zl) {
			return errZiplist
		}
		if zl[pos] == zlEnd {
			if pos != len(zl)-1 {
				return errZiplist
			}
			break
		}
		e, size, prevlen, err := zlEntry(zl[pos:])
		if err != nil {
			return err
		}
		if prevlen != prev {
			return errZiplist
		}
		if err := fn(e); err != nil {
			return err
		}
		last, prev = pos, size
		pos += size
		n++
	}
	if tail != last || (count != 65535 && count != n) {
		return errZiplist
	}
	return nil
}

// zlEntry decodes the entry at the start of p: its value, its whole size
// and the previous entry's size it records.
func zlEntry(p []byte) (e []byte, size, prevlen int, err error) {
	h := 1
	switch {
	case p[0] < 254:
		prevlen = int(p[0])
	case p[0] == 254:
		if len(p) < 5 {
			return nil, 0, 0, errZiplist
		}
		prevlen, h = int(binary.LittleEndian.Uint32(p[1:])), 5
	default:
		return nil, 0, 0, errZiplist
	}
	if len(p) <= h {
		return nil, 0, 0, errZiplist
	}
	q := p[h:]
	str := func(hdr int, n uint64) ([]byte, int, int, error) {
		if n > uint64(len(q)-hdr) {
			return nil, 0, 0, errZiplist
		}
		return q[hdr : hdr+int(n)], h + hdr + int(n), prevlen, nil
	}
	num := func(width int, v int64) ([]byte, int, int, error) {
		if len(q) < 1+width {
			return nil, 0, 0, errZiplist
		}
		return strconv.AppendInt(nil, v, 10), h + 1 + width, prevlen, nil
	}
	le := func(width int) int64 { // sign-extended little-endian integer after the encoding byte
		if len(q) < 1+width {
			return 0
		}
		var u uint64
		for i := width - 1; i >= 0; i-- {
			u = u<<8 | uint64(q[1+i])
		}
		shift := 64 - 8*width
		return int64(u<<shift) >> shift
	}
	switch b := q[0]; {
	case b>>6 == 0:
		return str(1, uint64(b&0x3f))
	case b>>6 == 1:
		if len(q) < 2 {
			return nil, 0, 0, errZiplist
		}
		return str(2, uint64(b&0x3f)<<8|uint64(q[1]))
	case b == 0x80:
		if len(q) < 5 {
			return nil, 0, 0, errZiplist
		}
		return str(5, uint64(binary.BigEndian.Uint32(q[1:])))
	case b == 0xc0:
		return num(2, le(2))
	case b == 0xd0:
		return num(4, le(4))
	case b == 0xe0:
		return num(8, le(8))
	case b == 0xf0:
		return num(3, le(3))
	case b == 0xfe:
		return num(1, le(1))
	case b >= 0xf1 && b <= 0xfd:
		return num(0, int64(b&0x0f)-1)
	}
	return nil, 0, 0, errZiplist
}
