package commands

import (
	"math"
	"math/big"

	"github.com/meshcache/meshcache/server/resp"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP) run as their non-blocking forms. A handler that finds
// nothing to serve calls Call.Block and writes no reply; the front end then
// parks the client on the command's keys and runs the handler again when
// one of them is written (first blocked, first served), until it replies
// or the deadline passes. Where a client cannot block (inside MULTI or a
// script) the front end answers the timeout reply at once, as Redis does.

// Block is a handler's request to wait (see the comment above).
type Block struct {
	// Deadline is when the wait ends, in unix milliseconds; 0 waits for
	// ever.
	Deadline int64
	// NullArray says what the timeout reply is in RESP2: a null array
	// (BLPOP, BZPOPMIN, BLMPOP ...) or, when false, a null bulk string
	// (BLMOVE, BRPOPLPUSH). RESP3 answers null either way.
	NullArray bool
}

// Block asks the front end to park the client until the command's keys
// change or deadline (unix ms, 0 for ever) passes; the handler must not
// have written a reply. nullArray chooses the RESP2 timeout reply (see
// Block.NullArray).
func (c *Call) Block(deadline int64, nullArray bool) {
	c.Blocked = &Block{Deadline: deadline, NullArray: nullArray}
}

// Timeout errors, as Redis's getTimeoutFromObjectOrReply words them.
const (
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNegative = "ERR timeout is negative"
	errTimeoutRange    = "ERR timeout is out of range"
)

// ParseTimeout parses a blocking command's timeout in seconds and returns
// its deadline in unix ms relative to nowMS, 0 for a zero timeout (wait for
// ever), or the Redis error text. It follows Redis 7.2's
// getTimeoutFromObjectOrReply: the number is a long double as strtold reads
// it (hexadecimal such as 0x10 included), times 1000 rounded up, so a
// negative timeout above -0.001 s rounds to 0 and waits for ever; past
// LLONG_MAX ms, or past it once added to now, it is "out of range".
func ParseTimeout(arg []byte, nowMS int64) (deadline int64, errText string) {
	f, ok := resp.ParseLongDouble(arg)
	if !ok {
		return 0, errTimeoutNotFloat
	}
	ms := new(big.Float).SetPrec(f.Prec()).Mul(f, big.NewFloat(1000))
	if ms.Cmp(maxInt64Float) > 0 {
		return 0, errTimeoutRange
	}
	if ms.IsInf() { // -inf: ceill of it is no long long; Redis's cast gives LLONG_MIN
		return 0, errTimeoutNegative
	}
	i, acc := ms.Int(nil) // truncated toward zero
	if acc == big.Below { // ms was above i: ceil
		i.Add(i, big.NewInt(1))
	}
	if !i.IsInt64() {
		return 0, errTimeoutNegative // below LLONG_MIN: Redis's cast gives LLONG_MIN
	}
	tval := i.Int64()
	if tval < 0 {
		return 0, errTimeoutNegative
	}
	if tval == 0 {
		return 0, ""
	}
	if tval > math.MaxInt64-nowMS {
		return 0, errTimeoutRange
	}
	return nowMS + tval, ""
}

// maxInt64Float is LLONG_MAX as a long double (exact: 63 bits fit its
// 64-bit mantissa).
var maxInt64Float = new(big.Float).SetPrec(64).SetInt64(math.MaxInt64)
