package rdb

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCanonicalIntCases(t *testing.T) {
	tests := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false}, {"00", 0, false}, {"1.0", 0, false},
	}
	for _, tc := range tests {
		v, ok := CanonicalInt([]byte(tc.in))
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		if ok {
			assert.Equal(t, tc.v, v, "%q", tc.in)
		}
	}
}

// FuzzCanonicalInt checks CanonicalInt against strconv: it accepts exactly
// the canonical decimal texts of int64 values.
func FuzzCanonicalInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "01", "9223372036854775808", "-0", "+5", "abc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := CanonicalInt(b)
		want, err := strconv.ParseInt(string(b), 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == string(b)
		if ok != canonical || (ok && v != want) {
			t.Fatalf("CanonicalInt(%q) = %d, %v; strconv says %d, canonical %v", b, v, ok, want, canonical)
		}
	})
}
