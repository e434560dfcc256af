package scripting

import (
	"math"
	"strconv"
)

// formatNumber formats a Lua number as Redis 7.2 passes one to a command
// (fpconv_dtoa, deps/fpconv): the shortest digits that read back as the
// same double, written plainly unless the exponent is far out, "-0" for
// negative zero, "inf", "-inf" and "nan". Go's shortest formatting gives
// the digits; the layout is fpconv's emit_digits.
func formatNumber(dst []byte, f float64) []byte {
	if math.Signbit(f) {
		dst = append(dst, '-')
		f = -f
	}
	switch {
	case f == 0:
		return append(dst, '0')
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 0):
		return append(dst, "inf"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // d.ddddde±XX
	mant, exp := e, 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			mant = e[:i]
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	var digits [24]byte
	nd := 0
	for _, c := range mant {
		if c != '.' {
			digits[nd] = c
			nd++
		}
	}
	return emitDigits(dst, digits[:nd], exp-(nd-1))
}

// emitDigits is fpconv's emit_digits: the value is digits * 10^k.
func emitDigits(dst, digits []byte, k int) []byte {
	nd := len(digits)
	exp := abs(k + nd - 1)
	if k >= 0 && exp < nd+7 { // a plain integer
		dst = append(dst, digits...)
		for i := 0; i < k; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	if k < 0 && (k > -7 || exp < 4) { // a decimal without exponent
		offset := nd - abs(k)
		if offset <= 0 {
			dst = append(dst, '0', '.')
			for i := 0; i < -offset; i++ {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
		dst = append(dst, digits[:offset]...)
		dst = append(dst, '.')
		return append(dst, digits[offset:]...)
	}
	dst = append(dst, digits[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if k+nd-1 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	cent := 0
	if exp > 99 {
		cent = exp / 100
		dst = append(dst, byte(cent)+'0')
		exp -= cent * 100
	}
	if exp > 9 {
		dec := exp / 10
		dst = append(dst, byte(dec)+'0')
		exp -= dec * 10
	} else if cent > 0 {
		dst = append(dst, '0')
	}
	return append(dst, byte(exp%10)+'0')
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
