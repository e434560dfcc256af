"""Pub/Sub through redis-py against a meshcache cluster, given the nodes'
ports: a subscriber on each node (channel, pattern) receives what plain
clients on every node and RedisCluster publish, once and in order per
publisher; PING answers in subscribed mode; unsubscribing ends delivery.
"""
import sys
import time

import redis
from redis.cluster import RedisCluster


def drain_until(sub, want, deadline):
    """Reads messages until every payload in want was seen; returns the
    message payloads read, in order."""
    got = []
    while want - set(got):
        assert time.time() < deadline, ("missing", want - set(got))
        m = sub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if m is not None and m["type"] in ("message", "pmessage"):
            got.append(m["data"])
    return got


def main(ports):
    deadline = time.time() + 40
    pubs = [redis.Redis(host="127.0.0.1", port=p, decode_responses=True) for p in ports]
    subs = []
    for i, p in enumerate(ports):
        sub = redis.Redis(host="127.0.0.1", port=p, decode_responses=True).pubsub()
        if i == 0:
            sub.psubscribe("py*")
        else:
            sub.subscribe("py")
        subs.append(sub)

    # Probes until each subscriber hears from every node.
    for sub in subs:
        heard = set()
        while len(heard) < len(pubs):
            assert time.time() < deadline, "probes never arrived"
            for i, r in enumerate(pubs):
                if i not in heard:
                    r.publish("py", "probe:%d" % i)
            m = sub.get_message(ignore_subscribe_messages=True, timeout=0.3)
            while m is not None:
                if m["type"] in ("message", "pmessage") and m["data"].startswith("probe:"):
                    heard.add(int(m["data"].split(":")[1]))
                m = sub.get_message(ignore_subscribe_messages=True, timeout=0.05)

    rc = RedisCluster(host="127.0.0.1", port=ports[0], decode_responses=True)
    publishers = pubs + [rc]
    n = 50
    for i in range(n):
        for p, r in enumerate(publishers):
            r.publish("py", "%d:%d" % (p, i))
    want = {"%d:%d" % (p, i) for p in range(len(publishers)) for i in range(n)}
    for sub in subs:
        got = [g for g in drain_until(sub, want, deadline) if not g.startswith("probe:")]
        assert len(got) == len(want), (len(got), len(want))
        for p in range(len(publishers)):
            mine = [g for g in got if g.startswith("%d:" % p)]
            assert mine == ["%d:%d" % (p, i) for i in range(n)], mine[:5]

    # PING in subscribed mode, then unsubscribing ends delivery.
    subs[1].ping("hi")
    while True:
        assert time.time() < deadline
        m = subs[1].get_message(timeout=0.2)
        if m is not None and m["type"] == "pong":
            assert m["data"] == "hi", m
            break
    subs[1].unsubscribe("py")
    while pubs[1].pubsub_numsub("py") != [("py", 0)]:
        assert time.time() < deadline, pubs[1].pubsub_numsub("py")
        time.sleep(0.05)
    subs[1].get_message(timeout=1)  # the unsubscribe confirmation
    pubs[1].publish("py", "after")
    assert subs[1].get_message(timeout=0.5) is None
    print("redis-py pubsub: all checks passed")


if __name__ == "__main__":
    main([int(p) for p in sys.argv[1:]])
