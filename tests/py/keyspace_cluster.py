"""redis-py's RedisCluster broadcasts against a meshcache cluster: given
one node's port and the number of nodes, it checks that every node is one
primary, that scan_iter and dbsize count every key once, and that flushall
sent to the primaries empties the cluster; and that a plain client's
WATCH/MULTI/EXEC works through one node for keys any node leads, aborting
when another node changed a watched key.

The cluster must hold no other keys (it flushes them first).
"""
import sys

import redis
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

        # WATCH through a plain client on one node, keys led by any node.
        others = [n.port for n in rc.get_primaries() if n.port != port]
        plain = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
        elsewhere = redis.Redis(host="127.0.0.1", port=others[0], decode_responses=True)
        try:
            for i in range(30):
                k = "py:watch:%d" % i
                with plain.pipeline() as p:
                    p.watch(k)
                    assert p.get(k) is None
                    p.multi()
                    p.set(k, "mine")
                    assert p.execute() == [True]
                with plain.pipeline() as p:
                    p.watch(k)
                    assert elsewhere.set(k, "theirs") is True
                    p.multi()
                    p.set(k, "late")
                    try:
                        p.execute()
                        raise AssertionError("EXEC ran although %s changed" % k)
                    except redis.WatchError:
                        pass
                assert rc.get(k) == "theirs"
        finally:
            plain.close()
            elsewhere.close()

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
