package commands

import (
	"math"
	"strconv"
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

// ParseTimeout parses a blocking command's timeout in seconds (a float,
// as Redis 6+ accepts) and returns its deadline in unix ms relative to
// nowMS, 0 for a zero timeout (wait for ever), or the Redis error text.
// The timeout is rounded up to the millisecond, as Redis does.
func ParseTimeout(arg []byte, nowMS int64) (deadline int64, errText string) {
	s := string(arg)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || len(s) == 0 || s[0] == ' ' || s[len(s)-1] == ' ' {
		return 0, errTimeoutNotFloat
	}
	ms := f * 1000
	if ms > math.MaxInt64 {
		return 0, errTimeoutRange
	}
	tval := int64(math.Ceil(ms))
	if ms < 0 || tval < 0 {
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
