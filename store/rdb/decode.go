package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// DecodeValue reads an RDB object type and value from data: every
// encoding Redis 2.6 to 7.2 writes for strings, lists, sets, sorted sets
// and hashes (ziplists and the first quicklist included), not the zipmap
// of Redis 2.4, streams or module types. Bytes after the value are
// ignored, as Redis's RESTORE does. Every length is checked against the
// bytes that remain before anything is allocated for it, so a corrupt
// payload costs at most a few times its own size. Collections must be
// non-empty, without duplicate set members, hash fields or sorted-set
// members (Redis refuses those too).
func DecodeValue(data []byte) (Value, error) {
	if len(data) == 0 {
		return Value{}, errors.New("no object type")
	}
	typ, b := data[0], data[1:]
	switch typ {
	case typeString:
		s, _, err := ReadString(b)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: KindString, Str: s}, nil
	case typeList, typeSet:
		elems, err := readStrings(b, 1)
		if err != nil {
			return Value{}, err
		}
		if typ == typeList {
			return Value{Kind: KindList, Elems: elems}, nil
		}
		return set(elems)
	case typeHash:
		elems, err := readStrings(b, 2)
		if err != nil {
			return Value{}, err
		}
		return hash(elems)
	case typeZSet, typeZSet2:
		return readZSet(b, typ == typeZSet2)
	case typeSetIntset:
		blob, _, err := ReadString(b)
		if err != nil {
			return Value{}, err
		}
		var elems [][]byte
		if err := ReadIntset(blob, func(v int64) { elems = append(elems, strconv.AppendInt(nil, v, 10)) }); err != nil {
			return Value{}, err
		}
		return Value{Kind: KindSet, Elems: elems}, nil
	case typeSetListpack, typeHashListpack, typeZSetListpack:
		blob, _, err := ReadString(b)
		if err != nil {
			return Value{}, err
		}
		var elems [][]byte
		if err := ReadListpack(blob, func(e []byte) error { elems = append(elems, e); return nil }); err != nil {
			return Value{}, err
		}
		switch typ {
		case typeSetListpack:
			return set(elems)
		case typeHashListpack:
			return hash(elems)
		}
		return zsetPairs(elems)
	case typeListQuicklist2:
		return readQuicklist(b)
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		blob, _, err := ReadString(b)
		if err != nil {
			return Value{}, err
		}
		var elems [][]byte
		if err := ReadZiplist(blob, func(e []byte) error { elems = append(elems, e); return nil }); err != nil {
			return Value{}, err
		}
		switch typ {
		case typeListZiplist:
			if len(elems) == 0 {
				return Value{}, errors.New("empty list")
			}
			return Value{Kind: KindList, Elems: elems}, nil
		case typeHashZiplist:
			return hash(elems)
		}
		return zsetPairs(elems)
	case typeListQuicklist:
		return readZiplistQuicklist(b)
	}
	return Value{}, fmt.Errorf("unsupported object type %d", typ)
}

// count reads a collection's length and checks it against the bytes left
// (each item takes at least min bytes).
func count(b []byte, min int) (int, []byte, error) {
	n, enc, rest, err := readLen(b)
	if err != nil {
		return 0, nil, err
	}
	if enc || n == 0 || n > uint64(len(rest)/min) {
		return 0, nil, fmt.Errorf("bad collection length %d", n)
	}
	return int(n), rest, nil
}

