// Package hll is Redis's HyperLogLog (hyperloglog.c of Redis 7.2) over
// plain byte strings, byte for byte: the 16-byte "HYLL" header (encoding,
// three reserved bytes, the cached cardinality little endian with bit 63
// meaning stale), the sparse encoding (ZERO, XZERO and VAL opcodes) that
// every new value starts in, the dense encoding (16384 6-bit registers)
// it is promoted to when a register exceeds 32 or the sparse form would
// exceed hll-sparse-max-bytes, MurmurHash64A with Redis's seed, and
// Ertl's estimator. The same PFADDs give the same bytes as redis-server,
// so a value copied from Redis counts the same here and back.
//
// The package is pure: no store, no replies. Functions that may grow or
// re-encode a value take it and return the new slice; they never keep or
// share their input beyond that. Corrupt input gives ErrInvalid (or false
// from Valid), never a panic: bytes past the end of a value read as zero,
// as Redis reads its sds terminator.
package hll

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Layout constants (hyperloglog.c).
const (
	P         = 14     // register index bits
	Q         = 64 - P // bits left for the run of zeros
	Registers = 1 << P // 16384
	Bits      = 6      // bits per dense register
	HdrSize   = 16     // "HYLL", encoding, 3 unused, 8 cached cardinality
	DenseSize = HdrSize + (Registers*Bits+7)/8
	regMax    = 1<<Bits - 1

	Dense  = 0 // encoding byte of a dense value
	Sparse = 1 // encoding byte of a sparse value

	// DefaultSparseMaxBytes is hll-sparse-max-bytes' default.
	DefaultSparseMaxBytes = 3000

	sparseValMaxValue = 32
	sparseValMaxLen   = 4
	sparseZeroMaxLen  = 64
	sparseXZeroMaxLen = 16384
	alphaInf          = 0.721347520444481703680 // 0.5/ln(2)
	hashSeed          = 0xadc83b19
)

// ErrInvalid is Redis's answer to a corrupt value.
var ErrInvalid = errors.New("INVALIDOBJ Corrupted HLL object detected")

// New returns an empty HyperLogLog: sparse, one XZERO opcode covering every
// register, cached cardinality 0.
func New() []byte {
	v := make([]byte, HdrSize+2, HdrSize+2+8)
	copy(v, "HYLL")
	v[4] = Sparse
	setXZero(v[HdrSize:], Registers)
	return v
}

// Valid is isHLLObjectOrReply's check of a string: the header is there,
// the magic is "HYLL", the encoding known, and a dense value has its exact
// size. (The sparse opcodes are checked when they are read.)
func Valid(v []byte) bool {
	if len(v) < HdrSize || string(v[:4]) != "HYLL" || v[4] > Sparse {
		return false
	}
	return v[4] != Dense || len(v) == DenseSize
}

// CachedCount returns the cached cardinality and whether it is current.
func CachedCount(v []byte) (uint64, bool) {
	if v[15]&0x80 != 0 {
		return 0, false
	}
	var c uint64
	for i := 7; i >= 0; i-- {
		c = c<<8 | uint64(v[8+i])
	}
	return c, true
}

// PutCount stores card as the cached cardinality (little endian in bytes
// 8-15, which is what PFCOUNT writes back).
func PutCount(v []byte, card uint64) {
	for i := range 8 {
		v[8+i] = byte(card >> (8 * i))
	}
}

// Invalidate marks the cached cardinality stale.
func Invalidate(v []byte) { v[15] |= 0x80 }

