package resp

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
)

// Argument parsing shared by the data commands. Each parser reproduces the
// Redis C function it is named after, so that the same bytes are accepted
// and rejected with the same error text as redis-server.

// Error replies shared by the data commands, with Redis's exact text.
const (
	ErrSyntax        = "ERR syntax error"
	ErrNotInteger    = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrNaNOrInf      = "ERR increment would produce NaN or Infinity"
	ErrNoSuchKey     = "ERR no such key"
	ErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrInvalidCursor = "ERR invalid cursor"
	ErrSameObject    = "ERR source and destination objects are the same"
	ErrOffsetRange   = "ERR offset is out of range"
)

// MaxBulkLen is proto-max-bulk-len's default (512 MB): the largest string
// APPEND and SETRANGE may build when the server has no configured limit.
const MaxBulkLen = 512 << 20

// ErrWrongArgs is Redis's arity error, for the arity checks a handler makes
// itself (MSET, HSET: an even number of arguments).
func ErrWrongArgs(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// ErrInvalidExpire is addReplyErrorExpireTime's text for command name.
func ErrInvalidExpire(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// EqualFold reports whether b equals the lower-case ASCII word s, ignoring
// ASCII case, as strcasecmp does for option names.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// ParseInt64 parses b as Redis's string2ll does: an optional '-', no '+', no
// spaces, no leading zeros, at most 20 characters, no overflow.
func ParseInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	p := b
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	if len(p) <= 18 { // cannot overflow: the count lines of every command
		var v int64
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			return -v, true
		}
		return v, true
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseScanCursor parses a SCAN-family cursor as Redis's
// parseScanCursorOrReply does with strtoul: an optional sign (a negative
// cursor wraps around), decimal digits, nothing else; the empty string is 0.
func ParseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	p := b
	neg := false
	switch p[0] {
	case '+':
		p = p[1:]
	case '-':
		neg = true
		p = p[1:]
	}
	if len(p) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// Long doubles. Redis computes INCRBYFLOAT and HINCRBYFLOAT in C's long
// double, the x87 80-bit format on amd64: a 64-bit mantissa and a 15-bit
// exponent. big.Float with 64 bits of precision and round-to-nearest-even
// gives the same results for additions in that range, so "1.1 + 2.2" gives
// Redis's "3.3" rather than float64's "3.3000000000000003".
const (
	longDoublePrec = 64
	// longDoubleMaxExp is the MantExp bound (mantissa in [0.5, 1)) above
	// which a long double overflows to infinity.
	longDoubleMaxExp = 16384
	// longDoubleMinExp is the MantExp of the smallest denormal long double
	// (2^-16445); smaller non-zero values underflow to zero.
	longDoubleMinExp = -16444
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS.
	maxLongDoubleChars = 5 * 1024
)

// ParseLongDouble parses b as Redis's string2ld does with strtold: no
// leading space, the whole input consumed, decimal or hexadecimal notation,
// "inf"/"infinity" in any case, NaN refused, and values outside the long
// double range refused (strtold's ERANGE).
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return nil, false
	}
	p := b
	neg := false
	switch p[0] {
	case '+':
		p = p[1:]
	case '-':
		neg = true
		p = p[1:]
	}
	if EqualFold(p, "inf") || EqualFold(p, "infinity") {
		return new(big.Float).SetPrec(longDoublePrec).SetInf(neg), true
	}
	hex := len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')
	if hex && !validHexFloat(p[2:]) {
		// strtold would stop after the "0" and leave "x..." unconsumed,
		// unless what follows is a valid hexadecimal float.
		return nil, false
	}
	if !hex && !validDecimalFloat(p) {
		return nil, false
	}
	base := 10
	if hex {
		base = 0
	}
	f, _, err := big.ParseFloat(string(b), base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if !longDoubleInRange(f) {
		return nil, false
	}
	return f, true
}

// longDoubleInRange reports whether f is representable as a finite long
// double: not overflowing to infinity, and not a non-zero value that
// underflows to zero.
func longDoubleInRange(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	exp := f.MantExp(nil)
	return exp <= longDoubleMaxExp && exp >= longDoubleMinExp
}

// validDecimalFloat reports whether p (after the sign) is digits, an
// optional fraction and an optional exponent, with at least one digit in
// the mantissa: the decimal syntax strtold consumes completely.
func validDecimalFloat(p []byte) bool { return validFloatSyntax(p, isDigit, 'e') }

// validHexFloat is validDecimalFloat for the part after "0x": hex digits,
// an optional fraction, an optional binary exponent "p[+-]digits".
func validHexFloat(p []byte) bool { return validFloatSyntax(p, isHexDigit, 'p') }

// validFloatSyntax checks mantissa digits (as told by digit), an optional
// fraction, and an optional exponent introduced by exp (either case) with
// decimal digits.
func validFloatSyntax(p []byte, digit func(byte) bool, exp byte) bool {
	i, digits := 0, 0
	for i < len(p) && digit(p[i]) {
		i++
		digits++
	}
	if i < len(p) && p[i] == '.' {
		i++
		for i < len(p) && digit(p[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(p) && (p[i] == exp || p[i] == exp-'a'+'A') {
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		start := i
		for i < len(p) && isDigit(p[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(p)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// AddLongDouble returns a+b rounded to a long double, and false when the sum
// is infinite or NaN (Redis: "increment would produce NaN or Infinity").
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		// inf + x is inf, inf - inf is NaN: both refused.
		return nil, false
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven)
	sum.Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	if sum.Sign() != 0 && sum.MantExp(nil) < longDoubleMinExp {
		sum.SetInt64(0)
	}
	return sum, true
}

// FormatLongDouble formats f as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf", then trailing zeros and a trailing '.' removed, "-0" as "0".
func FormatLongDouble(f *big.Float) []byte {
	s := []byte(f.Text('f', 17))
	if bytes.IndexByte(s, '.') >= 0 {
		s = bytes.TrimRight(s, "0")
		s = bytes.TrimSuffix(s, []byte("."))
	}
	if string(s) == "-0" {
		s = s[1:]
	}
	return s
}

// LongDoubleFromInt returns n as a long double.
func LongDoubleFromInt(n int64) *big.Float {
	return new(big.Float).SetPrec(longDoublePrec).SetInt64(n)
}

// FormatInt formats n in decimal.
func FormatInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
