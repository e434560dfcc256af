package commands

import (
	"bytes"
	"math"
	"strconv"

	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

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
		case forSet && resp.EqualFold(opt, "nx") && f&(strCondition&^strNX) == 0:
			o.flags |= strNX
		case forSet && resp.EqualFold(opt, "xx") && f&(strCondition&^strXX) == 0:
			o.flags |= strXX
		case forSet && resp.EqualFold(opt, "ifeq") && f&(strCondition&^strIFEQ) == 0 && hasNext:
			o.flags |= strIFEQ
			o.match = args[j+1]
			j++
		case forSet && resp.EqualFold(opt, "ifne") && f&(strCondition&^strIFNE) == 0 && hasNext:
			o.flags |= strIFNE
			o.match = args[j+1]
			j++
		case forSet && (resp.EqualFold(opt, "ifdeq") || resp.EqualFold(opt, "ifdne")):
			return o, "ERR IFDEQ and IFDNE are not supported: use IFEQ or IFNE"
		case forSet && resp.EqualFold(opt, "get"):
			o.flags |= strGet
		case forSet && resp.EqualFold(opt, "keepttl") && f&(strPersist|strExpiry) == 0:
			o.flags |= strKeepTTL
		case !forSet && resp.EqualFold(opt, "persist") && f&(strKeepTTL|strExpiry) == 0:
			o.flags |= strPersist
		case resp.EqualFold(opt, "ex") && f&(strKeepTTL|strPersist|strExpiry&^strEX) == 0 && hasNext:
			o.flags |= strEX
			o.expire = args[j+1]
			j++
		case resp.EqualFold(opt, "px") && f&(strKeepTTL|strPersist|strExpiry&^strPX) == 0 && hasNext:
			o.flags |= strPX
			o.expire = args[j+1]
			j++
		case resp.EqualFold(opt, "exat") && f&(strKeepTTL|strPersist|strExpiry&^strEXAT) == 0 && hasNext:
			o.flags |= strEXAT
			o.expire = args[j+1]
			j++
		case resp.EqualFold(opt, "pxat") && f&(strKeepTTL|strPersist|strExpiry&^strPXAT) == 0 && hasNext:
			o.flags |= strPXAT
			o.expire = args[j+1]
			j++
		default:
			return o, resp.ErrSyntax
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
	ms, ok := resp.ParseInt64(arg)
	if !ok {
		return 0, resp.ErrNotInteger
	}
	seconds := flags&(strEX|strEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, resp.ErrInvalidExpire(cmd)
	}
	if seconds {
		ms *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		if ms > math.MaxInt64-nowMS {
			return 0, resp.ErrInvalidExpire(cmd)
		}
		ms += nowMS
	}
	if ms <= 0 {
		return 0, resp.ErrInvalidExpire(cmd)
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
		case resp.EqualFold(a, "nx"):
			f |= expireNX
		case resp.EqualFold(a, "xx"):
			f |= expireXX
		case resp.EqualFold(a, "gt"):
			f |= expireGT
		case resp.EqualFold(a, "lt"):
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

// ScanOptions are the options of SCAN, HSCAN, SSCAN and ZSCAN.
type ScanOptions struct {
	Count    int64  // a hint: how much work one call does
	Pattern  []byte // MATCH; nil matches everything
	Type     []byte // SCAN's TYPE filter; nil for none
	NoValues bool   // HSCAN NOVALUES: fields only
}

// defaultScanCount is the COUNT Redis uses when none is given.
const defaultScanCount = 10

// parseScanOptions parses the options after a SCAN or HSCAN cursor as
// scanGenericCommand does: COUNT n (a positive integer), MATCH pattern,
// TYPE name (SCAN only), NOVALUES (HSCAN only, Redis 7.4), in any order,
// the last of a repeated option winning.
func parseScanOptions(args [][]byte, isHScan bool) (ScanOptions, string) {
	o := ScanOptions{Count: defaultScanCount}
	for i := 0; i < len(args); {
		left := len(args) - i
		switch {
		case resp.EqualFold(args[i], "count") && left >= 2:
			n, ok := resp.ParseInt64(args[i+1])
			if !ok {
				return o, resp.ErrNotInteger
			}
			if n < 1 {
				return o, resp.ErrSyntax
			}
			o.Count = n
			i += 2
		case resp.EqualFold(args[i], "match") && left >= 2:
			o.Pattern = args[i+1]
			if resp.MatchAll(o.Pattern) {
				o.Pattern = nil
			}
			i += 2
		case resp.EqualFold(args[i], "type") && !isHScan && left >= 2:
			o.Type = args[i+1]
			i += 2
		case resp.EqualFold(args[i], "novalues"):
			if !isHScan {
				return o, "ERR NOVALUES option can only be used in HSCAN"
			}
			o.NoValues = true
			i++
		default:
			return o, resp.ErrSyntax
		}
	}
	return o, ""
}

// ScanStart begins HSCAN, SSCAN and ZSCAN as Redis does: the cursor is
// checked first, then the key (a missing key is an empty, finished scan;
// another type than typ is WRONGTYPE), then the options (NOVALUES is
// HSCAN's only). ok false means the reply is written.
func ScanStart(c *Call, typ store.Type) (cursor uint64, opts ScanOptions, ok bool) {
	if cursor, ok = resp.ParseScanCursor(c.Args[2]); !ok {
		c.Reply.Error(resp.ErrInvalidCursor)
		return 0, opts, false
	}
	t, err := c.Tx.Type(c.Args[1])
	switch {
	case err != nil:
		c.ReplyStoreError(err)
		return 0, opts, false
	case t == store.TypeNone:
		ScanReply(c, 0, 0, nil)
		return 0, opts, false
	case t != typ:
		c.ReplyStoreError(store.ErrWrongType)
		return 0, opts, false
	}
	opts, msg := parseScanOptions(c.Args[3:], true)
	if msg == "" && opts.NoValues && typ != store.TypeHash {
		msg = resp.ErrSyntax
	}
	if msg != "" {
		c.Reply.Error(msg)
		return 0, opts, false
	}
	return cursor, opts, true
}

// ScanReply answers a scan: the next cursor, then the n elements written
// to body (nil when there are none).
func ScanReply(c *Call, next uint64, n int, body *resp.Reply) {
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(next, 10))
	c.Reply.Array(n)
	if body != nil {
		c.Reply.Raw(body.Bytes())
	}
}

// ParseRandCount parses the count and the optional word (WITHVALUES,
// WITHSCORES) of HRANDFIELD and ZRANDMEMBER as Redis does: an integer
// other than LLONG_MIN, and with the word, one whose doubled reply length
// cannot overflow. ok false means the error reply is written.
func ParseRandCount(c *Call, word string) (count int64, with, ok bool) {
	if count, ok = resp.ParseInt64(c.Args[2]); !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return 0, false, false
	}
	if count == math.MinInt64 {
		c.Reply.Error(errLongRange)
		return 0, false, false
	}
	if len(c.Args) > 4 || (len(c.Args) == 4 && !resp.EqualFold(c.Args[3], word)) {
		c.Reply.Error(resp.ErrSyntax)
		return 0, false, false
	}
	if with = len(c.Args) == 4; with && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.Reply.Error("ERR value is out of range")
		return 0, false, false
	}
	return count, with, true
}
