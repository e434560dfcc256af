package config

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store"
)

// TestEncodingSettings: the thresholds' names, aliases, defaults (Redis
// 7.2's), ranges and error texts (redis-server's), and that they reach the
// store's Config.
func TestEncodingSettings(t *testing.T) {
	cfg := Default()
	require.Equal(t, store.DefaultEncodings(), cfg.Encodings)
	for _, tc := range []struct{ name, alias, def string }{
		{"hash-max-listpack-entries", "hash-max-ziplist-entries", "512"},
		{"hash-max-listpack-value", "hash-max-ziplist-value", "64"},
		{"set-max-intset-entries", "", "512"},
		{"set-max-listpack-entries", "", "128"},
		{"set-max-listpack-value", "", "64"},
		{"zset-max-listpack-entries", "zset-max-ziplist-entries", "128"},
		{"zset-max-listpack-value", "zset-max-ziplist-value", "64"},
		{"list-max-listpack-size", "list-max-ziplist-size", "-2"},
		{"list-compress-depth", "", "0"},
	} {
		p := Lookup(tc.name)
		require.NotNil(t, p, tc.name)
		require.True(t, p.Mutable(), tc.name)
		require.Equal(t, tc.def, p.Get(&cfg), tc.name)
		if tc.alias != "" {
			require.Same(t, p, Lookup(tc.alias), tc.alias)
		}
	}
	for _, tc := range []struct{ name, value, err, get string }{
		{"hash-max-listpack-entries", "0", "", "0"},
		{"hash-max-listpack-entries", "-1", "argument must be between 0 and 9223372036854775807 inclusive", ""},
		{"hash-max-ziplist-entries", "abc", "argument couldn't be parsed into an integer", ""},
		{"hash-max-listpack-value", "1kb", "", "1024"},
		{"hash-max-listpack-value", "-1", "argument must be a memory value", ""},
		{"zset-max-listpack-value", "2gb", "", "2147483648"},
		{"set-max-intset-entries", "1.5", "argument couldn't be parsed into an integer", ""},
		{"set-max-listpack-value", "1kb", "argument couldn't be parsed into an integer", ""},
		{"list-max-listpack-size", "-5", "", "-5"},
		{"list-max-ziplist-size", "99999999999", "argument must be between -2147483648 and 2147483647 inclusive", ""},
		{"list-compress-depth", "0", "", "0"},
		{"list-compress-depth", "2", "", "2"},
		{"list-compress-depth", "-1", "argument must be between 0 and 2147483647 inclusive", ""},
		{"save", "", "", ""},
		{"save", "3600 1", `meshcache writes no RDB snapshots: save accepts only ""`, ""},
	} {
		c := Default()
		err := Lookup(tc.name).Change(&c, tc.value)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, "%s %s", tc.name, tc.value)
			require.Equal(t, Default(), c, "a refused value changes nothing")
			continue
		}
		require.NoError(t, err, "%s %s", tc.name, tc.value)
		require.Equal(t, tc.get, Lookup(tc.name).Get(&c), "%s %s", tc.name, tc.value)
	}
	require.NoError(t, Lookup("zset-max-ziplist-entries").Change(&cfg, "3"))
	require.NoError(t, Lookup("set-max-listpack-entries").Change(&cfg, "7"))
	require.NoError(t, Lookup("list-max-listpack-size").Change(&cfg, "9"))
	sc := cfg.StoreConfig()
	require.Equal(t, 3, sc.Encodings.ZSet.Entries)
	require.Equal(t, 7, sc.Encodings.Set.Entries)
	require.Equal(t, 9, sc.Encodings.List.Fill)
}
