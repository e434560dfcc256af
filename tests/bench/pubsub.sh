#!/usr/bin/env bash
# Benchmarks Pub/Sub (issue 16): one meshcache node against redis-server on
# this machine, side by side, PUBS publishers and SUBS subscribers of one
# channel (tests/bench/pubsubbench: unpipelined publishers, as
# redis-benchmark's clients), alternating the two servers for ROUNDS
# rounds of DUR each: messages delivered per second, medians and the ratio
# (goal: >= 0.8x); then a 3-node meshcache cluster, publishers on one node
# and subscribers on another, at a fixed rate (RATE publishes per second
# per publisher), for the cross-node publish-to-receive latency p50/p99,
# beside the same load within one node. Medians go to stdout and, with
# WRITE=1, into docs/BENCHMARKS.md.
#
#   tests/bench/pubsub.sh
#   ROUNDS=3 DUR=3s tests/bench/pubsub.sh
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DUR=${DUR:-5s}
PUBS=${PUBS:-50}
SUBS=${SUBS:-50}
LPUBS=${LPUBS:-10}
LSUBS=${LSUBS:-10}
RATE=${RATE:-200}
PIN=${PIN:-1}
WRITE=${WRITE:-0}
MPORT=${MPORT:-17481}
RPORT=${RPORT:-17482}
CPORT=${CPORT:-17491} # the cluster's first client port (three in a row)
N=0 CLIENTS=0         # lib.sh's redis-benchmark settings, unused here

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache and pubsubbench" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache && go build -o "$work/pubsubbench" ./tests/bench/pubsubbench)
load_before=$(loadavg)
echo "load average before: $load_before" >&2

psb() { "${bench_cpu[@]}" "$work/pubsubbench" "$@"; }

start_servers
results="$work/results.txt"
: >"$results"
for round in $(seq "$ROUNDS"); do
	order=(meshcache redis)
	[ $((round % 2)) = 0 ] && order=(redis meshcache)
	for target in "${order[@]}"; do
		port=$MPORT
		[ "$target" = redis ] && port=$RPORT
		read -r pubrate delivered p50 p99 < <(psb -pub "127.0.0.1:$port" -pubs "$PUBS" -subs "$SUBS" -d "$DUR")
		echo "$target $pubrate $delivered $p50 $p99" >>"$results"
	done
	echo "round $round done" >&2
done
stop_servers

pick() { awk -v t="$1" -v col="$2" '$1 == t { print $col }' "$results" | median; }
m_del=$(pick meshcache 3) r_del=$(pick redis 3)
table="$work/table.md"
{
	echo "| one node, $PUBS publishers, $SUBS subscribers | meshcache | redis-server | ratio |"
	echo "|---|---|---|---|"
	echo "| messages delivered per second | $m_del | $r_del | $(awk -v a="$m_del" -v b="$r_del" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| publishes per second | $(pick meshcache 2) | $(pick redis 2) | $(awk -v a="$(pick meshcache 2)" -v b="$(pick redis 2)" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| publish-to-receive p50 / p99 ms (saturated) | $(pick meshcache 4) / $(pick meshcache 5) | $(pick redis 4) / $(pick redis 5) | |"
} >"$table"

# Cross-node latency on a 3-node cluster.
c1=$CPORT c2=$((CPORT + 1)) c3=$((CPORT + 2))
"${server_cpu[@]}" "$work/meshcache" --port "$c1" --migration-batch 16384 --log-level warn >"$work/c1.log" 2>&1 &
pids+=($!)
sleep 0.5
for p in "$c2" "$c3"; do
	"${server_cpu[@]}" "$work/meshcache" --port "$p" --join "127.0.0.1:$((c1 + 10000))" --migration-batch 16384 --log-level warn >"$work/c$p.log" 2>&1 &
	pids+=($!)
done
for _ in $(seq 300); do
	[ "$(redis-cli -p "$c1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')" = 3 ] &&
		[ "$(redis-cli -p "$c3" info cluster 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_settled://p')" = 1 ] && break
	sleep 0.2
done
sleep 1 # the fan-out refreshes its peers every 250 ms
lat="$work/lat.txt"
: >"$lat"
for round in $(seq "$ROUNDS"); do
	read -r _ _ p50 p99 < <(psb -pub "127.0.0.1:$c1" -sub "127.0.0.1:$c2" -pubs "$LPUBS" -subs "$LSUBS" -rate "$RATE" -d "$DUR")
	echo "cross $p50 $p99" >>"$lat"
	read -r _ _ p50 p99 < <(psb -pub "127.0.0.1:$c1" -sub "127.0.0.1:$c1" -pubs "$LPUBS" -subs "$LSUBS" -rate "$RATE" -d "$DUR")
	echo "same $p50 $p99" >>"$lat"
done
latpick() { awk -v t="$1" -v col="$2" '$1 == t { print $col }' "$lat" | median; }
{
	echo
	echo "| 3-node cluster, $LPUBS publishers at $RATE/s each, $LSUBS subscribers | p50 ms | p99 ms |"
	echo "|---|---|---|"
	echo "| publisher and subscribers on different nodes | $(latpick cross 2) | $(latpick cross 3) |"
	echo "| publisher and subscribers on the same node | $(latpick same 2) | $(latpick same 3) |"
} >>"$table"
load_after=$(loadavg)
echo "load average after: $load_after" >&2
cat "$table"

if [ "$WRITE" = 1 ]; then
	section="$work/section.md"
	{
		echo "<!-- pubsub:begin -->"
		echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
		echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), tests/bench/pubsub.sh: $ROUNDS alternating rounds of $DUR, 32-byte payloads, medians;"
		echo "servers pinned to one CPU and the load generator to the other: $([ ${#server_cpu[@]} -gt 0 ] && echo yes || echo no);"
		echo "load average (1, 5, 15 min) before: $load_before, after: $load_after."
		echo
		cat "$table"
		echo "<!-- pubsub:end -->"
	} >"$section"
	write_section "$root/docs/BENCHMARKS.md" pubsub "$section"
fi