// readStrings reads a length, then length*per strings.
func readStrings(b []byte, per int) ([][]byte, error) {
	n, b, err := count(b, per)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, n*per)
	for i := 0; i < n*per; i++ {
		var s []byte
		if s, b, err = ReadString(b); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func set(elems [][]byte) (Value, error) {
	if err := unique(elems, 1); err != nil {
		return Value{}, err
	}
	return Value{Kind: KindSet, Elems: elems}, nil
}

func hash(elems [][]byte) (Value, error) {
	if len(elems) == 0 || len(elems)%2 != 0 {
		return Value{}, errors.New("hash: odd or empty")
	}
	if err := unique(elems, 2); err != nil {
		return Value{}, err
	}
	return Value{Kind: KindHash, Elems: elems}, nil
}

// unique checks that every step-th element from the first is distinct.
func unique(elems [][]byte, step int) error {
	if len(elems) == 0 {
		return errors.New("empty collection")
	}
	seen := make(map[string]struct{}, len(elems)/step)
	for i := 0; i < len(elems); i += step {
		if _, dup := seen[string(elems[i])]; dup {
			return fmt.Errorf("duplicate %q", elems[i])
		}
		seen[string(elems[i])] = struct{}{}
	}
	return nil
}

// readZSet reads RDB_TYPE_ZSET (scores as text) or RDB_TYPE_ZSET_2 (scores
// as little-endian doubles).
func readZSet(b []byte, binaryScores bool) (Value, error) {
	n, b, err := count(b, 2)
	if err != nil {
		return Value{}, err
	}
	v := Value{Kind: KindZSet, Elems: make([][]byte, 0, n), Scores: make([]float64, 0, n)}
	for i := 0; i < n; i++ {
		var m []byte
		if m, b, err = ReadString(b); err != nil {
			return Value{}, err
		}
		var f float64
		if binaryScores {
			if len(b) < 8 {
				return Value{}, errors.New("score truncated")
			}
			f, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
		} else if f, b, err = readTextDouble(b); err != nil {
			return Value{}, err
		}
		if math.IsNaN(f) {
			return Value{}, errors.New("score is NaN")
		}
		v.Elems, v.Scores = append(v.Elems, m), append(v.Scores, f)
	}
	if err := unique(v.Elems, 1); err != nil {
		return Value{}, err
	}
	return v, nil
}

// readTextDouble is rdbLoadDoubleValue: a length byte (253 NaN, 254 +inf,
// 255 -inf) then that many characters.
func readTextDouble(b []byte) (float64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("score truncated")
	}
	switch b[0] {
	case 253:
		return math.NaN(), b[1:], nil
	case 254:
		return math.Inf(1), b[1:], nil
	case 255:
		return math.Inf(-1), b[1:], nil
	}
	n := int(b[0])
	if n+1 > len(b) {
		return 0, nil, errors.New("score truncated")
	}
	f, err := strconv.ParseFloat(string(b[1:1+n]), 64)
	if err != nil {
		return 0, nil, fmt.Errorf("bad score: %w", err)
	}
	return f, b[1+n:], nil
}

// zsetPairs reads a sorted set's listpack: member, score, member, score.
func zsetPairs(elems [][]byte) (Value, error) {
	if len(elems) == 0 || len(elems)%2 != 0 {
		return Value{}, errors.New("zset listpack: odd or empty")
	}
	v := Value{Kind: KindZSet, Elems: make([][]byte, 0, len(elems)/2), Scores: make([]float64, 0, len(elems)/2)}
	for i := 0; i < len(elems); i += 2 {
		f, err := strconv.ParseFloat(string(elems[i+1]), 64)
		if err != nil || math.IsNaN(f) {
			return Value{}, fmt.Errorf("zset listpack: bad score %q", elems[i+1])
		}
		v.Elems, v.Scores = append(v.Elems, elems[i]), append(v.Scores, f)
	}
	if err := unique(v.Elems, 1); err != nil {
		return Value{}, err
	}
	return v, nil
}

// readQuicklist reads RDB_TYPE_LIST_QUICKLIST_2: nodes, each a container
// kind then a listpack (packed) or one element (plain). Empty listpacks
// are skipped, as Redis does.
func readQuicklist(b []byte) (Value, error) {
	n, b, err := count(b, 2)
	if err != nil {
		return Value{}, err
	}
	v := Value{Kind: KindList}
	for i := 0; i < n; i++ {
		kind, enc, rest, err := readLen(b)
		if err != nil || enc {
			return Value{}, errors.New("quicklist: bad container")
		}
		var blob []byte
		if blob, b, err = ReadString(rest); err != nil {
			return Value{}, err
		}
		switch kind {
		case quicklistNodePlain:
			v.Elems = append(v.Elems, blob)
		case quicklistNodePacked:
			if err := ReadListpack(blob, func(e []byte) error { v.Elems = append(v.Elems, e); return nil }); err != nil {
				return Value{}, err
			}
		default:
			return Value{}, fmt.Errorf("quicklist: container %d", kind)
		}
	}
	if len(v.Elems) == 0 {
		return Value{}, errors.New("empty list")
	}
	return v, nil
}

// readZiplistQuicklist reads RDB_TYPE_LIST_QUICKLIST (Redis 3.2 to 6.2):
// a node count, then each node's ziplist.
func readZiplistQuicklist(b []byte) (Value, error) {
	n, b, err := count(b, 1)
	if err != nil {
		return Value{}, err
	}
	v := Value{Kind: KindList}
	for i := 0; i < n; i++ {
		var blob []byte
		if blob, b, err = ReadString(b); err != nil {
			return Value{}, err
		}
		if err := ReadZiplist(blob, func(e []byte) error { v.Elems = append(v.Elems, e); return nil }); err != nil {
			return Value{}, err
		}
	}
	if len(v.Elems) == 0 {
		return Value{}, errors.New("empty list")
	}
	return v, nil
}
