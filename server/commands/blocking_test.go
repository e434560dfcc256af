package commands

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseTimeout holds ParseTimeout to Redis 7.2's
// getTimeoutFromObjectOrReply, including the cases redis-server 7.0 (the
// differential test's reference) gets wrong by overflowing a long long:
// the Tcl suite's "BLPOP: timeout value out of range" among them.
func TestParseTimeout(t *testing.T) {
	const now = 1_700_000_000_000
	for _, tc := range []struct {
		arg      string
		deadline int64
		err      string
	}{
		{"0", 0, ""},
		{"1", now + 1000, ""},
		{"0.0001", now + 1, ""}, // rounded up to the millisecond
		{"1.5", now + 1500, ""},
		{"0x10", now + 16000, ""}, // strtold reads hexadecimal
		{"0x1p3", now + 8000, ""},
		{".5", now + 500, ""},
		{"+2", now + 2000, ""},
		{"-0.0001", 0, ""}, // ceil(-0.1 ms) is 0: waits for ever, as Redis
		{"-0", 0, ""},
		{"-0.001", 0, ""}, // -0.001 as a long double times 1000 is above -1: ceil 0, as redis-server
		{"-0.0011", 0, errTimeoutNegative},
		{"-1", 0, errTimeoutNegative},
		{"-inf", 0, errTimeoutNegative},
		{"-1e400", 0, errTimeoutNegative},
		{"0x7FFFFFFFFFFFFF", 0, errTimeoutRange}, // the Tcl suite's case
		{"9223372036854775.808", 0, errTimeoutRange},
		{"9223372036854775", 0, errTimeoutRange}, // fits alone, not added to now
		{"1e400", 0, errTimeoutRange},
		{"inf", 0, errTimeoutRange},
		{"1e5000", 0, errTimeoutNotFloat}, // beyond a long double
		{"nan", 0, errTimeoutNotFloat},
		{"", 0, errTimeoutNotFloat},
		{" 1", 0, errTimeoutNotFloat},
		{"1 ", 0, errTimeoutNotFloat},
		{"1_0", 0, errTimeoutNotFloat},
		{"x", 0, errTimeoutNotFloat},
	} {
		d, msg := ParseTimeout([]byte(tc.arg), now)
		assert.Equal(t, tc.err, msg, "%q", tc.arg)
		assert.Equal(t, tc.deadline, d, "%q", tc.arg)
	}
}
