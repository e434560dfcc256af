#!/usr/bin/env bash
# Runs units of Redis's own Tcl test suite in external mode against one
# meshcache node and one redis-server, side by side, and prints each unit's
# passed and failed test counts for both (docs/COMPATIBILITY.md keeps them).
#
#   REDIS_SRC=/path/to/redis tests/tcl/run.sh [unit ...]
#
# REDIS_SRC is a checkout of github.com/redis/redis (its tests/ and runtest;
# nothing is built). Tests that need DEBUG, replication, a restartable
# server or large memory are skipped by tag on both servers alike; the suite
# is newer than redis-server 7.0 in places, so redis-server's own counts are
# the baseline to read meshcache's against.
set -euo pipefail

: "${REDIS_SRC:?set REDIS_SRC to a checkout of redis/redis}"
MPORT=${MPORT:-17411}
RPORT=${RPORT:-17412}
units=("$@")
[ ${#units[@]} -gt 0 ] || units=(unit/type/list unit/type/set unit/type/zset unit/type/hash unit/type/incr unit/type/string unit/geo unit/sort unit/expire unit/keyspace)

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)
"$work/meshcache" --port "$MPORT" --log-level warn >"$work/meshcache.log" 2>&1 &
pids+=($!)
redis-server --port "$RPORT" --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for port in "$MPORT" "$RPORT"; do
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

# count PORT UNIT -> "passed failed"
count() {
	local out
	out=$(cd "$REDIS_SRC" && timeout 900 ./runtest --host 127.0.0.1 --port "$1" --single "$2" --singledb --clients 1 \
		--tags -needs:debug --tags -needs:repl --tags -needs:save --tags -needs:reset --tags -needs:config-maxmemory \
		--tags -external:skip --tags -large-memory --tags -slow 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || true)
	printf '%s %s\n' "$(grep -c '\[ok\]' <<<"$out")" "$(grep -c '\[err\]\|\[exception\]' <<<"$out")"
}

echo "| unit | meshcache passed | meshcache failed | redis-server passed | redis-server failed |"
echo "|---|---|---|---|---|"
for u in "${units[@]}"; do
	read -r mp mf <<<"$(count "$MPORT" "$u")"
	redis-cli -p "$RPORT" flushall >/dev/null
	read -r rp rf <<<"$(count "$RPORT" "$u")"
	redis-cli -p "$RPORT" flushall >/dev/null
	echo "| $u | $mp | $mf | $rp | $rf |"
done
