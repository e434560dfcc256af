package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store/rdb"
)

// TestClusterRestoreReplicates: a RESTORE sent to the node that does not
// lead the key is forwarded to its primary, and with replica-ack one the
// replica holds the whole value and its TTL when the reply arrives; DUMP
// through either node answers the payload that was restored.
func TestClusterRestoreReplicates(t *testing.T) {
	nodes := startReplCluster(t, 2, func(c *config.Config) { c.Replicas = 1; c.ReplicaAck = "one" })
	ctx := clusterCtx(t, 60*time.Second)
	p, other := nodes[0], nodes[1]
	k := syncedKeyOn(t, nodes, p, "restore-")
	v := rdb.Value{Kind: rdb.KindHash}
	for _, s := range []string{"f1", "v1", "f2", "v2", "f3", "3"} {
		v.Elems = append(v.Elems, []byte(s))
	}
	payload := string(rdb.Dump(v))
	oc := dialClient(t, other.addr, 2)
	require.NoError(t, oc.Do(ctx, "RESTORE", k, "4000000000000", payload, "ABSTTL").Err())

	tx := replicaOf(t, nodes, k).srv.store.Lock(ring.KeySlot([]byte(k)))
	n, err := tx.HLen([]byte(k))
	require.NoError(t, err)
	at, _, err := tx.ExpireAt([]byte(k))
	require.NoError(t, err)
	tx.Close()
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(4000000000000), at)

	for _, addr := range []string{p.addr, other.addr} {
		got, err := dialClient(t, addr, 2).Do(ctx, "DUMP", k).Text()
		require.NoError(t, err)
		assert.Equal(t, payload, got)
	}
	err = oc.Do(ctx, "RESTORE", k, "0", payload).Err()
	require.Error(t, err)
	assert.Equal(t, "BUSYKEY Target key name already exists.", err.Error())
}
