#!/usr/bin/env bash
# Benchmarks one meshcache node against redis-server on this machine, side by
# side in one run: redis-benchmark SET and GET with 50 clients, unpipelined and
# with -P 16, alternating the two servers for several rounds; then bytes per
# key for 1M keys (16-byte keys, 32-byte values) as RSS growth of each process,
# each server freshly started; then (GCKEYS > 0) GET latency and Go GC pauses
# with 10M keys while a writer churns values (tests/bench/gcpause). Medians
# and ratios go to stdout and, with WRITE=1, into docs/BENCHMARKS.md.
#
# Each server runs pinned to one CPU and redis-benchmark to the other (PIN=0
# turns that off), so both servers get the same hardware.
#
#   tests/bench/run.sh                 # default: 5 rounds of 200k requests
#   ROUNDS=3 N=100000 tests/bench/run.sh
#   GCKEYS=0 tests/bench/run.sh        # skip the 10M-key GC step
#
# The machine should be quiet: the load average is printed before and after
# and written with the results.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-1000000}
GCKEYS=${GCKEYS:-10000000}
PIN=${PIN:-1}
WRITE=${WRITE:-0}
MPORT=${MPORT:-17379}
RPORT=${RPORT:-17380}

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
	order=(meshcache redis)
	[ $((round % 2)) = 0 ] && order=(redis meshcache)
	for target in "${order[@]}"; do
		port=$MPORT pid=$mpid
		[ "$target" = redis ] && port=$RPORT pid=$rpid
		for p in 1 16; do
			for t in set get; do
				bench "$port" "$p" "$t" "$pid" | while read -r test rps p99 cpu; do
					echo "$target $p $test $rps $p99 $cpu" >>"$results"
				done
			done
		done
	done
	echo "round $round done" >&2
done

pick() { awk -v t="$1" -v p="$2" -v c="$3" -v col="$4" '$1 == t && $2 == p && $3 == c { print $col }' "$results" | median; }

table="$work/table.md"
{
	echo "| test | pipeline | meshcache rps | redis rps | throughput ratio | meshcache p99 ms | redis p99 ms | p99 ratio | meshcache CPU us/req | redis CPU us/req | CPU ratio |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for test in SET GET; do
		for p in 1 16; do
			mr=$(pick meshcache "$p" "$test" 4) rr=$(pick redis "$p" "$test" 4)
			mp=$(pick meshcache "$p" "$test" 5) rp=$(pick redis "$p" "$test" 5)
			mc=$(pick meshcache "$p" "$test" 6) rc=$(pick redis "$p" "$test" 6)
			awk -v t="$test" -v p="$p" -v mr="$mr" -v rr="$rr" -v mp="$mp" -v rp="$rp" -v mc="$mc" -v rc="$rc" 'BEGIN {
				printf "| %s | %s | %.0f | %.0f | %.2fx | %.3f | %.3f | %.2fx | %.2f | %.2f | %.2fx |\n", t, p, mr, rr, mr / rr, mp, rp, (rp > 0 ? mp / rp : 0), mc, rc, (rc > 0 ? mc / rc : 0) }'
		done
	done
} >"$table"
cat "$table"

stop_servers
start_servers
echo "loading $KEYS keys into each freshly started server" >&2
mem="$work/mem.md"
{
	echo "| server | keys | RSS growth bytes/key |"
	echo "|---|---|---|"
	for target in meshcache redis; do
		port=$MPORT pid=$mpid
		[ "$target" = redis ] && port=$RPORT pid=$rpid
		line=$("$work/memkeys" -addr "127.0.0.1:$port" -pid "$pid" -n "$KEYS")
		bpk=$(sed -n 's/.*bytes_per_key=\([0-9.]*\).*/\1/p' <<<"$line")
		echo "| $target | $KEYS | $bpk |"
	done
} >"$mem"
cat "$mem"
stop_servers

gc="$work/gc.md"
: >"$gc"
if [ "$GCKEYS" -gt 0 ]; then
	start_servers
	echo "loading $GCKEYS keys into each server for the GC step" >&2
	{
		echo "| server | keys | GET p50 us | GET p99 us | GET p99.9 us | GET max us | GC cycles | GC pause p99 us | GC pause max us | GC CPU share | GOGC |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		for target in meshcache redis; do
			port=$MPORT
			[ "$target" = redis ] && port=$RPORT
			line=$("${bench_cpu[@]}" "$work/gcpause" -addr "127.0.0.1:$port" -n "$GCKEYS")
			f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
			echo "| $target | $GCKEYS | $(f get_p50_us) | $(f get_p99_us) | $(f get_p999_us) | $(f get_max_us) | $(f gc_cycles) | $(f gc_pause_p99_us) | $(f gc_pause_max_us) | $(f gc_cpu_fraction) | $(f gogc) |"
			redis-cli -p "$port" flushall >/dev/null
		done
	} >"$gc"
	cat "$gc"
	stop_servers
fi
load_after=$(loadavg)
echo "load average after: $load_after" >&2

if [ "$WRITE" = 1 ]; then
	out="$root/docs/BENCHMARKS.md"
	section="$work/section.md"
	{
		echo "<!-- single-node:begin -->"
		echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
		echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $ROUNDS alternating rounds of $N requests, $CLIENTS clients,"
		echo "medians; servers pinned to one CPU and redis-benchmark to the other: $([ ${#server_cpu[@]} -gt 0 ] && echo yes || echo no);"
		echo "load average (1, 5, 15 min) before: $load_before, after: $load_after."
		echo
		cat "$table"
		echo
		cat "$mem"
		if [ -s "$gc" ]; then
			echo
			cat "$gc"
		fi
		echo "<!-- single-node:end -->"
	} >"$section"
	write_section "$out" single-node "$section"
fi
