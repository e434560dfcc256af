package cmdtable_test

import (
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// rangeBeyondSpecs names the commands, with their argument count, where
// the legacy range finds a key that Redis's specs do not: PFMERGE destkey
// with no source, whose second spec (sources from index 2) does not fit, so
// the specs find no key (COMMAND GETKEYS answers an error, as Redis's); the
// range routes it by destkey, which it writes.
var rangeBeyondSpecs = map[string]int{"pfmerge": 2}

// TestRangeKeysMatchSpecs: for every command of the server's table whose
// keys the legacy range describes (rangeKeys, the hot path's shortcut),
// Keys finds exactly what the key specs find, for every argument count from
// its arity to six more; those with movable keys are found by their specs.
// The table is the one the server builds, every group of it (scripts,
// Pub/Sub's shard channels, OBJECT and MEMORY included), not a list kept
// here.
func TestRangeKeysMatchSpecs(t *testing.T) {
	srv := server.New(config.Default(), store.New(store.Config{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var tb cmdtable.Table
	tb.Build([]func() []*commands.Command{srv.Commands})
	checked := 0
	tb.Each(func(e *cmdtable.Entry) {
		if !cmdtable.RangeKeys(e) {
			return
		}
		checked++
		n := e.Arity
		if n < 0 {
			n = -n
		}
		for argc := n; argc <= n+6; argc++ {
			if !e.ArityOK(argc) {
				continue
			}
			args := make([][]byte, argc)
			for i := range args {
				args[i] = []byte("k" + strconv.Itoa(i))
			}
			want, ok := e.KeyPositions(args, nil)
			if !ok {
				want = nil
			}
			got := e.Keys(args, nil)
			if !ok && rangeBeyondSpecs[e.Name] == argc {
				want = got // the legacy range routes it; see rangeBeyondSpecs
			}
			assert.Equal(t, len(want), len(got), "%s with %d arguments", e.Name, argc)
			if len(want) > 0 {
				assert.Equal(t, want, got, "%s with %d arguments", e.Name, argc)
			}
		}
	})
	assert.Greater(t, checked, 40, "the table's keyed commands take the shortcut")
	for _, name := range []string{"zunionstore", "zunion", "sort", "georadius", "lmpop", "sintercard", "eval", "fcall"} {
		require.NotNil(t, tb.LookupName(name), name)
		assert.False(t, cmdtable.RangeKeys(tb.LookupName(name)), "%s has movable keys: found by its specs", name)
	}
}
