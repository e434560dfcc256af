package zset

import (
	"math"
	"strconv"

	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Parsing and formatting of sorted-set scores and ranges, as Redis 7.2's
// t_zset.c and util.c do them.

// Error texts of the sorted-set commands.
const (
	errZMinMaxFloat = "ERR min or max is not a float"
	errZMinMaxLex   = "ERR min or max not valid string range item"
)

// strtod parses the longest prefix of b that C's strtod accepts (leading
// white space, a sign, decimal or hexadecimal notation, "inf",
// "infinity", "nan"), returning the value, the bytes consumed (0 when
// there is no number) and whether the value is out of range (ERANGE:
// overflow to infinity, or underflow of a non-zero number to zero).
func strtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(int(sign)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(int(sign)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := 3
		if j < len(rest) && rest[j] == '(' {
			k := j + 1
			for k < len(rest) && (isAlnum(rest[k]) || rest[k] == '_') {
				k++
			}
			if k < len(rest) && rest[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), i + j, false
	}
	if len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		j, digits, nonzero := 2, 0, false
		for ; j < len(rest) && isHex(rest[j]); j++ {
			digits++
			nonzero = nonzero || rest[j] != '0'
		}
		if j < len(rest) && rest[j] == '.' {
			for j++; j < len(rest) && isHex(rest[j]); j++ {
				digits++
				nonzero = nonzero || rest[j] != '0'
			}
		}
		if digits == 0 {
			return math.Copysign(0, sign), i + 1, false // just the "0"
		}
		mant := string(b[start : i+j])
		exp := "p0"
		if j < len(rest) && rest[j]|0x20 == 'p' {
			if k := expDigits(rest, j+1); k > 0 {
				exp = string(rest[j:k])
				j = k
			}
		}
		return finishStrtod(mant+exp, nonzero, i+j)
	}
	j, digits, nonzero := 0, 0, false
	for ; j < len(rest) && isDigit(rest[j]); j++ {
		digits++
		nonzero = nonzero || rest[j] != '0'
	}
	if j < len(rest) && rest[j] == '.' {
		for j++; j < len(rest) && isDigit(rest[j]); j++ {
			digits++
			nonzero = nonzero || rest[j] != '0'
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if j < len(rest) && rest[j]|0x20 == 'e' {
		if k := expDigits(rest, j+1); k > 0 {
			j = k
		}
	}
	return finishStrtod(string(b[start:i+j]), nonzero, i+j)
}

// expDigits returns the end of an exponent's optional sign and digits
// starting at b[i], or 0 when there are no digits.
func expDigits(b []byte, i int) int {
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	k := i
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	if k == i {
		return 0
	}
	return k
}

// finishStrtod converts a validated number text.
func finishStrtod(text string, nonzero bool, n int) (float64, int, bool) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, 0, false // not reached: the text was validated
	}
	return f, n, err != nil || (f == 0 && nonzero)
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func hasPrefixFold(b []byte, s string) bool {
	return len(b) >= len(s) && resp.EqualFold(b[:len(s)], s)
}

// ParseScore parses a score, increment or weight as Redis's string2d: the
// whole argument, no leading space, no NaN, no overflow and no underflow
// to zero ("inf" itself is fine).
func ParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || math.IsNaN(f) || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// parseScoreBound parses one end of a score range as zslParseRange: "("
// makes it exclusive; strtod must consume everything (up to a NUL) and
// not give NaN.
func parseScoreBound(b []byte) (f float64, ex bool, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, n, _ := strtod(b)
	if (n != len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// parseScoreRange parses min and max of a score range.
func parseScoreRange(min, max []byte) (store.ZScoreRange, bool) {
	var r store.ZScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	return r, ok1 && ok2
}

// parseLexBound parses one end of a lexical range as zslParseLexRangeItem:
// "+", "-", "(value" or "[value".
func parseLexBound(b []byte) (store.ZLexBound, bool) {
	if len(b) == 0 {
		return store.ZLexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return store.ZLexBound{}, false
		}
		if b[0] == '+' {
			return store.ZLexBound{Inf: 1, Ex: true}, true
		}
		return store.ZLexBound{Inf: -1, Ex: true}, true
	case '(':
		return store.ZLexBound{Value: b[1:], Ex: true}, true
	case '[':
		return store.ZLexBound{Value: b[1:]}, true
	}
	return store.ZLexBound{}, false
}

// parseLexRange parses min and max of a lexical range.
func parseLexRange(min, max []byte) (lo, hi store.ZLexBound, ok bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	return lo, hi, ok1 && ok2
}

// appendDouble appends f as Redis 7.2's d2string: "nan", "inf", "-inf",
// "0"/"-0", an integer when f is one within ±2^62, else the shortest
// round-trip digits laid out as fpconv_dtoa does.
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], math.Abs(f), 'e', -1, 64) // d.ddde±XX
	epos := 0
	for epos < len(e) && e[epos] != 'e' {
		epos++
	}
	var dbuf [24]byte
	digits := dbuf[:0]
	for _, c := range e[:epos] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	exp10, _ := strconv.Atoi(string(e[epos+1:]))
	if f < 0 {
		b = append(b, '-')
	}
	nd := len(digits)
	k := exp10 - (nd - 1) // f = digits * 10^k
	absExp := exp10
	if absExp < 0 {
		absExp = -absExp
	}
	switch {
	case k >= 0 && absExp < nd+7:
		b = append(b, digits...)
		for i := 0; i < k; i++ {
			b = append(b, '0')
		}
		return b
	case k < 0 && (k > -7 || absExp < 4):
		offset := nd + k
		if offset <= 0 {
			b = append(b, '0', '.')
			for i := 0; i < -offset; i++ {
				b = append(b, '0')
			}
			return append(b, digits...)
		}
		b = append(b, digits[:offset]...)
		b = append(b, '.')
		return append(b, digits[offset:]...)
	}
	b = append(b, digits[0])
	if nd > 1 {
		b = append(b, '.')
		b = append(b, digits[1:]...)
	}
	b = append(b, 'e')
	if exp10 < 0 {
		b = append(b, '-')
	} else {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, int64(absExp), 10)
}

// replyDouble writes a score as Redis 7.2's addReplyDouble: a bulk string
// in RESP2, a double in RESP3, both in d2string's text.
func replyDouble(r *resp.Reply, f float64) {
	var buf [40]byte
	t := appendDouble(buf[:0], f)
	if !r.RESP3() {
		r.Bulk(t)
		return
	}
	r.Raw(doublePrefix)
	r.Raw(t)
	r.Raw(crlf)
}

var (
	doublePrefix = []byte{','}
	crlf         = []byte{'\r', '\n'}
)
