package store

import (
	"math"
	"strconv"

	"github.com/meshcache/meshcache/store/zset"
)

// A sorted set is a zsetObj, one of the store's collections (object.go):
// the sorted set of store/zset, which owns the two forms (listpack,
// skiplist) OBJECT ENCODING reports. The commands and effects are in
// zset_tx.go.
type zsetObj struct {
	zset.Set
}

func newZSet() *zsetObj { return &zsetObj{} }

func (z *zsetObj) typ() Type        { return TypeZSet }
func (z *zsetObj) length() int      { return z.Len() }
func (z *zsetObj) bytes() int64     { return z.Bytes() }
func (z *zsetObj) encoding() string { return z.Encoding() }

// clone returns a deep copy in the same form.
func (z *zsetObj) clone() object { return &zsetObj{Set: *z.Clone()} }

// rebuild emits one ZADD per member.
func (z *zsetObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	var buf [32]byte
	z.Each(func(m string, s float64) bool {
		more = fn(Effect{Kind: EffectZAdd, Slot: slot, Key: key, Field: bytesOf(m), Value: AppendScore(buf[:0], s)})
		return more
	})
	return more
}

// AppendScore appends the effect text of a score: the shortest decimal
// that parses back to it exactly, "inf" or "-inf".
func AppendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// parseEffectScore parses AppendScore's text.
func parseEffectScore(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// elements is SORT's view of the sorted set: its members by score.
func (z *zsetObj) elements(fn func(e []byte) bool) {
	z.Each(func(m string, _ float64) bool { return fn(bytesOf(m)) })
}
