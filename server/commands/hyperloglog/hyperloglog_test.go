package hyperloglog

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/commands/hll"
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

// TestPFAddDenseSameRegisterTwice: one PFADD whose elements raise the same
// register of a dense HyperLogLog, the higher count first, leaves the
// higher count and counts one change in rdb_changes_since_last_save, as
// Redis's sequential hllAdd (the second element no longer raises it; it
// counted two before).
func TestPFAddDenseSameRegisterTwice(t *testing.T) {
	rp := commandstest.NewReplPair(families...)
	primary, run := rp.Primary, rp.Run
	for i := range 3000 {
		run(primary, "PFADD", "{h}d", "e"+strconv.Itoa(i))
	}
	regs := func() []byte {
		v := run(primary, "GET", "{h}d")
		require.Equal(t, "$12304\r\n", v[:8], "dense")
		return []byte(v[8+hll.HdrSize : 8+hll.DenseSize])
	}
	before := regs()
	// Two new elements of one register, both above it, the first higher.
	byReg := map[int]string{}
	var hi, lo string
	var reg int
	var want uint8
	for i := 0; hi == ""; i++ {
		e := "x" + strconv.Itoa(i)
		r, n := hll.PatLen([]byte(e))
		if n <= hll.DenseGet(before, r) {
			continue
		}
		if other, ok := byReg[r]; ok {
			_, m := hll.PatLen([]byte(other))
			if m != n {
				hi, lo, reg, want = other, e, r, max(m, n)
				if n > m {
					hi, lo = e, other
				}
			}
			continue
		}
		byReg[r] = e
	}
	changes := primary.Changes()
	require.Equal(t, ":1\r\n", run(primary, "PFADD", "{h}d", hi, lo))
	assert.Equal(t, uint64(1), primary.Changes()-changes, "one element raised a register")
	assert.Equal(t, want, hll.DenseGet(regs(), reg), "the register keeps the higher count")
}
