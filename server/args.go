package server

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
	errSyntax        = "ERR syntax error"
	errNotInteger    = "ERR value is not an integer or out of range"
	errNotFloat      = "ERR value is not a valid float"
	errOverflow      = "ERR increment or decrement would overflow"
	errNaNOrInf      = "ERR increment would produce NaN or Infinity"
	errNoSuchKey     = "ERR no such key"
	errStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errInvalidCursor = "ERR invalid cursor"
	errSameObject    = "ERR source and destination objects are the same"
	errOffsetRange   = "ERR offset is out of range"
)

// maxBulkLen is proto-max-bulk-len's default (512 MB): the largest string
// APPEND and SETRANGE may build when the server has no configured limit.
const maxBulkLen = 512 << 20

// errWrongArgs is Redis's arity error, for the arity checks a handler makes
// itself (MSET, HSET: an even number of arguments).
func errWrongArgs(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// errInvalidExpire is addReplyErrorExpireTime's text for command name.
func errInvalidExpire(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// equalFold reports whether b equals the lower-case ASCII word s, ignoring
// ASCII case, as strcasecmp does for option names.
func equalFold(b []byte, s string) bool {
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

// parseInt64 parses b as Redis's string2ll does: an optional '-', no '+', no
// spaces, no leading zeros, at most 20 characters, no overflow.
func parseInt64(b []byte) (int64, bool) {
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

// parseScanCursor parses a SCAN-family cursor as Redis's
// parseScanCursorOrReply does with strtoul: an optional sign (a negative
// cursor wraps around), decimal digits, nothing else; the empty string is 0.
func parseScanCursor(b []byte) (uint64, bool) {
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

// parseLongDouble parses b as Redis's string2ld does with strtold: no
// leading space, the whole input consumed, decimal or hexadecimal notation,
// "inf"/"infinity" in any case, NaN refused, and values outside the long
// double range refused (strtold's ERANGE).
func parseLongDouble(b []byte) (*big.Float, bool) {
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
	if equalFold(p, "inf") || equalFold(p, "infinity") {
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

// addLongDouble returns a+b rounded to a long double, and false when the sum
// is infinite or NaN (Redis: "increment would produce NaN or Infinity").
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
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

// formatLongDouble formats f as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf", then trailing zeros and a trailing '.' removed, "-0" as "0".
func formatLongDouble(f *big.Float) []byte {
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

// longDoubleFromInt returns n as a long double.
func longDoubleFromInt(n int64) *big.Float {
	return new(big.Float).SetPrec(longDoublePrec).SetInt64(n)
}

// formatInt formats n in decimal.
func formatInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// Options of SET and GETEX, as parseExtendedStringArgumentsOrReply names
// them.
type strFlags uint16

const (
	strNX strFlags = 1 << iota
	strXX
	strGet
	strKeepTTL
	strPersist
	strEX
	strPX
	strEXAT
	strPXAT
	strIFEQ // Redis 8.4: set only if the current value equals
	strIFNE // Redis 8.4: set only if the current value differs (or is missing)

	strExpiry    = strEX | strPX | strEXAT | strPXAT
	strCondition = strNX | strXX | strIFEQ | strIFNE
)

// strOptions are the parsed options of SET or GETEX.
type strOptions struct {
	flags  strFlags
	expire []byte // the argument of EX/PX/EXAT/PXAT
	match  []byte // the argument of IFEQ/IFNE
}

// parseStrOptions parses SET's options (forSet) or GETEX's, as Redis's
// parseExtendedStringArgumentsOrReply does: any order, any case; a
// repeated option is accepted and the last one wins, conflicting ones
// (NX with XX, two expiry kinds, KEEPTTL with an expiry, PERSIST with an
// expiry) are a syntax error, as are options of the other command. On
// failure it returns the error reply.
func parseStrOptions(args [][]byte, forSet bool) (strOptions, string) {
	var o strOptions
	for j := 0; j < len(args); j++ {
		opt := args[j]
		hasNext := j+1 < len(args)
		f := o.flags
		switch {
		case forSet && equalFold(opt, "nx") && f&(strCondition&^strNX) == 0:
			o.flags |= strNX
		case forSet && equalFold(opt, "xx") && f&(strCondition&^strXX) == 0:
			o.flags |= strXX
		case forSet && equalFold(opt, "ifeq") && f&(strCondition&^strIFEQ) == 0 && hasNext:
			o.flags |= strIFEQ
			o.match = args[j+1]
			j++
		case forSet && equalFold(opt, "ifne") && f&(strCondition&^strIFNE) == 0 && hasNext:
			o.flags |= strIFNE
			o.match = args[j+1]
			j++
		case forSet && (equalFold(opt, "ifdeq") || equalFold(opt, "ifdne")):
			return o, "ERR IFDEQ and IFDNE are not supported: use IFEQ or IFNE"
		case forSet && equalFold(opt, "get"):
			o.flags |= strGet
		case forSet && equalFold(opt, "keepttl") && f&(strPersist|strExpiry) == 0:
			o.flags |= strKeepTTL
		case !forSet && equalFold(opt, "persist") && f&(strKeepTTL|strExpiry) == 0:
			o.flags |= strPersist
		case equalFold(opt, "ex") && f&(strKeepTTL|strPersist|strExpiry&^strEX) == 0 && hasNext:
			o.flags |= strEX
			o.expire = args[j+1]
			j++
		case equalFold(opt, "px") && f&(strKeepTTL|strPersist|strExpiry&^strPX) == 0 && hasNext:
			o.flags |= strPX
			o.expire = args[j+1]
			j++
		case equalFold(opt, "exat") && f&(strKeepTTL|strPersist|strExpiry&^strEXAT) == 0 && hasNext:
			o.flags |= strEXAT
			o.expire = args[j+1]
			j++
		case equalFold(opt, "pxat") && f&(strKeepTTL|strPersist|strExpiry&^strPXAT) == 0 && hasNext:
			o.flags |= strPXAT
			o.expire = args[j+1]
			j++
		default:
			return o, errSyntax
		}
	}
	return o, ""
}

// expireAtMillis converts the expiry argument of SET, SETEX, PSETEX or GETEX
// to unix milliseconds, as getExpireMillisecondsOrReply does: the number
// must be a positive integer, seconds must not overflow when turned into
// milliseconds, and a relative time (EX, PX) is added to nowMS without
// overflowing. cmd names the command in the error.
func expireAtMillis(arg []byte, flags strFlags, nowMS int64, cmd string) (int64, string) {
	ms, ok := parseInt64(arg)
	if !ok {
		return 0, errNotInteger
	}
	seconds := flags&(strEX|strEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, errInvalidExpire(cmd)
	}
	if seconds {
		ms *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		if ms > math.MaxInt64-nowMS {
			return 0, errInvalidExpire(cmd)
		}
		ms += nowMS
	}
	if ms <= 0 {
		return 0, errInvalidExpire(cmd)
	}
	return ms, ""
}

// Options of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (Redis 7).
type expireFlags uint8

const (
	expireNX expireFlags = 1 << iota // only when the key has no expiry
	expireXX                         // only when the key has an expiry
	expireGT                         // only when the new expiry is later
	expireLT                         // only when the new expiry is sooner
)

// parseExpireFlags is parseExtendedExpireArgumentsOrReply: NX, XX, GT, LT in
// any case and order; NX with any of the others, or GT with LT, is refused
// with Redis's text.
func parseExpireFlags(args [][]byte) (expireFlags, string) {
	var f expireFlags
	for _, a := range args {
		switch {
		case equalFold(a, "nx"):
			f |= expireNX
		case equalFold(a, "xx"):
			f |= expireXX
		case equalFold(a, "gt"):
			f |= expireGT
		case equalFold(a, "lt"):
			f |= expireLT
		default:
			return 0, "ERR Unsupported option " + cString(a)
		}
	}
	if f&expireNX != 0 && f&(expireXX|expireGT|expireLT) != 0 {
		return 0, "ERR NX and XX, GT or LT options at the same time are not compatible"
	}
	if f&expireGT != 0 && f&expireLT != 0 {
		return 0, "ERR GT and LT options at the same time are not compatible"
	}
	return f, ""
}

// cString returns b up to its first NUL byte, as C's %s prints it.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// scanOptions are the options of SCAN and HSCAN.
type scanOptions struct {
	count    int64  // a hint: how much work one call does
	pattern  []byte // MATCH; nil matches everything
	typ      []byte // SCAN's TYPE filter; nil for none
	noValues bool   // HSCAN NOVALUES: fields only
}

// defaultScanCount is the COUNT Redis uses when none is given.
const defaultScanCount = 10

// parseScanOptions parses the options after a SCAN or HSCAN cursor as
// scanGenericCommand does: COUNT n (a positive integer), MATCH pattern,
// TYPE name (SCAN only), NOVALUES (HSCAN only, Redis 7.4), in any order,
// the last of a repeated option winning.
func parseScanOptions(args [][]byte, isHScan bool) (scanOptions, string) {
	o := scanOptions{count: defaultScanCount}
	for i := 0; i < len(args); {
		left := len(args) - i
		switch {
		case equalFold(args[i], "count") && left >= 2:
			n, ok := parseInt64(args[i+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 1 {
				return o, errSyntax
			}
			o.count = n
			i += 2
		case equalFold(args[i], "match") && left >= 2:
			o.pattern = args[i+1]
			if matchAll(o.pattern) {
				o.pattern = nil
			}
			i += 2
		case equalFold(args[i], "type") && !isHScan && left >= 2:
			o.typ = args[i+1]
			i += 2
		case equalFold(args[i], "novalues"):
			if !isHScan {
				return o, "ERR NOVALUES option can only be used in HSCAN"
			}
			o.noValues = true
			i++
		default:
			return o, errSyntax
		}
	}
	return o, ""
}
