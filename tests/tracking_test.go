package tests

import (
	"strconv"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
)

// rueidis with client-side caching on (its default) against a 3-node
// cluster (issue 16): as a cluster client, and as a single client through
// each node (its reads of keys other nodes lead are forwarded). A value it
// caches is served from the cache until a write through another node
// changes it; once that write is acknowledged and the client has had a
// reply on the same connection, the cache no longer serves the old value.
func TestRueidisClientSideCaching(t *testing.T) {
	t.Parallel() // its own processes and ports
	tc := startCluster(t, 3, formInOneStep...)
	tc.waitConverged(t, 3, 30*time.Second)
	ctx := testContext(t, 2*time.Minute)
	writers := make([]func(key, val string) error, len(tc.nodes))
	for i, n := range tc.nodes {
		c := n.client(2)
		t.Cleanup(func() { _ = c.Close() })
		writers[i] = func(key, val string) error { return c.Set(ctx, key, val, 0).Err() }
	}
	check := func(t *testing.T, client rueidis.Client, via int) {
		for i := 0; i < 12; i++ {
			key := "csc:" + strconv.Itoa(via) + ":" + strconv.Itoa(i)
			require.NoError(t, writers[(via+1)%len(writers)](key, "v1"))
			get := func() (string, bool) {
				r := client.DoCache(ctx, client.B().Get().Key(key).Cache(), time.Minute)
				v, err := r.ToString()
				require.NoError(t, err, key)
				return v, r.IsCacheHit()
			}
			v, _ := get()
			require.Equal(t, "v1", v)
			v, hit := get()
			require.Equal(t, "v1", v)
			require.True(t, hit, "%s: the second read was not served from the cache", key)
			require.NoError(t, writers[(via+2+i)%len(writers)](key, "v2"))
			// A reply on the connection that carries the key's reads comes
			// after the invalidation the write caused (one connection per
			// node: see newCachingClient).
			require.NoError(t, client.Do(ctx, client.B().Strlen().Key(key).Build()).Error())
			v, hit = get()
			require.Equal(t, "v2", v, "%s: a cached value outlived an acknowledged write (cache hit %v)", key, hit)
		}
	}
	t.Run("cluster", func(t *testing.T) {
		client, err := newCachingClient(rueidis.ClientOption{InitAddress: []string{tc.nodes[1].addr}})
		require.NoError(t, err)
		t.Cleanup(client.Close)
		check(t, client, 0)
	})
	for i, n := range tc.nodes {
		t.Run("through-node-"+strconv.Itoa(i), func(t *testing.T) {
			client, err := newCachingClient(rueidis.ClientOption{InitAddress: []string{n.addr}, ForceSingleClient: true})
			require.NoError(t, err)
			t.Cleanup(client.Close)
			check(t, client, i+1)
		})
	}
}

// newCachingClient is rueidis with one connection per node
// (PipelineMultiplex -1). By default it opens log2(GOMAXPROCS) of them, up
// to 4: DoCache picks one by the key's slot and Do one at random, so the
// STRLEN that the check sends to sync with the server may travel on
// another connection than the key's cached reads, and its reply says
// nothing of the invalidations still on their way to the other one (the
// test failed so under load, the server's invalidations all in order).
func newCachingClient(opt rueidis.ClientOption) (rueidis.Client, error) {
	opt.PipelineMultiplex = -1
	return rueidis.NewClient(opt)
}
