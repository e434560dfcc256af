package resp

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInt64(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"abc", 0, false},
		{"000000000000000000001", 0, false},
		{"999999999999999999", 999999999999999999, true}, // 18 digits: the short path
		{"-999999999999999999", -999999999999999999, true},
		{"1000000000000000000", 1000000000000000000, true}, // 19: the checked path
		{"99999999999999999a", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseInt64([]byte(tc.in))
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

// FuzzParseInt64: ParseInt64 accepts exactly the canonical decimal form
// of an int64 (string2ll's rule: what ll2string would print), whichever of
// its paths (up to 18 digits, or checked for overflow) parses it.
func FuzzParseInt64(f *testing.F) {
	for _, s := range []string{"0", "-1", "18", "999999999999999999", "9223372036854775807", "-9223372036854775808", "01", "-0", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseInt64([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == s
		require.Equal(t, canonical, ok, "%q", s)
		if ok {
			require.Equal(t, want, got, "%q", s)
		}
	})
}

func TestParseScanCursor(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"17", 17, true},
		{"+17", 17, true},
		{"007", 7, true},
		{"-1", math.MaxUint64, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{" 1", 0, false},
		{"1x", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseScanCursor([]byte(tc.in))
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestParseLongDouble(t *testing.T) {
	valid := map[string]string{
		"0":          "0",
		"10.50":      "10.5",
		"-3":         "-3",
		"+3":         "3",
		"1.":         "1",
		".5":         "0.5",
		"5.0e3":      "5000",
		"1E2":        "100",
		"2e-1":       "0.2",
		"0x10":       "16",
		"0X1.8p1":    "3",
		"-0":         "0",
		"1e20":       "100000000000000000000",
		"0.00000001": "0.00000001",
	}
	for in, want := range valid {
		f, ok := ParseLongDouble([]byte(in))
		require.True(t, ok, "%q", in)
		assert.Equal(t, want, string(FormatLongDouble(f)), "%q", in)
	}
	for _, in := range []string{"inf", "-INF", "Infinity", "+infinity"} {
		f, ok := ParseLongDouble([]byte(in))
		require.True(t, ok, "%q", in)
		assert.True(t, f.IsInf(), "%q", in)
	}
	invalid := []string{"", " 1", "1 ", "abc", "nan", "NaN", "-nan", ".", "e5", "1e", "1e+",
		"0x", "0xg", "1_000", "0b101", "1e5000", "-1e5000", "1e-5000", "--1", "1..2", "0x1p"}
	for _, in := range invalid {
		_, ok := ParseLongDouble([]byte(in))
		assert.False(t, ok, "%q", in)
	}
	_, ok := ParseLongDouble(make([]byte, maxLongDoubleChars))
	assert.False(t, ok, "too long")
}

// TestAddLongDouble checks results that Redis (x87 long double, printed
// with %.17Lf) gives and float64 does not.
func TestAddLongDouble(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"10.50", "0.1", "10.6"},
		{"1.1", "2.2", "3.3"},
		{"0.1", "0.2", "0.3"},
		{"5.0e3", "2.0e2", "5200"},
		{"3", "-3", "0"},
		{"-0.5", "0.25", "-0.25"},
		{"1", "1e-20", "1"},
		{"0", "1e-20", "0"},
		{"-1e-20", "0", "0"},
		{"9223372036854775807", "1", "9223372036854775808"},
		{"1.5", "0x1p-1", "2"},
	}
	for _, tc := range cases {
		a, ok := ParseLongDouble([]byte(tc.a))
		require.True(t, ok)
		b, ok := ParseLongDouble([]byte(tc.b))
		require.True(t, ok)
		sum, ok := AddLongDouble(a, b)
		require.True(t, ok, "%s+%s", tc.a, tc.b)
		assert.Equal(t, tc.want, string(FormatLongDouble(sum)), "%s+%s", tc.a, tc.b)
	}
	inf, _ := ParseLongDouble([]byte("inf"))
	one := LongDoubleFromInt(1)
	_, ok := AddLongDouble(one, inf)
	assert.False(t, ok, "1+inf")
	big1, _ := ParseLongDouble([]byte("1e4932"))
	_, ok = AddLongDouble(big1, big1)
	assert.False(t, ok, "overflow to infinity")
}
