"""redis-py's Lock (Lua scripts: acquire, extend, reacquire, release) and
register_script against meshcache: through a plain client on one node and
through RedisCluster. Lock names are spread over slots, so the plain
client's scripts are forwarded to the other nodes."""
import sys

import redis
import redis.cluster


def check_locks(r, label):
    for i in range(12):
        name = "pylock-%s-%d" % (label, i)
        lock = r.lock(name, timeout=10)
        assert lock.acquire(blocking=False), name
        other = r.lock(name, timeout=10)
        assert not other.acquire(blocking=False), name
        assert lock.owned(), name
        assert lock.extend(5), name
        ttl = r.pttl(name)
        assert 10000 < ttl <= 15000, (name, ttl)
        assert lock.reacquire(), name
        assert 0 < r.pttl(name) <= 10000, name
        lock.release()
        assert r.exists(name) == 0, name
        try:
            lock.release()
            raise AssertionError("releasing a released lock must fail")
        except redis.exceptions.LockError:
            pass
        assert other.acquire(blocking=False), name
        other.release()


def check_script(r, label):
    incr = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    for i in range(12):
        key = "pyscript-%s-%d" % (label, i)
        assert incr(keys=[key], args=[5]) == 5
        assert incr(keys=[key], args=[2]) == 7
        r.delete(key)


def check_functions(rc):
    """FUNCTION LOAD and DELETE go to every primary (redis-py's routing)
    while meshcache also spreads them: both must succeed."""
    code = "#!lua name=pylib\nredis.register_function('pyincr', function(keys) return redis.call('INCR', keys[1]) end)"
    rc.function_load(code)
    for i in range(12):
        assert rc.fcall("pyincr", 1, "pyfunc-%d" % i) == 1
    rc.function_delete("pylib")
    try:
        rc.fcall("pyincr", 1, "pyfunc-0")
        raise AssertionError("a deleted function must be gone")
    except redis.ResponseError as e:
        assert "Function not found" in str(e), e


def main(port):
    plain = redis.Redis(host="127.0.0.1", port=port)
    check_locks(plain, "plain")
    check_script(plain, "plain")
    rc = redis.cluster.RedisCluster(host="127.0.0.1", port=port)
    check_locks(rc, "cluster")
    check_script(rc, "cluster")
    check_functions(rc)
    print("redis-py scripting: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]))
