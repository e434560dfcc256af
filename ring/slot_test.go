package ring

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKeySlotMatchesRedis(t *testing.T) {
	// Values read from CLUSTER KEYSLOT on redis-server 7.0 with cluster-enabled.
	cases := []struct {
		key  string
		slot uint16
	}{
		{"foo", 12182},
		{"bar", 5061},
		{"123456789", 12739},
		{"", 0},
		{"{user1000}.following", 3443},
		{"{user1000}.followers", 3443},
		{"user1000", 3443},
		{"foo{}{bar}", 8363},
		{"foo{{bar}}zap", 4015},
		{"foo{bar}{zap}", 5061},
		{"{", 4092},
	}
	for _, c := range cases {
		assert.Equal(t, c.slot, KeySlot([]byte(c.key)), "KeySlot(%q)", c.key)
		assert.Equal(t, c.slot, KeySlotString(c.key), "KeySlotString(%q)", c.key)
	}
}

// crc16Bitwise is CRC16-XMODEM one bit at a time, the definition the
// table-driven crc16 must agree with.
func crc16Bitwise(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// TestCRC16AgreesWithBitwise: the slice-by-8 CRC equals the bitwise one at
// every length around the 8-byte steps, for bytes and strings, and on the
// standard check input ("123456789" is 0x31C3 for XMODEM).
func TestCRC16AgreesWithBitwise(t *testing.T) {
	assert.Equal(t, uint16(0x31C3), crc16("123456789"))
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			want := crc16Bitwise(b)
			assert.Equal(t, want, crc16(string(b)), "len %d: % x", n, b)
		}
	}
}

// hashTagLoop is Redis's keyHashSlot tag rule, byte by byte as cluster.c
// writes it: the reference hashTag must agree with.
func hashTagLoop(key string) string {
	s := -1
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			s = i
			break
		}
	}
	if s < 0 {
		return key
	}
	e := -1
	for j := s + 1; j < len(key); j++ {
		if key[j] == '}' {
			e = j
			break
		}
	}
	if e < 0 || e == s+1 {
		return key
	}
	return key[s+1 : e]
}

func FuzzKeySlot(f *testing.F) {
	for _, s := range []string{"foo", "{a}b", "{}x", "a{b", "}{", "", "a fairly long key of forty bytes {tag}x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		s := KeySlot([]byte(key))
		if s >= SlotCount || s != KeySlotString(key) {
			t.Fatalf("KeySlot(%q)=%d KeySlotString=%d", key, s, KeySlotString(key))
		}
		if want := crc16Bitwise([]byte(hashTagLoop(key))) & (SlotCount - 1); s != want {
			t.Fatalf("KeySlot(%q)=%d, bitwise %d", key, s, want)
		}
	})
}

func BenchmarkKeySlot(b *testing.B) {
	for _, key := range []string{"key:000000000042", "user:{1000}:followers", "a-session-token-of-forty-bytes-0123456789"} {
		kb := []byte(key)
		b.Run(strconv.Itoa(len(key)), func(b *testing.B) {
			for b.Loop() {
				_ = KeySlot(kb)
			}
		})
	}
}
