#!/usr/bin/env bash
# Benchmarks the list, set and sorted-set commands of one meshcache node
# against redis-server on this machine, side by side in one run:
# redis-benchmark's lpush, rpush, lpop, rpop, sadd, spop, zadd, zpopmin and
# lrange_100 tests with 50 clients, unpipelined, alternating the two servers
# for several rounds (issue 14's speed goal: >= 0.9x); then resident memory
# per element of one list, set, sorted set and hash of 1M 10-byte elements,
# each server freshly started per type (goal: <= 1.2x); then (GCELEMS > 0)
# read latency and Go GC pauses with GCELEMS elements of each type spread
# over 1000 keys while a writer churns them (tests/bench/gcpause). Medians
# and ratios go to stdout and, with WRITE=1, into docs/BENCHMARKS.md.
#
#   tests/bench/types.sh               # default: 5 rounds of 100k requests
#   ROUNDS=3 N=50000 ELEMS=200000 tests/bench/types.sh
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
ELEMS=${ELEMS:-1000000}
GCELEMS=${GCELEMS:-3000000}
TESTS=${TESTS:-lpush,rpush,lpop,rpop,sadd,spop,zadd,zpopmin,lrange_100}
PIN=${PIN:-1}
WRITE=${WRITE:-0}
MPORT=${MPORT:-17381}
RPORT=${RPORT:-17382}

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache, memkeys and gcpause" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache && go build -o "$work/memkeys" ./tests/bench/memkeys &&
	go build -o "$work/gcpause" ./tests/bench/gcpause)
load_before=$(loadavg)
echo "load average before: $load_before" >&2

start_servers
results="$work/results.txt"
: >"$results"
for round in $(seq "$ROUNDS"); do
	for target in $(targets "$round"); do
		use_target "$target"
		redis-cli -p "$port" flushall >/dev/null
		bench "$port" 1 "$TESTS" "$pid" | while read -r test rps p99 cpu; do
			echo "$target $test $rps $p99 $cpu" >>"$results"
		done
	done
	echo "round $round done" >&2
done
stop_servers

table="$work/table.md"
ratio_table "$results" >"$table"
cat "$table"

mem="$work/mem.md"
{
	echo "| type | elements | meshcache bytes/element | redis bytes/element | ratio |"
	echo "|---|---|---|---|---|"
	for typ in list set zset hash; do
		start_servers
		m=$("$work/memkeys" -addr "127.0.0.1:$MPORT" -pid "$mpid" -type "$typ" -n "$ELEMS" -key-size 10 |
			sed -n 's/.*bytes_per_element=\([0-9.]*\).*/\1/p')
		r=$("$work/memkeys" -addr "127.0.0.1:$RPORT" -pid "$rpid" -type "$typ" -n "$ELEMS" -key-size 10 |
			sed -n 's/.*bytes_per_element=\([0-9.]*\).*/\1/p')
		stop_servers
		awk -v t="$typ" -v n="$ELEMS" -v m="$m" -v r="$r" 'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2fx |\n", t, n, m, r, m / r }'
	done
} >"$mem"
cat "$mem"

gc="$work/gc.md"
: >"$gc"
if [ "$GCELEMS" -gt 0 ]; then
	start_servers
	{
		echo "| type | server | elements | read p50 us | read p99 us | read p99.9 us | GC cycles | GC pause p99 us | GC pause max us | GC CPU share |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for typ in list set zset; do
			for target in meshcache redis; do
				port=$MPORT
				[ "$target" = redis ] && port=$RPORT
				line=$("${bench_cpu[@]}" "$work/gcpause" -addr "127.0.0.1:$port" -type "$typ" -n "$GCELEMS")
				f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
				echo "| $typ | $target | $GCELEMS | $(f get_p50_us) | $(f get_p99_us) | $(f get_p999_us) | $(f gc_cycles) | $(f gc_pause_p99_us) | $(f gc_pause_max_us) | $(f gc_cpu_fraction) |"
				redis-cli -p "$port" flushall >/dev/null
			done
		done
	} >"$gc"
	cat "$gc"
	stop_servers
fi
load_after=$(loadavg)
echo "load average after: $load_after" >&2

if [ "$WRITE" = 1 ]; then
	section="$work/section.md"
	{
		echo "<!-- types:begin -->"
		measured_header "unpipelined"
		echo
		cat "$table"
		echo
		cat "$mem"
		if [ -s "$gc" ]; then
			echo
			cat "$gc"
		fi
		echo "<!-- types:end -->"
	} >"$section"
	write_section "$root/docs/BENCHMARKS.md" types "$section"
fi
