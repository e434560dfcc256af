package rdb

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRC64 holds the checksum to Redis's test vector (crc64.c crc64Test).
func TestCRC64(t *testing.T) {
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), CRC64(0, []byte("123456789")))
	li := []byte("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed " +
		"do eiusmod tempor incididunt ut labore et dolore magna " +
		"aliqua. Ut enim ad minim veniam, quis nostrud exercitation " +
		"ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis " +
		"aute irure dolor in reprehenderit in voluptate velit esse " +
		"cillum dolore eu fugiat nulla pariatur. Excepteur sint " +
		"occaecat cupidatat non proident, sunt in culpa qui officia " +
		"deserunt mollit anim id est laborum.\x00") // sizeof(li): with the NUL
	assert.Equal(t, uint64(0xc7794709e69683b3), CRC64(0, li))
}

func TestLenAndString(t *testing.T) {
	for _, n := range []uint64{0, 1, 63, 64, 16383, 16384, 1 << 31, 1<<32 - 1, 1 << 32} {
		b := AppendLen(nil, n)
		got, enc, rest, err := readLen(b)
		require.NoError(t, err)
		assert.False(t, enc)
		assert.Equal(t, n, got)
		assert.Empty(t, rest)
	}
	for _, s := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("ab"), 10000)} {
		got, rest, err := ReadString(AppendString(nil, s))
		require.NoError(t, err)
		assert.Equal(t, string(s), string(got))
		assert.Empty(t, rest)
	}
	// Encoded integers and an LZF string as redis-server writes them.
	for enc, want := range map[string]string{"\xc0\x7b": "123", "\xc1\x39\x30": "12345", "\xc2\x87\xd6\x12\x00": "1234567"} {
		got, _, err := ReadString([]byte(enc))
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
	// "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (30 a): a literal, then a back
	// reference of length 29 at distance 1.
	lzf := []byte{0xc3, 5, 30, 0x00, 'a', 0xe0, 20, 0x00}
	got, rest, err := ReadString(lzf)
	require.NoError(t, err)
	assert.Equal(t, string(bytes.Repeat([]byte("a"), 30)), string(got))
	assert.Empty(t, rest)
}

func TestPayload(t *testing.T) {
	p := Payload([]byte("data"))
	data, err := Unframe(p)
	require.NoError(t, err)
	assert.Equal(t, "data", string(data))
	p[0] ^= 1
	_, err = Unframe(p)
	assert.ErrorIs(t, err, ErrPayload)
	_, err = Unframe([]byte("short"))
	assert.ErrorIs(t, err, ErrPayload)
}

// FuzzReadString: any bytes are read or refused, never a panic.
func FuzzReadString(f *testing.F) {
	for _, s := range []string{"\x03abc", "\xc0\x7b", "\xc3\x04\x1e\x00a\xe0\x14\x00", "\x80\xff\xff\xff\xff", "\xc3\x00\x05"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = ReadString(b)
		_, _ = Unframe(b)
	})
}
