package ring

import (
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

func FuzzKeySlot(f *testing.F) {
	for _, s := range []string{"foo", "{a}b", "{}x", "a{b", "}{", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		s := KeySlot([]byte(key))
		if s >= SlotCount || s != KeySlotString(key) {
			t.Fatalf("KeySlot(%q)=%d KeySlotString=%d", key, s, KeySlotString(key))
		}
	})
}
