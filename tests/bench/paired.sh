#!/usr/bin/env bash
# Two meshcache builds at the same moment, for effects of a few percent
# that sequential runs cannot show on a shared host (sequential rounds of
# one build can differ by 2x: other guests share the caches and the CPU).
# Per round: a fresh node of each build, each pinned to its own CPU with
# its own redis-benchmark on that CPU (so each pair is one CPU's worth of
# work, and the benchmark's cost is the same on both sides), the CPUs
# swapped every round; SET then GET, 50 clients, -r 100000 -d 32, after a
# fill of 300k SETs. Prints a line per round and test with each build's
# requests per second and CPU per request (user+system of the node), and
# B's throughput over A's; then the medians of those ratios.
#
#   tests/bench/paired.sh /tmp/meshcache-before /tmp/meshcache-after
#   P=1 R=6 N=300000 tests/bench/paired.sh A B
set -euo pipefail
A=${1:?build A} B=${2:?build B}
R=${R:-6} N=${N:-1000000} P=${P:-16} PORT=${PORT:-7501}
[ "$(nproc)" -ge 2 ] || { echo "paired.sh needs two CPUs" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
per() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.3f", (b - a) * 10000 / n }'; }
pa=$PORT pb=$((PORT + 1))
for r in $(seq "$R"); do
	if [ $((r % 2)) = 1 ]; then ca=0 cb=1; else ca=1 cb=0; fi
	taskset -c "$ca" "$A" --port "$pa" --log-level warn >/dev/null 2>&1 &
	ida=$!
	taskset -c "$cb" "$B" --port "$pb" --log-level warn >/dev/null 2>&1 &
	idb=$!
	for port in $pa $pb; do
		for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
	done
	taskset -c "$ca" redis-benchmark -p "$pa" -c 50 -P 16 -r 100000 -d 32 -n 300000 -t set -q >/dev/null &
	fill=$!
	taskset -c "$cb" redis-benchmark -p "$pb" -c 50 -P 16 -r 100000 -d 32 -n 300000 -t set -q >/dev/null
	wait "$fill"
	for t in set get; do
		a0=$(cpu "$ida") b0=$(cpu "$idb")
		taskset -c "$ca" redis-benchmark -p "$pa" -c 50 -P "$P" -r 100000 -d 32 -n "$N" -t "$t" --csv >"$work/a" &
		run=$!
		taskset -c "$cb" redis-benchmark -p "$pb" -c 50 -P "$P" -r 100000 -d 32 -n "$N" -t "$t" --csv >"$work/b"
		wait "$run"
		a1=$(cpu "$ida") b1=$(cpu "$idb")
		ra=$(tail -1 "$work/a" | tr -d '"' | cut -d, -f2) rb=$(tail -1 "$work/b" | tr -d '"' | cut -d, -f2)
		echo "round $r $t -P $P: A $ra rps $(per "$a0" "$a1") us/req, B $rb rps $(per "$b0" "$b1") us/req, B/A $(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.3f", b / a }')" | tee -a "$work/rows"
	done
	kill "$ida" "$idb"
	wait "$ida" "$idb" 2>/dev/null || true
	echo "round $r: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
for t in set get; do
	grep " $t -P " "$work/rows" | awk '{ print $NF }' | sort -n |
		awk -v t="$t" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s -P '"$P"': median B/A %.3f over %d rounds (%.3f-%.3f)\n", t, m, NR, v[1], v[NR] }'
done
