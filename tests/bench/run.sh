#!/usr/bin/env bash
# Benchmarks one meshcache node against redis-server on this machine, side by
# side in one run: redis-benchmark SET and GET, unpipelined and with -P 16,
# for each number of clients in CLIENTS (default 50 and 500) and each pinning
# in PINS (default pinned, then unpinned), alternating the two servers for
# several rounds and printing the ratios of throughput, p50, p99 and CPU per
# request (meshcache / redis-server); then bytes per
# key for 1M keys (16-byte keys, 32-byte values) as RSS growth of each process,
# each server freshly started; then (GCKEYS > 0) GET latency and Go GC pauses
# with 10M keys while a writer churns values (tests/bench/gcpause). Medians
# and ratios go to stdout and, with WRITE=1, into docs/BENCHMARKS.md.
#
# Pinned (PINS 1), each server runs on one CPU and redis-benchmark on the
# other, so both servers get the same hardware; unpinned (PINS 0), each
# shares both CPUs with redis-benchmark (meshcache then has two CPUs for its
# goroutines; redis-server's main thread uses one). The memory and GC steps
# run with the first of PINS.
#
#   tests/bench/run.sh                 # default: 5 rounds of 200k requests
#   ROUNDS=3 N=100000 tests/bench/run.sh
#   GCKEYS=0 tests/bench/run.sh        # skip the 10M-key GC step
#   CLIENTS=50 PINS=1 tests/bench/run.sh   # one configuration only
#
# The machine should be quiet: the load average is printed before and after
# and written with the results.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-200000}
CLIENTS_LIST=${CLIENTS:-50 500}
KEYS=${KEYS:-1000000}
GCKEYS=${GCKEYS:-10000000}
PINS=${PINS:-1 0}
PIN=${PINS%% *}
CLIENTS=${CLIENTS_LIST%% *}
WRITE=${WRITE:-0}
MPORT=${MPORT:-17379}
RPORT=${RPORT:-17380}

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache, memkeys and gcpause" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache && go build -o "$work/memkeys" ./tests/bench/memkeys &&
	go build -o "$work/gcpause" ./tests/bench/gcpause)

load_before=$(loadavg) stat_before=$(cpustat)
echo "load average before: $load_before" >&2

results="$work/results.txt"
: >"$results"
for pin in $PINS; do
	set_pinning "$pin"
	start_servers
	for CLIENTS in $CLIENTS_LIST; do
		for round in $(seq "$ROUNDS"); do
			for target in $(targets "$round"); do
				use_target "$target"
				for p in 1 16; do
					for t in set get; do
						bench_lat "$port" "$p" "$t" "$pid" | while read -r test rps p50 p99 cpu; do
							echo "$target $pin $CLIENTS $p $test $rps $p50 $p99 $cpu" >>"$results"
						done
					done
				done
			done
			echo "pinned $pin, $CLIENTS clients: round $round done" >&2
		done
	done
	stop_servers
done
CLIENTS=${CLIENTS_LIST%% *}
set_pinning "$PIN"

# pick TARGET PIN CLIENTS PIPELINE TEST COLUMN: the median of a column.
pick() {
	awk -v t="$1" -v pin="$2" -v cl="$3" -v p="$4" -v c="$5" -v col="$6" \
		'$1 == t && $2 == pin && $3 == cl && $4 == p && $5 == c { print $col }' "$results" | median
}

table="$work/table.md"
{
	echo "| test | pinned | clients | pipeline | meshcache rps | redis rps | throughput ratio | meshcache p50 ms | redis p50 ms | p50 ratio | meshcache p99 ms | redis p99 ms | p99 ratio | meshcache CPU us/req | redis CPU us/req | CPU ratio |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for pin in $PINS; do
		for cl in $CLIENTS_LIST; do
			for test in SET GET; do
				for p in 1 16; do
					mr=$(pick meshcache "$pin" "$cl" "$p" "$test" 6) rr=$(pick redis "$pin" "$cl" "$p" "$test" 6)
					m5=$(pick meshcache "$pin" "$cl" "$p" "$test" 7) r5=$(pick redis "$pin" "$cl" "$p" "$test" 7)
					mp=$(pick meshcache "$pin" "$cl" "$p" "$test" 8) rp=$(pick redis "$pin" "$cl" "$p" "$test" 8)
					mc=$(pick meshcache "$pin" "$cl" "$p" "$test" 9) rc=$(pick redis "$pin" "$cl" "$p" "$test" 9)
					awk -v t="$test" -v pin="$([ "$pin" = 1 ] && echo yes || echo no)" -v cl="$cl" -v p="$p" \
						-v mr="$mr" -v rr="$rr" -v m5="$m5" -v r5="$r5" -v mp="$mp" -v rp="$rp" -v mc="$mc" -v rc="$rc" 'BEGIN {
						printf "| %s | %s | %s | %s | %.0f | %.0f | %.2fx | %.3f | %.3f | %.2fx | %.3f | %.3f | %.2fx | %.2f | %.2f | %.2fx |\n",
							t, pin, cl, p, mr, rr, (rr > 0 ? mr / rr : 0), m5, r5, (r5 > 0 ? m5 / r5 : 0), mp, rp, (rp > 0 ? mp / rp : 0),
							mc, rc, (rc > 0 ? mc / rc : 0) }'
				done
			done
		done
	done
} >"$table"
cat "$table"

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
load_after=$(loadavg) steal=$(steal_since "$stat_before")
echo "load average after: $load_after; CPU time stolen by the host: $steal" >&2

if [ "$WRITE" = 1 ]; then
	out="$root/docs/BENCHMARKS.md"
	section="$work/section.md"
	{
		echo "<!-- single-node:begin -->"
		echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
		echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $ROUNDS alternating rounds of $N requests per test,"
		echo "medians (the table's columns say the pinning and the clients; the memory and GC steps ran pinned: $([ ${#server_cpu[@]} -gt 0 ] && echo yes || echo no));"
		echo "load average (1, 5, 15 min) before: $load_before, after: $load_after; CPU time stolen by the host (a VM's steal) during the run: $steal."
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
