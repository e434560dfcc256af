package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Kind is a value's Redis type.
type Kind uint8

// The value kinds meshcache has.
const (
	KindString Kind = iota + 1
	KindList
	KindSet
	KindZSet
	KindHash
)

// Value is one key's value, neutral to encodings. Invariants: a String has
// Str; a List or Set has Elems (list order; set members unique); a Hash has
// Elems as field, value, field, value ... (fields unique); a ZSet has Elems
// as its members (unique) and Scores beside them. Collections are never
// empty.
type Value struct {
	Kind   Kind
	Str    []byte
	Elems  [][]byte
	Scores []float64
	// Encoding, when set, is OBJECT ENCODING's name for how the value's
	// source holds it: EncodeValue writes a hash or sorted set as a
	// listpack exactly when it is "listpack", and a set as an intset
	// exactly when it is "intset", as Redis writes its object's own
	// encoding (a listpack set, which RDB 10 lacks, is written as a
	// hashtable set). Empty: chosen by Redis's default limits.
	Encoding string
	// ListFill is list-max-listpack-size, where a list's quicklist nodes
	// are split (0: Redis's default, -2).
	ListFill int
}

// RDB object types (rdb.h).
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZSet            = 3
	typeHash            = 4
	typeZSet2           = 5
	typeListZiplist     = 10 // before Redis 3.2
	typeSetIntset       = 11
	typeZSetZiplist     = 12 // before Redis 7.0
	typeHashZiplist     = 13 // before Redis 7.0
	typeListQuicklist   = 14 // Redis 3.2 to 6.2: a quicklist of ziplists
	typeHashListpack    = 16
	typeZSetListpack    = 17
	typeListQuicklist2  = 18
	typeSetListpack     = 20
	quicklistNodePlain  = 1
	quicklistNodePacked = 2
)

// DumpVersion is the RDB version of the DUMP payloads meshcache writes:
// Redis 7.0's (10). Every encoding meshcache writes exists in it, and
// Redis 7.0 refuses a payload of a newer version, so 10 is read by every
// Redis from 7.0 on.
const DumpVersion = 10

// The limits under which Redis (default configuration) keeps a small
// collection in a listpack or intset, and so writes it that way.
const (
	maxListpackEntries = 128  // hash-max-listpack-entries, zset-max-listpack-entries
	maxListpackValue   = 64   // hash-max-listpack-value, zset-max-listpack-value
	maxIntsetEntries   = 512  // set-max-intset-entries
	quicklistNodeBytes = 8192 // list-max-listpack-size -2
	quicklistOverhead  = 8    // SIZE_ESTIMATE_OVERHEAD
)

// Dump returns v as a DUMP payload: what redis-server 7.0 writes for the
// same value under its default configuration (LZF compression included),
// except that a set or hash beyond the listpack and intset limits lists
// its members in meshcache's order.
func Dump(v Value) []byte {
	return PayloadVersion(EncodeValue(nil, v), DumpVersion)
}

// EncodeValue appends v's RDB object type and encoding.
func EncodeValue(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindString:
		dst = append(dst, typeString)
		return appendStringObject(dst, v.Str)
	case KindList:
		dst = append(dst, typeListQuicklist2)
		return appendQuicklist(dst, v.Elems, v.ListFill)
	case KindSet:
		limit := maxIntsetEntries
		if v.Encoding == "intset" {
			limit = len(v.Elems) // as its source holds it, under set-max-intset-entries
		}
		if ints, ok := intsetOf(v.Elems, limit); ok && (v.Encoding == "" || v.Encoding == "intset") {
			dst = append(dst, typeSetIntset)
			return AppendRaw(dst, Intset(ints))
		}
		dst = append(dst, typeSet)
		dst = AppendLen(dst, uint64(len(v.Elems)))
		for _, m := range v.Elems {
			dst = AppendRaw(dst, m)
		}
		return dst
	case KindZSet:
		if v.compact(len(v.Elems)) {
			flat := make([][]byte, 0, 2*len(v.Elems))
			for i, m := range v.Elems {
				flat = append(flat, m, scoreText(v.Scores[i]))
			}
			dst = append(dst, typeZSetListpack)
			return AppendRaw(dst, Listpack(flat))
		}
		dst = append(dst, typeZSet2)
		dst = AppendLen(dst, uint64(len(v.Elems)))
		for i := len(v.Elems) - 1; i >= 0; i-- { // from the skiplist's tail, as Redis
			dst = AppendRaw(dst, v.Elems[i])
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Scores[i]))
		}
		return dst
	case KindHash:
		if v.compact(len(v.Elems) / 2) {
			dst = append(dst, typeHashListpack)
			return AppendRaw(dst, Listpack(v.Elems))
		}
		dst = append(dst, typeHash)
		dst = AppendLen(dst, uint64(len(v.Elems)/2))
		for _, s := range v.Elems {
			dst = AppendRaw(dst, s)
		}
		return dst
	}
	panic(fmt.Sprintf("rdb: encode of kind %d", v.Kind))
}

