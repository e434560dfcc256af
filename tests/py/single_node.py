"""redis-py against one meshcache node: the calls Python users make most.

Keys share the hash tag {py}, so RENAME stays within one slot as Redis
Cluster requires."""
import sys
import time

import redis


def main(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    assert r.ping() is True
    assert r.set("{py}:k", "v", ex=100) is True
    assert r.get("{py}:k") == "v"
    assert 0 < r.ttl("{py}:k") <= 100
    assert r.set("{py}:k", "w", nx=True) is None
    assert r.set("{py}:k", "w", xx=True, get=True) == "v"
    assert r.incr("{py}:n") == 1 and r.incrby("{py}:n", 9) == 10
    assert abs(r.incrbyfloat("{py}:f", 1.5) - 1.5) < 1e-9
    assert r.mset({"{py}:a": "1", "{py}:b": "2"}) is True
    assert r.mget("{py}:a", "{py}:b", "{py}:none") == ["1", "2", None]
    assert r.hset("{py}:h", mapping={"x": "1", "y": "2"}) == 2
    assert r.hgetall("{py}:h") == {"x": "1", "y": "2"}
    assert r.hincrby("{py}:h", "x", 5) == 6
    assert sorted(r.hkeys("{py}:h")) == ["x", "y"]
    assert r.delete("{py}:a", "{py}:b", "{py}:none") == 2
    assert r.exists("{py}:k", "{py}:h") == 2
    assert r.expire("{py}:h", 50) is True and r.persist("{py}:h") is True and r.ttl("{py}:h") == -1
    assert r.rename("{py}:k", "{py}:k2") is True and r.get("{py}:k2") == "w"
    keys = set()
    for k in r.scan_iter(match="{py}:*", count=10):
        keys.add(k)
    assert keys == {"{py}:k2", "{py}:n", "{py}:f", "{py}:h"}, keys
    try:
        r.hget("{py}:k2", "x")
        raise AssertionError("HGET on a string must fail")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), e
    with r.pipeline(transaction=True) as p:
        p.set("{py}:t", 1).incr("{py}:t").get("{py}:t")
        assert p.execute() == [True, 2, "2"]
    r.set("{py}:exp", "x", px=50)
    time.sleep(0.2)
    assert r.get("{py}:exp") is None
    info = r.info("keyspace")
    assert "db0" in info, info
    assert r.client_setname("pytest") is True and r.client_getname() == "pytest"
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    print("redis-py: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]))
