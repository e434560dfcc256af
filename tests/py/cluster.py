"""redis-py's RedisCluster against a meshcache cluster, given one node's port.

It learns the topology from that node (CLUSTER SLOTS), then sends each
command straight to its slot's owner, as it would with Redis Cluster.
"""
import sys

from redis.cluster import RedisCluster


def main(port):
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    try:
        # Every node leads slots and replicates others' slots; redis-py
        # keeps one role per node (the last CLUSTER SLOTS range it saw), so
        # count the nodes, not its primaries.
        nodes = rc.get_nodes()
        assert len(nodes) == 3, nodes
        assert rc.ping() is True

        keys = ["py:c:%d" % i for i in range(300)]
        slots = {rc.keyslot(k) for k in keys}
        assert len(slots) > 250, len(slots)
        for i, k in enumerate(keys):
            assert rc.set(k, i) is True
        for i, k in enumerate(keys):
            assert rc.get(k) == str(i), k
        # Every node leads some of the keys' slots.
        owners = {rc.get_node_from_key(k).name for k in keys}
        assert owners == {n.name for n in nodes}, owners

        assert rc.mget_nonatomic(keys[:50] + ["py:c:none"]) == [str(i) for i in range(50)] + [None]
        pairs = {"py:m:a": "1", "py:m:b": "2", "py:m:c": "3"}
        replies = rc.mset_nonatomic(pairs)  # one MSET per slot
        assert replies == [True] * len({rc.keyslot(k) for k in pairs}), replies
        assert rc.mget_nonatomic(["py:m:c", "py:m:a", "py:m:b"]) == ["3", "1", "2"]

        # Hash-tagged keys share a slot: plain MSET/MGET work as in Redis Cluster.
        assert rc.mset({"{py}a": "x", "{py}b": "y"}) is True
        assert rc.mget("{py}a", "{py}b", "{py}none") == ["x", "y", None]

        assert rc.hset("py:h", mapping={"f": "1", "g": "2"}) == 2
        assert rc.hgetall("py:h") == {"f": "1", "g": "2"}
        assert rc.incr("py:n") == 1 and rc.incrby("py:n", 4) == 5
        assert rc.expire("py:n", 100) is True and 0 < rc.ttl("py:n") <= 100

        with rc.pipeline() as p:
            for k in keys[:100]:
                p.get(k)
            assert p.execute() == [str(i) for i in range(100)]

        assert rc.delete(*keys[:10]) == 10
        assert rc.exists(*keys[:20]) == 10

        info = rc.cluster_info(target_nodes=RedisCluster.RANDOM)
        assert info["cluster_state"] == "ok", info
        assert int(info["cluster_known_nodes"]) == 3, info
        assert int(info["cluster_slots_assigned"]) == 16384, info
        assert rc.cluster_keyslot("foo") == 12182
    finally:
        rc.close()
    print("redis-py cluster: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]))
