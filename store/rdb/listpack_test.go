package rdb

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCanonicalInt: exactly the texts strconv prints back unchanged.
func TestCanonicalInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "007", "+1", " 1", "1 ", "", "-", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "12a", "99999999999999999999"} {
		v, ok := CanonicalInt([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		wantOK := err == nil && strconv.FormatInt(want, 10) == s
		assert.Equal(t, wantOK, ok, s)
		if ok {
			assert.Equal(t, want, v, s)
		}
	}
}
