#!/usr/bin/env bash
# Runs units of Redis's own Tcl test suite in external mode against one
# meshcache node and one redis-server, side by side, and prints each unit's
# passed and failed test counts for both (docs/COMPATIBILITY.md keeps them).
#
#   REDIS_SRC=/path/to/redis tests/tcl/run.sh [unit ...]
#
# REDIS_SRC is a checkout of github.com/redis/redis (its tests/ and runtest;
# nothing is built; docs/COMPATIBILITY.md names the tag used). Tests that
# need DEBUG, replication, a restartable server or large memory are skipped
# by tag on both servers alike; the suite is newer than redis-server 7.0 in
# places, so redis-server's own counts are the baseline to read meshcache's
# against.
#
# The suite expects a standalone server (cross-slot BZMPOP, SORT BY
# patterns), so meshcache runs standalone (--cluster-enabled no), as
# redis-server does. CLUSTER=1 runs it as a one-node cluster instead, with
# the suite's own --cluster-mode, which skips the tests tagged cluster:skip
# (what Redis Cluster answers with CROSSSLOT).
set -euo pipefail

: "${REDIS_SRC:?set REDIS_SRC to a checkout of redis/redis}"
MPORT=${MPORT:-17411}
RPORT=${RPORT:-17412}
mode=(--cluster-enabled no)
suite=()
if [ "${CLUSTER:-0}" = 1 ]; then
	mode=() # a cluster node, alone: it leads every slot
	suite=(--cluster-mode)
fi
units=("$@")
[ ${#units[@]} -gt 0 ] || units=(unit/type/list unit/type/set unit/type/zset unit/type/hash unit/type/incr unit/type/string unit/geo unit/sort unit/expire unit/keyspace unit/bitops unit/hyperloglog unit/info-command unit/introspection-2)

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)
"$work/meshcache" --port "$MPORT" "${mode[@]}" --log-level warn >"$work/meshcache.log" 2>&1 &
pids+=($!)
redis-server --port "$RPORT" --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for port in "$MPORT" "$RPORT"; do
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

# count PORT UNIT -> "passed failed"
count() {
	local out
	# --baseport keeps the suite's own ports next to the server's, so two
	# runs at once on one machine do not take each other's.
	out=$(cd "$REDIS_SRC" && timeout 1500 ./runtest --host 127.0.0.1 --port "$1" --baseport $(($1 + 100)) --portcount 40 \
		--single "$2" --singledb ${3:+"$3"} --clients 1 \
		--tags -needs:debug --tags -needs:repl --tags -needs:save --tags -needs:reset --tags -needs:config-maxmemory \
		--tags -external:skip --tags -large-memory --tags -slow 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || true)
	# Lines that start with the verdict: the suite repeats each failure in
	# its closing summary ("*** [err]: ..."), which must not count twice.
	printf '%s %s\n' "$(grep -c '^\[ok\]' <<<"$out")" "$(grep -c '^\[err\]\|^\[exception\]' <<<"$out")"
}

echo "| unit | meshcache passed | meshcache failed | redis-server passed | redis-server failed |"
echo "|---|---|---|---|---|"
for u in "${units[@]}"; do
	read -r mp mf <<<"$(count "$MPORT" "$u" "${suite[@]}")"
	redis-cli -p "$RPORT" flushall >/dev/null
	read -r rp rf <<<"$(count "$RPORT" "$u")"
	redis-cli -p "$RPORT" flushall >/dev/null
	echo "| $u | $mp | $mf | $rp | $rf |"
done
