// Package rdb is the part of Redis's RDB format that meshcache reads and
// writes: the CRC64 checksum (Jones polynomial, as Redis's crc64.c), the
// length and string encodings (rdbSaveLen, rdbSaveRawString and their
// loaders, LZF-compressed strings included; lzf.go compresses as Redis
// does) and the DUMP payload framing
// (the data, the RDB version in two bytes, the CRC64 of both in eight,
// little-endian). FUNCTION DUMP and RESTORE use it, and so do DUMP and
// RESTORE of values: the value codecs (value.go, decode.go) read and write
// strings, lists, sets, sorted sets and hashes in the RDB encodings Redis
// 7.0 and 7.2 use (listpack.go: listpacks and intsets), to and from a
// neutral Value. Pure: no I/O, no state.
package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Version is the RDB version meshcache writes: Redis 7.2's. Payloads of
// this version or older are read.
const Version = 11

// Opcodes and encodings.
const (
	OpFunctionPreGA = 246 // RDB_OPCODE_FUNCTION_PRE_GA (Redis 7.0 release candidates)
	OpFunction2     = 245 // RDB_OPCODE_FUNCTION2: one library's code

	lenEnc  = 3 // the two top bits of a length byte that mark an encoded value
	len6    = 0
	len14   = 1
	len32   = 0x80
	len64   = 0x81
	encInt8 = 0
	encInt6 = 1
	encInt3 = 2
	encLZF  = 3
)

// ErrPayload is the error of a DUMP payload whose version or checksum is
// wrong.
var ErrPayload = errors.New("DUMP payload version or checksum are wrong")

// AppendLen appends n in RDB's length encoding.
func AppendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, len32)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, len64)
	return binary.BigEndian.AppendUint64(dst, n)
}

// AppendString appends s as a raw RDB string (its length, then its
// bytes). Redis may write a long string LZF-compressed; meshcache writes
// it plain, which every RDB reader reads.
func AppendString(dst, s []byte) []byte {
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// readLen reads a length; encoded reports an encoded-value marker, whose
// kind is then the returned value.
func readLen(b []byte) (n uint64, encoded bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, nil, errors.New("length truncated")
	}
	switch b[0] >> 6 {
	case len6:
		return uint64(b[0] & 0x3f), false, b[1:], nil
	case len14:
		if len(b) < 2 {
			return 0, false, nil, errors.New("length truncated")
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], nil
	case lenEnc:
		return uint64(b[0] & 0x3f), true, b[1:], nil
	}
	switch b[0] {
	case len32:
		if len(b) < 5 {
			return 0, false, nil, errors.New("length truncated")
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], nil
	case len64:
		if len(b) < 9 {
			return 0, false, nil, errors.New("length truncated")
		}
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], nil
	}
	return 0, false, nil, fmt.Errorf("unknown length encoding %#x", b[0])
}

// ReadString reads one RDB string: plain, an encoded integer, or LZF.
func ReadString(b []byte) (s, rest []byte, err error) {
	n, encoded, b, err := readLen(b)
	if err != nil {
		return nil, nil, err
	}
	if !encoded {
		if n > uint64(len(b)) {
			return nil, nil, errors.New("string truncated")
		}
		return b[:n:n], b[n:], nil
	}
	switch n {
	case encInt8:
		if len(b) < 1 {
			return nil, nil, errors.New("integer truncated")
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), b[1:], nil
	case encInt6:
		if len(b) < 2 {
			return nil, nil, errors.New("integer truncated")
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), b[2:], nil
	case encInt3:
		if len(b) < 4 {
			return nil, nil, errors.New("integer truncated")
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), b[4:], nil
	case encLZF:
		clen, enc1, b, err := readLen(b)
		if err != nil || enc1 {
			return nil, nil, errors.New("bad compressed length")
		}
		ulen, enc2, b, err := readLen(b)
		if err != nil || enc2 {
			return nil, nil, errors.New("bad uncompressed length")
		}
		if clen > uint64(len(b)) || ulen > 512<<20 || ulen > clen*90+32 { // LZF expands at most 88 times
			return nil, nil, errors.New("compressed string truncated or too long")
		}
		out, err := lzfDecompress(b[:clen], int(ulen))
		if err != nil {
			return nil, nil, err
		}
		return out, b[clen:], nil
	}
	return nil, nil, fmt.Errorf("unknown string encoding %d", n)
}

// lzfDecompress is liblzf's lzf_decompress: literal runs and back
// references into the output.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	out := make([]byte, 0, outLen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 { // a literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, errors.New("lzf: literal past the end")
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, errors.New("lzf: truncated")
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errors.New("lzf: truncated")
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, errors.New("lzf: back reference out of range")
		}
		for k := 0; k < n; k++ { // byte by byte: the reference may overlap
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, errors.New("lzf: wrong decompressed length")
	}
	return out, nil
}

// Payload frames data as a DUMP payload: data, the RDB version (two bytes,
// little-endian) and the CRC64 of both (eight bytes, little-endian).
func Payload(data []byte) []byte {
	out := make([]byte, 0, len(data)+10)
	out = append(out, data...)
	out = binary.LittleEndian.AppendUint16(out, Version)
	return binary.LittleEndian.AppendUint64(out, CRC64(0, out))
}

// Unframe checks a DUMP payload's version and checksum (verifyDumpPayload)
// and returns its data.
func Unframe(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrPayload
	}
	body := p[:len(p)-8]
	if binary.LittleEndian.Uint16(body[len(body)-2:]) > Version {
		return nil, ErrPayload
	}
	if CRC64(0, body) != binary.LittleEndian.Uint64(p[len(p)-8:]) {
		return nil, ErrPayload
	}
	return body[:len(body)-2], nil
}

// crcTable is the reflected table of the Jones polynomial
// 0xad93d23594c935a9 (reflected: 0x95ac9329ac4bc9b5).
var crcTable = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5
	for i := range t {
		c := uint64(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC64 is Redis's crc64 (crc64.c): the Jones polynomial, reflected, no
// final inversion; crc is the running value (0 to start).
func CRC64(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crcTable[byte(crc)^c] ^ crc>>8
	}
	return crc
}