// MurmurHash64A is Redis's endian-neutral MurmurHash2, 64-bit version.
func MurmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := uint64(key[i]) | uint64(key[i+1])<<8 | uint64(key[i+2])<<16 | uint64(key[i+3])<<24 |
			uint64(key[i+4])<<32 | uint64(key[i+5])<<40 | uint64(key[i+6])<<48 | uint64(key[i+7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// PatLen is hllPatLen: the register ele hashes to and the length of the
// 000..1 pattern of the rest of its hash (1 to Q+1).
func PatLen(ele []byte) (index int, count uint8) {
	hash := MurmurHash64A(ele, hashSeed)
	index = int(hash & (Registers - 1))
	hash >>= P
	hash |= 1 << Q
	count = 1
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// at reads b[i], zero past the end (Redis's sds terminator).
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// DenseGet returns register i of dense registers r.
func DenseGet(r []byte, i int) uint8 {
	byteAt, fb := i*Bits/8, uint(i*Bits&7)
	b0, b1 := uint(r[byteAt]), uint(at(r, byteAt+1))
	return uint8((b0>>fb | b1<<(8-fb)) & regMax)
}

// denseSetReg sets register i of dense registers r to val.
func denseSetReg(r []byte, i int, val uint8) {
	byteAt, fb := i*Bits/8, uint(i*Bits&7)
	v := uint(val)
	r[byteAt] &^= byte(regMax << fb)
	r[byteAt] |= byte(v << fb)
	if byteAt+1 < len(r) {
		r[byteAt+1] &^= byte(regMax >> (8 - fb))
		r[byteAt+1] |= byte(v >> (8 - fb))
	}
}

// DenseSet is hllDenseSet: raise register i of dense registers r to count;
// true if it changed.
func DenseSet(r []byte, i int, count uint8) bool {
	if count > DenseGet(r, i) {
		denseSetReg(r, i, count)
		return true
	}
	return false
}

// Sparse opcodes.
func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func xzeroLen(p []byte, i int) int {
	return (int(p[i]&0x3f)<<8 | int(at(p, i+1))) + 1
}
func valValue(b byte) uint8 { return (b>>2)&0x1f + 1 }
func valLen(b byte) int     { return int(b&0x3) + 1 }
func valOp(val uint8, n int) byte {
	return byte((int(val)-1)<<2|(n-1)) | 0x80
}
func setXZero(p []byte, n int) {
	n--
	p[0] = byte(n>>8) | 0x40
	p[1] = byte(n)
}

// ToDense is hllSparseToDense: the dense form of v (v itself when dense),
// keeping the header's cached cardinality. A sparse form that does not
// cover exactly Registers registers gives ErrInvalid.
func ToDense(v []byte) ([]byte, error) {
	if v[4] == Dense {
		return v, nil
	}
	d := make([]byte, DenseSize)
	copy(d, v[:HdrSize])
	d[4] = Dense
	regs := d[HdrSize:]
	idx := 0
	p := v[HdrSize:]
	for i := 0; i < len(p); {
		switch b := p[i]; {
		case isZero(b):
			idx += zeroLen(b)
			i++
		case isXZero(b):
			idx += xzeroLen(p, i)
			i += 2
		default:
			n, val := valLen(b), valValue(b)
			if idx+n > Registers {
				return nil, ErrInvalid
			}
			for range n {
				denseSetReg(regs, idx, val)
				idx++
			}
			i++
		}
	}
	if idx != Registers {
		return nil, ErrInvalid
	}
	return d, nil
}

// Add is hllAdd: fold ele into v. It returns the (possibly grown or
// re-encoded) value and whether a register changed.
func Add(v, ele []byte, sparseMax int) ([]byte, bool, error) {
	i, count := PatLen(ele)
	return Set(v, i, count, sparseMax)
}

// Set raises register i of v to count (hllDenseSet or hllSparseSet).
func Set(v []byte, i int, count uint8, sparseMax int) ([]byte, bool, error) {
	switch v[4] {
	case Dense:
		return v, DenseSet(v[HdrSize:], i, count), nil
	case Sparse:
		return sparseSet(v, i, count, sparseMax)
	}
	return v, false, ErrInvalid
}

// histogram counts registers by value; invalid reports a sparse form that
// does not cover exactly Registers registers.
func histogram(v []byte) (h [64]int, invalid bool) {
	if v[4] == Dense {
		r := v[HdrSize:]
		for i := range Registers {
			h[DenseGet(r, i)]++
		}
		return h, false
	}
	p := v[HdrSize:]
	idx := 0
	for i := 0; i < len(p); {
		switch b := p[i]; {
		case isZero(b):
			n := zeroLen(b)
			idx += n
			h[0] += n
			i++
		case isXZero(b):
			n := xzeroLen(p, i)
			idx += n
			h[0] += n
			i += 2
		default:
			n := valLen(b)
			idx += n
			h[valValue(b)] += n
			i++
		}
	}
	return h, idx != Registers
}

// Count is hllCount of v: the estimated cardinality; ErrInvalid for a
// corrupt sparse form.
func Count(v []byte) (uint64, error) {
	h, invalid := histogram(v)
	if invalid {
		return 0, ErrInvalid
	}
	return estimate(&h), nil
}

// CountRegisters is the estimate of raw registers (one byte each), as
// PFCOUNT of several keys computes it.
func CountRegisters(r *[Registers]uint8) uint64 {
	var h [64]int
	for _, x := range r {
		h[x&63]++
	}
	return estimate(&h)
}

// Merge is hllMerge: max[i] = MAX(max[i], register i of v).
func Merge(max *[Registers]uint8, v []byte) error {
	if v[4] == Dense {
		r := v[HdrSize:]
		for i := range Registers {
			if x := DenseGet(r, i); x > max[i] {
				max[i] = x
			}
		}
		return nil
	}
	p := v[HdrSize:]
	idx := 0
	for i := 0; i < len(p); {
		switch b := p[i]; {
		case isZero(b):
			idx += zeroLen(b)
			i++
		case isXZero(b):
			idx += xzeroLen(p, i)
			i += 2
		default:
			n, val := valLen(b), valValue(b)
			if idx+n > Registers {
				return ErrInvalid
			}
			for range n {
				if val > max[idx] {
					max[idx] = val
				}
				idx++
			}
			i++
		}
	}
	if idx != Registers {
		return ErrInvalid
	}
	return nil
}

// estimate is Ertl's improved estimator over the register histogram, as
// hllCount computes it (doubles, rounded half away from zero).
func estimate(h *[64]int) uint64 {
	m := float64(Registers)
	z := m * tau((m-float64(h[Q+1]))/m)
	for j := Q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += m * sigma(float64(h[0])/m)
	return uint64(math.Round(alphaInf * m * m / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zPrime := z
		z += x * y
		y += y
		if zPrime == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if zPrime == z {
			return z / 3
		}
	}
}

// Decode is PFDEBUG DECODE's text of a sparse value's opcodes: "z:len"
// (ZERO), "Z:len" (XZERO), "v:value,len" (VAL), space separated.
func Decode(v []byte) string {
	var b strings.Builder
	p := v[HdrSize:]
	for i := 0; i < len(p); {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch x := p[i]; {
		case isZero(x):
			b.WriteString("z:" + strconv.Itoa(zeroLen(x)))
			i++
		case isXZero(x):
			b.WriteString("Z:" + strconv.Itoa(xzeroLen(p, i)))
			i += 2
		default:
			b.WriteString("v:" + strconv.Itoa(int(valValue(x))) + "," + strconv.Itoa(valLen(x)))
			i++
		}
	}
	return b.String()
}
