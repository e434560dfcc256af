package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/tests/testenv"
)

// cachingConn is a RESP3 tracking connection with a client-side cache, as
// a caching client keeps one: a read fills the cache, an invalidation
// push empties the key (a null empties all).
type cachingConn struct {
	t     *testing.T
	conn  *testenv.RawConn
	cache map[string]string
	invs  int // invalidations received
}

func newCachingConn(t *testing.T, addr string) *cachingConn {
	cc := &cachingConn{t: t, conn: testenv.DialRaw(t, addr), cache: map[string]string{}}
	cc.conn.Must(t, "HELLO", "3")
	require.Equal(t, "+OK\r\n", string(cc.conn.Must(t, "CLIENT", "TRACKING", "on")))
	return cc
}

// do sends a command and returns its reply, applying the pushes read
// before it.
func (cc *cachingConn) do(args ...string) string {
	out, err := cc.conn.Do(args...)
	require.NoError(cc.t, err)
	for strings.HasPrefix(string(out), ">") {
		cc.apply(string(out))
		out = nil
		require.NoError(cc.t, testenv.ReadReply(cc.conn.Reader(), &out))
	}
	return string(out)
}

func (cc *cachingConn) apply(push string) {
	const head = ">2\r\n$10\r\ninvalidate\r\n"
	require.True(cc.t, strings.HasPrefix(push, head), "push %q", push)
	body := push[len(head):]
	cc.invs++
	if body == "_\r\n" {
		clear(cc.cache)
		return
	}
	lines := strings.Split(body, "\r\n")
	// *N, then $len, key per key.
	for i := 2; i < len(lines); i += 2 {
		delete(cc.cache, lines[i])
	}
}

// get answers from the cache once a PING has brought every invalidation
// sent so far, else reads through the server and caches.
func (cc *cachingConn) get(key string) (string, bool) {
	require.Equal(cc.t, "+PONG\r\n", cc.do("PING"))
	if v, ok := cc.cache[key]; ok {
		return v, true
	}
	r := cc.do("GET", key)
	if strings.HasPrefix(r, "_") {
		return "", false
	}
	parts := strings.Split(r, "\r\n")
	require.GreaterOrEqual(cc.t, len(parts), 2, r)
	cc.cache[key] = parts[1]
	return parts[1], false
}

// A tracking client on every node reads keys of every slot owner through
// its node while writers change them through the other nodes: once a
// write is acknowledged, no cached value older than it is served (the
// caching client syncs with a PING before it trusts its cache).
func TestTrackingAcrossNodes(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	waitFanout(t, nodes)
	const nkeys = 24
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = "tk:" + strconv.Itoa(i)
	}
	var acked [nkeys]atomic.Int64 // last value a writer was told was stored
	setup := testenv.DialRaw(t, nodes[0].addr)
	for _, k := range keys {
		setup.Must(t, "SET", k, "0")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range nodes {
		wg.Add(1)
		go func() { // a writer through node w: stops at stop
			defer wg.Done()
			conn := testenv.DialRaw(t, nodes[w].addr)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (i*3 + w) % (nkeys / 2) * 2 // even keys change, odd ones stay cached
				out, err := conn.Do("INCR", keys[k])
				if err != nil {
					t.Errorf("INCR through node %d: %v", w, err)
					return
				}
				n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(out), ":")), 10, 64)
				if err != nil {
					t.Errorf("INCR reply %q", out)
					return
				}
				for { // record the highest acknowledged value
					old := acked[k].Load()
					if n <= old || acked[k].CompareAndSwap(old, n) {
						break
					}
				}
			}
		}()
	}
	readers := make([]*cachingConn, len(nodes))
	for i, n := range nodes {
		readers[i] = newCachingConn(t, n.addr)
	}
	hits := 0
	for round := 0; round < 300 && !t.Failed(); round++ {
		for r, cc := range readers {
			k := (round + r*7) % nkeys
			floor := acked[k].Load() // acknowledged before this read began
			v, cached := cc.get(keys[k])
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			if cached {
				hits++
			}
			require.GreaterOrEqual(t, n, floor, fmt.Sprintf("node %d served %s=%d (cached %v) after %d was acknowledged", r, keys[k], n, cached, floor))
		}
	}
	close(stop)
	wg.Wait()
	invs := 0
	for _, cc := range readers {
		invs += cc.invs
	}
	t.Logf("cache hits: %d, invalidations: %d", hits, invs)
	require.Positive(t, hits, "the cache never served a read: the test proved nothing")
	require.Positive(t, invs, "no invalidation arrived: the test proved nothing")
}

// After a failover, the first write the new leader serves to a slot makes
// every node's tracking clients flush (the reads were remembered by the
// former leader): a value cached before the failover does not outlive a
// write the new leader acknowledged.
func TestTrackingAfterFailover(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	waitFanout(t, nodes)
	x := nodes[2]
	before := x.node.Table()
	replicated := map[uint16]bool{}
	for _, s := range before.ReplicaSlots(x.node.ID()) {
		replicated[s] = true
	}
	var keys []string
	for i := 0; len(keys) < 8 && i < 100000; i++ {
		if k := "fo:" + strconv.Itoa(i); replicated[ring.KeySlot([]byte(k))] {
			keys = append(keys, k)
		}
	}
	require.NotEmpty(t, keys)
	setup := testenv.DialRaw(t, nodes[0].addr)
	for _, k := range keys {
		setup.Must(t, "SET", k, "old")
	}
	reader := newCachingConn(t, nodes[0].addr)
	// The forming cluster's first writes can flush the tracking clients
	// once, after some of these reads: read until every key is cached.
	testenv.Wait(t, 10*time.Second, "the reader caches every key", func() error {
		for _, k := range keys {
			if v, cached := reader.get(k); v != "old" || !cached {
				return fmt.Errorf("%s: %q, cached %v", k, v, cached)
			}
		}
		return nil
	})
	xc := testenv.DialRaw(t, x.addr)
	xc.Must(t, "CLUSTER", "FAILOVER")
	slot := ring.KeySlot([]byte(keys[0]))
	testenv.Wait(t, 30*time.Second, "x leads the slots it replicated", func() error {
		if x.node.Table().Primary(slot) != x.node.ID() {
			return fmt.Errorf("slot %d not led by x yet", slot)
		}
		return nil
	})
	for _, k := range keys {
		require.Equal(t, "+OK\r\n", string(xc.Must(t, "SET", k, "new")))
	}
	for _, k := range keys {
		v, cached := reader.get(k)
		require.Equal(t, "new", v, "%s: cached %v after the new leader acknowledged a write", k, cached)
	}
}