// compact reports whether a hash or sorted set of n entries is written as
// a listpack: as its source holds it (Encoding), else under Redis's
// default limits.
func (v *Value) compact(n int) bool {
	if v.Encoding != "" {
		return v.Encoding == "listpack"
	}
	return n <= maxListpackEntries && allShort(v.Elems)
}

// appendStringObject writes s as rdbSaveStringObject does: a canonical
// integer that fits 32 bits in the integer encoding, else raw.
func appendStringObject(dst, s []byte) []byte {
	v, ok := CanonicalInt(s)
	switch {
	case !ok || v < math.MinInt32 || v > math.MaxInt32:
		return AppendRaw(dst, s)
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, lenEnc<<6|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		dst = append(dst, lenEnc<<6|encInt6)
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	dst = append(dst, lenEnc<<6|encInt3)
	return binary.LittleEndian.AppendUint32(dst, uint32(v))
}

// appendQuicklist writes a list as RDB_TYPE_LIST_QUICKLIST_2: packed nodes
// split where Redis's RPUSH splits them under list-max-listpack-size fill
// (_quicklistNodeAllowInsert: an element joins the tail node while the
// node's listpack bytes, the element's length and an 8-byte estimate stay
// within the size limit, -1 to -5 = 4 to 64 KB; a positive fill counts
// elements, within an 8 KB safety limit).
func appendQuicklist(dst []byte, elems [][]byte, fill int) []byte {
	limit, count := quicklistNodeBytes, 0
	switch {
	case fill > 0:
		count = fill
	case fill < 0:
		limit = 4096 << min(-fill-1, 4)
	}
	var nodes [][][]byte
	size := lpHeader + 1
	start := 0
	for i, e := range elems {
		es := lpEntrySize(e)
		if i > start && (size+len(e)+quicklistOverhead > limit || (count > 0 && i-start >= count)) {
			nodes = append(nodes, elems[start:i])
			start, size = i, lpHeader+1
		}
		size += es
	}
	nodes = append(nodes, elems[start:])
	dst = AppendLen(dst, uint64(len(nodes)))
	for _, n := range nodes {
		dst = AppendLen(dst, quicklistNodePacked)
		dst = AppendRaw(dst, Listpack(n))
	}
	return dst
}

// intsetOf returns the members as sorted integers when they are all
// integers and at most limit.
func intsetOf(members [][]byte, limit int) ([]int64, bool) {
	if len(members) > limit {
		return nil, false
	}
	ints := make([]int64, len(members))
	for i, m := range members {
		v, ok := CanonicalInt(m)
		if !ok {
			return nil, false
		}
		ints[i] = v
	}
	slices.Sort(ints)
	return ints, true
}

func allShort(ss [][]byte) bool {
	for _, s := range ss {
		if len(s) > maxListpackValue {
			return false
		}
	}
	return true
}

// scoreText is Redis 7.0's d2string, the text of a score in a listpack:
// integers exactly below 2^52 as integers, else "%.17g".
func scoreText(f float64) []byte {
	switch {
	case math.IsNaN(f):
		return []byte("nan")
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	case f == 0:
		if math.Signbit(f) {
			return []byte("-0")
		}
		return []byte("0")
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

// ErrFormat is the error of a payload whose value cannot be read: Redis's
// "Bad data format".
var ErrFormat = errors.New("bad data format")

// Load reads a DUMP payload: version and checksum (ErrPayload), then the
// value (an error wrapping ErrFormat). Payloads of any RDB version up to
// Version are read; the encodings read are every one Redis 7.0 and 7.2
// write for strings, lists, sets, sorted sets and hashes.
func Load(payload []byte) (Value, error) {
	data, err := Unframe(payload)
	if err != nil {
		return Value{}, err
	}
	v, err := DecodeValue(data)
	if err != nil {
		return Value{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return v, nil
}

// PayloadVersion frames data as a DUMP payload of RDB version ver.
func PayloadVersion(data []byte, ver uint16) []byte {
	out := make([]byte, 0, len(data)+10)
	out = append(out, data...)
	out = binary.LittleEndian.AppendUint16(out, ver)
	return binary.LittleEndian.AppendUint64(out, CRC64(0, out))
}
