package pubsub

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

func TestRegistrySubscribeAndReceivers(t *testing.T) {
	r := New[int]()
	assert.False(t, r.Active())
	assert.True(t, r.Subscribe(Channel, "news", 1))
	assert.False(t, r.Subscribe(Channel, "news", 1), "twice")
	assert.True(t, r.Subscribe(Pattern, "n*", 1))
	assert.True(t, r.Subscribe(Pattern, "n[a-f]ws", 2))
	assert.True(t, r.Subscribe(Shard, "news", 3))
	assert.True(t, r.Active())
	assert.True(t, r.ActiveShard())

	got := r.Receivers([]byte("news"), nil)
	sort.Slice(got, func(i, j int) bool {
		return got[i].Sub < got[j].Sub || got[i].Sub == got[j].Sub && got[i].Pattern < got[j].Pattern
	})
	assert.Equal(t, []Receiver[int]{{Sub: 1}, {Sub: 1, Pattern: "n*"}, {Sub: 2, Pattern: "n[a-f]ws"}}, got)
	assert.Equal(t, []Receiver[int]{{Sub: 3}}, r.ShardReceivers([]byte("news"), nil))
	assert.Empty(t, r.Receivers([]byte("other"), nil))

	assert.Equal(t, []string{"news"}, r.Names(Channel, nil))
	assert.Equal(t, []string{"n*", "n[a-f]ws"}, r.Names(Pattern, nil))
	assert.Empty(t, r.Names(Channel, []byte("x*")))
	assert.Equal(t, 1, r.Count(Channel, []byte("news")))
	assert.Equal(t, 2, r.Distinct(Pattern))

	assert.True(t, r.Unsubscribe(Channel, "news", 1))
	assert.False(t, r.Unsubscribe(Channel, "news", 1))
	assert.True(t, r.Unsubscribe(Pattern, "n*", 1))
	assert.True(t, r.Unsubscribe(Pattern, "n[a-f]ws", 2))
	assert.False(t, r.Active(), "no channel or pattern subscriber left")
	assert.Empty(t, r.Names(Channel, nil), "a channel without subscribers is forgotten")
	assert.True(t, r.ActiveShard())
}

// FuzzRegistry drives the registry with a byte program and checks it
// against a plain model: every subscription is a (kind, name, subscriber)
// triple; receivers are the direct ones plus each matching pattern.
func FuzzRegistry(f *testing.F) {
	f.Add([]byte("\x00a\x01\x01*\x02\x00b\x03"), []byte("a"))
	f.Add([]byte("\x01[a-c]\x01\x01\\*\x02\x04\x00"), []byte("*"))
	f.Fuzz(func(t *testing.T, prog []byte, channel []byte) {
		r := New[int]()
		model := map[[3]string]bool{}
		for len(prog) >= 3 {
			op, n := prog[0], int(prog[1])%8
			prog = prog[2:]
			if n > len(prog) {
				n = len(prog)
			}
			name := string(prog[:n])
			prog = prog[n:]
			sub := int(op>>3) % 4
			k := Kind(op % 3)
			key := [3]string{string(rune('0' + k)), name, string(rune('0' + sub))}
			if op&4 == 0 {
				require.Equal(t, !model[key], r.Subscribe(k, name, sub))
				model[key] = true
			} else {
				require.Equal(t, model[key], r.Unsubscribe(k, name, sub))
				delete(model, key)
			}
		}
		var want, got []string
		active := false
		for key := range model {
			switch key[0] {
			case "0":
				active = true
				if key[1] == string(channel) {
					want = append(want, key[2]+"|")
				}
			case "1":
				active = true
				if resp.GlobMatch([]byte(key[1]), channel, false) {
					want = append(want, key[2]+"|"+key[1])
				}
			}
		}
		for _, rc := range r.Receivers(channel, nil) {
			got = append(got, string(rune('0'+rc.Sub))+"|"+rc.Pattern)
		}
		sort.Strings(want)
		sort.Strings(got)
		require.Equal(t, want, got)
		require.Equal(t, active, r.Active())
	})
}
