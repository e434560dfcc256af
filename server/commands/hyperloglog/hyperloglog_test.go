package hyperloglog

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
)

// families are the groups the tests run: the PF commands, with the string and
// key commands the tests also use.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, Commands}

// TestHLLEffectsReplicate: a PFADD to a dense HyperLogLog ships the bytes
// it changed, not 12 KB; replaying every effect from the start on a second
// store, once and then again, gives the same bytes (GET) and counts.
func TestHLLEffectsReplicate(t *testing.T) {
	rp := commandstest.NewReplPair(families...)
	primary, replica, run := rp.Primary, rp.Replica, rp.Run
	for i := range 3000 {
		run(primary, "PFADD", "{h}d", "e"+strconv.Itoa(i))
	}
	run(primary, "PFADD", "{h}s", "a", "b", "c")
	run(primary, "PFMERGE", "{h}m", "{h}s", "{h}d")
	require.Equal(t, "$12304\r\n", run(primary, "GET", "{h}d")[:8], "dense")

	mark := len(rp.Effects)
	added := 0
	for i := 3000; added == 0; i++ {
		if run(primary, "PFADD", "{h}d", "e"+strconv.Itoa(i)) == ":1\r\n" {
			added++
		}
	}
	size := 0
	for _, e := range rp.Effects[mark:] {
		assert.Equal(t, store.EffectSetRange, e.Kind)
		size += len(e.Value)
	}
	assert.LessOrEqual(t, size, 12304/2, "a dense PFADD ships its changed bytes, not the value")
	run(primary, "PFCOUNT", "{h}d")
	run(primary, "PFCOUNT", "{h}m")

	for round := range 2 {
		require.NoError(t, replica.Apply(rp.Effects))
		for _, k := range []string{"{h}d", "{h}s", "{h}m"} {
			want := run(primary, "GET", k)
			require.Greater(t, len(want), 20)
			assert.Equal(t, want, run(replica, "GET", k), "round %d %s", round, k)
		}
	}
}
