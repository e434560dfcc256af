package rdb

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLZFRedisBytes holds the compressor to what redis-server 7.0.15 wrote
// for SET k <500 a> and for the listpack of ZADD k 1.5 a -0.1 b ... (the
// differential test compares many more).
func TestLZFRedisBytes(t *testing.T) {
	got := AppendRaw(nil, []byte(strings.Repeat("a", 500)))
	assert.Equal(t, "\xc3\x0cA\xf4\x01aa\xe0\xff\x00\xe0\xdf\x00\x01aa", string(got))
	short := AppendRaw(nil, []byte("abcdefghijklmnopqrstuvwxyz")) // incompressible: plain
	assert.Equal(t, AppendString(nil, []byte("abcdefghijklmnopqrstuvwxyz")), short)
}

// FuzzLZF: whatever the compressor writes decompresses to its input.
func FuzzLZF(f *testing.F) {
	for _, s := range []string{strings.Repeat("a", 500), "abcabcabcabcabcabcabcabcabc", strings.Repeat("0123456789", 40) + "xyz"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		enc := AppendRaw(nil, s)
		got, rest, err := ReadString(enc)
		require.NoError(t, err)
		require.Empty(t, rest)
		if !bytes.Equal(s, got) {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}
