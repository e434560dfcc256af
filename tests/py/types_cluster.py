"""Lists, sets, sorted sets, geo and blocking pops through redis-py, against
a meshcache cluster: plain redis.Redis connected to one node (which serves
every key, forwarding those it does not lead), then redis.cluster.RedisCluster
(which sends each command to its slot's owner). Given one node's port.
"""
import sys
import threading

import redis
from redis.cluster import RedisCluster


def check(r, p):
    """The calls applications, job queues and leaderboards make, on keys of
    prefix p (spread over the cluster's slots); multi-key commands use one
    hash tag, as Redis Cluster needs."""
    q = p + ":queue"
    assert r.lpush(q, "a", "b") == 2 and r.rpush(q, "c") == 3
    assert r.lrange(q, 0, -1) == ["b", "a", "c"]
    assert r.llen(q) == 3 and r.lindex(q, -1) == "c"
    assert r.lpop(q) == "b" and r.rpop(q, 2) == ["c", "a"] and r.llen(q) == 0
    assert r.brpop(q, timeout=0.1) is None

    # A consumer in BRPOP gets a job another client pushes, whether the
    # push comes before it blocks or after (redis-py pools connections:
    # the push goes on another one).
    got = []
    consumer = threading.Thread(target=lambda: got.append(r.brpop([q], timeout=10)))
    consumer.start()
    r.lpush(q, "job")
    consumer.join()
    assert got == [(q, "job")], got

    tag = "{" + p + "}"
    assert r.rpush(tag + "src", 1, 2, 3) == 3
    assert r.lmove(tag + "src", tag + "dst", "LEFT", "RIGHT") == "1"
    assert r.rpoplpush(tag + "src", tag + "dst") == "3"
    assert r.lrange(tag + "dst", 0, -1) == ["3", "1"]
    assert r.sort(tag + "dst") == ["1", "3"]

    s = p + ":set"
    assert r.sadd(s, "x", "y", "z") == 3 and r.sadd(s, "x") == 0
    assert r.smembers(s) == {"x", "y", "z"} and r.scard(s) == 3
    assert r.sismember(s, "x") and r.srem(s, "x") == 1
    assert r.sadd(tag + "s1", 1, 2, 3) == 3 and r.sadd(tag + "s2", 2, 3, 4) == 3
    assert r.sinter(tag + "s1", tag + "s2") == {"2", "3"}
    assert r.sunionstore(tag + "u", tag + "s1", tag + "s2") == 4

    z = p + ":board"
    assert r.zadd(z, {"ann": 10, "bob": 20, "cid": 15}) == 3
    assert r.zrange(z, 0, -1, withscores=True) == [("ann", 10.0), ("cid", 15.0), ("bob", 20.0)]
    assert r.zrevrangebyscore(z, "+inf", 12) == ["bob", "cid"]
    assert r.zincrby(z, 7.5, "ann") == 17.5 and r.zrank(z, "ann") == 1
    assert r.zscore(z, "cid") == 15.0 and r.zcard(z) == 3
    assert r.zpopmin(z) == [("cid", 15.0)]
    assert r.bzpopmax(z, timeout=1) == (z, "bob", 20.0)

    g = p + ":geo"
    assert r.geoadd(g, (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")) == 2
    assert round(r.geodist(g, "Palermo", "Catania", unit="km"), 1) == 166.3
    assert r.geosearch(g, longitude=15, latitude=37, radius=200, unit="km", sort="ASC") == ["Catania", "Palermo"]

    assert r.type(q) == "none" and r.type(s) == "set" and r.type(z) == "zset" and r.type(g) == "zset"
    assert r.expire(s, 100) and 0 < r.ttl(s) <= 100
    assert r.delete(s, z, g) == 3


def main(port):
    plain = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    for i in range(8):  # prefixes whose slots several nodes lead
        check(plain, "py:plain:%d" % i)
    plain.close()
    rc = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
    for i in range(8):
        check(rc, "py:cluster:%d" % i)
    rc.close()
    print("redis-py collections: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]))
