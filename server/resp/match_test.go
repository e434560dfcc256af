package resp

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// globCases are pattern/string pairs with stringmatchlen's answers: the
// examples of Redis's KEYS documentation, cases from Redis's util.c and
// keyspace tests, and the corner cases of its parser (unterminated
// brackets, escapes, reversed ranges, signed-char ranges).
// TestGlobMatchAgainstRedis checks every one against a real redis-server.
var globCases = []struct {
	pattern, str string
	want         bool
}{
	// KEYS documentation.
	{"h?llo", "hello", true},
	{"h?llo", "hallo", true},
	{"h?llo", "hxllo", true},
	{"h?llo", "hllo", false},
	{"h*llo", "hllo", true},
	{"h*llo", "heeeello", true},
	{"h[ae]llo", "hello", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hbllo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hallo", true},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	// Stars.
	{"*", "", false}, // the loop never runs on an empty string (KEYS * bypasses matching)
	{"**", "", false},
	{"*", "anything", true},
	{"**", "x", true},
	{"a*", "a", true},
	{"a*", "", false},
	{"*a", "ba", true},
	{"*a", "ab", false},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "aXbYcZ", false},
	{"a**b", "ab", true},
	{"foo*", "foo_a", true},
	{"foo*", "key_x", false},
	{"*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	{"a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t*u*v*w*x*y*z*", strings.Repeat("a", 300), false},
	// Question marks.
	{"?", "", false},
	{"?", "a", true},
	{"??", "a", false},
	{"a?", "a", false},
	{"?*", "a", true},
	// Brackets.
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[^abc]", "d", true},
	{"[^abc]", "a", false},
	{"[a-c]", "b", true},
	{"[c-a]", "b", true}, // reversed range
	{"[a-c]", "B", false},
	{"[a-]", "a", true},
	{"[a-]", "-", false}, // "a-]" is a range and the bracket is unterminated
	{"[a-]", "^", true},
	{"[-a]", "-", true},
	{"[]a]", "a", false}, // "]" closes an empty set
	{"[]", "a", false},
	{"[\\]]", "]", true},
	{"[\\-]", "-", true},
	{"[\\", "\\", true},
	{"[a\\]", "a", true}, // unterminated: "\]" is an escaped ']' and the set runs to the end
	{"[abc", "a", true},  // unterminated bracket ends the pattern
	{"[abc", "ab", false},
	{"[", "a", false},
	{"[^", "a", true},
	{"x[", "xa", false},
	{"[a-c]x", "bx", true},
	{"[a-c]x", "by", false},
	{"[\x80-\xff]", "\x90", true},
	{"[a-\xff]", "b", false}, // signed chars: the range is [-1, 97]
	{"[a-\xff]", "A", true},
	{"[a-\xff]", "\xff", true},
	// Escapes.
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"\\?", "?", true},
	{"\\[a]", "[a]", true},
	{"a\\", "a\\", true}, // trailing backslash matches itself
	{"\\", "\\", true},
	{"\\a", "a", true},
	// Literal bytes.
	{"", "", true},
	{"", "a", false},
	{"abc", "abc", true},
	{"abc", "abd", false},
	{"abc", "ABC", false},
	{"a\x00b", "a\x00b", true},
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range globCases {
		assert.Equal(t, tc.want, GlobMatch([]byte(tc.pattern), []byte(tc.str), false),
			"pattern %q string %q", tc.pattern, tc.str)
	}
}

func TestGlobMatchNoCase(t *testing.T) {
	cases := []struct {
		pattern, str string
		want         bool
	}{
		{"abc", "ABC", true},
		{"[a-c]", "B", true},
		{"[B]", "b", true},
		{"h?LLO", "hello", true},
		{"a", "b", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, GlobMatch([]byte(tc.pattern), []byte(tc.str), true),
			"pattern %q string %q", tc.pattern, tc.str)
	}
}

// TestGlobMatchPathological checks that patterns with many stars stay fast
// on long non-matching strings (Redis's CVE-2022-36021 regression), without
// asserting a time: the test's deadline catches an exponential matcher.
func TestGlobMatchPathological(t *testing.T) {
	done := make(chan bool, 1)
	go func() {
		pattern := []byte(strings.Repeat("*a", 50) + "*b")
		done <- GlobMatch(pattern, []byte(strings.Repeat("a", 10_000)), false)
	}()
	select {
	case got := <-done:
		assert.False(t, got)
	case <-time.After(time.Minute):
		t.Fatal("GlobMatch did not finish: exponential backtracking")
	}
}

// FuzzGlobMatch checks that no pattern panics or hangs the matcher.
func FuzzGlobMatch(f *testing.F) {
	for _, tc := range globCases {
		f.Add([]byte(tc.pattern), []byte(tc.str), false)
	}
	f.Fuzz(func(t *testing.T, pattern, str []byte, nocase bool) {
		got := GlobMatch(pattern, str, nocase)
		if len(pattern) == 1 && pattern[0] == '*' && len(str) > 0 && !got {
			t.Fatalf("* must match %q", str)
		}
	})
}
