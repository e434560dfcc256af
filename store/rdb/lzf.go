package rdb

import "sync"

// lzfHashLog is liblzf's HLOG as Redis builds it (lzfP.h: HLOG 16,
// VERY_FAST 1, ULTRA_FAST 0).
const (
	lzfHashLog = 16
	lzfMaxLit  = 1 << 5
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = 1<<8 + 1<<3
)

// lzfTable is the compressor's hash table: for each hash, the position of
// the last 3-byte sequence seen with it, stamped with the generation of
// the call that stored it, so a new call starts with an empty table
// without clearing 512 KB (a slot of another generation is empty).
type lzfTable struct {
	gen  uint32
	slot [1 << lzfHashLog]uint64 // gen<<32 | position
}

// lzfTables recycles the tables between calls.
var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

// AppendRaw appends s as rdbSaveRawString does with rdbcompression on (the
// default): a string over 20 bytes that LZF shrinks by more than 4 bytes
// is written compressed (rdbSaveLzfStringObject), else plain. The value
// codecs write with it, so a payload equals redis-server's.
func AppendRaw(dst, s []byte) []byte {
	if len(s) > 20 && len(s) <= 1<<32-1 {
		if c := lzfCompress(s, len(s)-4); c != nil {
			dst = append(dst, lenEnc<<6|encLZF)
			dst = AppendLen(dst, uint64(len(c)))
			dst = AppendLen(dst, uint64(len(s)))
			return append(dst, c...)
		}
	}
	return AppendString(dst, s)
}

// lzfCompress is liblzf's lzf_compress as Redis builds it, step for step,
// so that its output is redis-server's byte for byte; the hash table
// starts empty (Redis leaves it uninitialised, and a stale slot there
// fails the offset checks). It returns nil when the output would not fit
// in outLen bytes.
func lzfCompress(in []byte, outLen int) []byte {
	inLen := len(in)
	if inLen < 3 || outLen == 0 {
		return nil
	}
	tab := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(tab)
	tab.gen++
	if tab.gen == 0 { // wrapped: stale stamps could match again
		clear(tab.slot[:])
		tab.gen = 1
	}
	stamp := uint64(tab.gen) << 32
	get := func(h uint32) int {
		if v := tab.slot[h]; v&^(1<<32-1) == stamp {
			return int(uint32(v))
		}
		return -1
	}
	idx := func(h uint32) uint32 { return ((h >> (3*8 - lzfHashLog)) - h*5) & (1<<lzfHashLog - 1) }
	out := make([]byte, outLen+8)
	outEnd := outLen
	op, ip, lit := 1, 0, 0 // op 0 holds the first run's length
	hval := uint32(in[0])<<8 | uint32(in[1])
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		h := idx(hval)
		ref := get(h)
		tab.slot[h] = stamp | uint64(ip)
		if off := ip - ref - 1; ref >= 0 && off < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			n := 2
			maxlen := min(inLen-ip-n, lzfMaxRef)
			if op+3+1 >= outEnd {
				nolit := 0
				if lit == 0 {
					nolit = 1
				}
				if op-nolit+3+1 >= outEnd {
					return nil
				}
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			if lit == 0 {
				op-- // undo the empty run
			}
			matched := false
			if maxlen > 16 {
				matched = true
				for range 16 {
					n++
					if in[ref+n] != in[ip+n] {
						matched = false
						break
					}
				}
			}
			if maxlen <= 16 || matched {
				for {
					n++
					if !(n < maxlen && in[ref+n] == in[ip+n]) {
						break
					}
				}
			}
			n -= 2 // n is now the number of octets - 1
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += n + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2 // VERY_FAST: hash the two positions before ip
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			for range 2 {
				hval = hval<<8 | uint32(in[ip+2])
				tab.slot[idx(hval)] = stamp | uint64(ip)
				ip++
			}
			continue
		}
		if op >= outEnd {
			return nil
		}
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > outEnd {
		return nil
	}
	for ip < inLen {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return out[:op]
}
