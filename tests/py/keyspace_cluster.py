"""redis-py's RedisCluster broadcasts against a meshcache cluster: given
one node's port and the number of nodes, it checks that every node is one
primary, that scan_iter and dbsize count every key once, and that flushall
sent to the primaries empties the cluster.

The cluster must hold no other keys (it flushes them first).
"""
import sys

from redis.cluster import RedisCluster


def flushed(reply):
    """FLUSHALL's reply through RedisCluster: True, or one per primary."""
    if isinstance(reply, dict):
        return len(reply) > 0 and all(v is True for v in reply.values())
    return reply is True


def main(port, nodes):
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    # redis-py sends DBSIZE and KEYS to its default node unless told the
    # targets, as with Redis Cluster; FLUSHALL and SCAN go to the primaries.
    primaries = RedisCluster.PRIMARIES
    try:
        # One role per node: every node a primary, none a replica.
        assert len(rc.get_primaries()) == nodes, rc.get_primaries()
        assert len(rc.get_replicas()) == 0, rc.get_replicas()
        r = rc.flushall()
        assert flushed(r), r
        assert rc.dbsize(target_nodes=primaries) == 0

        keys = ["py:ks:%d" % i for i in range(400)]
        for i, k in enumerate(keys):
            assert rc.set(k, i) is True
        seen = list(rc.scan_iter(match="py:ks:*", count=50))
        assert len(seen) == len(keys), (len(seen), len(keys))
        assert set(seen) == set(keys)
        assert rc.dbsize(target_nodes=primaries) == len(keys), rc.dbsize(target_nodes=primaries)
        assert sorted(rc.keys("py:ks:*", target_nodes=primaries)) == sorted(keys)

        r = rc.flushall()
        assert flushed(r), r
        assert rc.dbsize(target_nodes=primaries) == 0
        assert list(rc.scan_iter()) == []
        assert rc.get(keys[0]) is None
    finally:
        rc.close()
    print("redis-py keyspace: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
