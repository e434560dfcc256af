package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// TestChangeAll: CONFIG SET is all or nothing: the first bad pair leaves
// the configuration as it was, with Redis's error line.
func TestChangeAll(t *testing.T) {
	cfg := Default()
	next, changed, errLine := ChangeAll(cfg, args("maxmemory", "10mb", "TIMEOUT", "5"))
	require.Empty(t, errLine)
	require.EqualValues(t, 10<<20, next.MaxMemory)
	require.Equal(t, 5, next.Timeout)
	require.Len(t, changed, 2)
	require.Zero(t, cfg.MaxMemory, "the caller's copy is not changed")

	for _, tc := range []struct {
		pairs []string
		want  string
	}{
		{[]string{"maxmemory", "10mb", "timeout", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
		{[]string{"maxmemory", "1mb", "MaxMemory", "2mb"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"},
		{[]string{"nosuch\r\n", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch  '"},
		{[]string{"port", "7000"}, "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
	} {
		next, changed, errLine := ChangeAll(cfg, args(tc.pairs...))
		require.Equal(t, tc.want, errLine, "%q", tc.pairs)
		require.Nil(t, changed)
		require.Equal(t, cfg, next, "%q: nothing changes", tc.pairs)
	}
	require.Equal(t, []string{"maxmemory", "maxmemory-clients", "maxmemory-policy", "maxmemory-samples", "timeout"},
		Matching(args("maxmemory*", "timeout", "maxmemory")))
}
