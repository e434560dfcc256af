#!/usr/bin/env bash
# Benchmarks Lua scripting on one meshcache node against redis-server on
# this machine, side by side in one run (issue 15's speed goal: EVALSHA of
# a one-call script at >= 0.8x redis-server's throughput): redis-benchmark
# with 50 clients, unpipelined and at -P 16, alternating the two servers
# for several rounds, on
#   incr          INCR key, the command the scripts wrap (the reference);
#   evalsha_incr  EVALSHA of redis.call('INCR', KEYS[1]);
#   evalsha_unlock EVALSHA of the compare-and-delete every lock library
#                 releases with (GET, compare, DEL; the key is absent);
#   fcall_incr    FCALL of a library function doing the same INCR.
# Medians and ratios go to stdout and, with WRITE=1, into docs/BENCHMARKS.md.
#
#   tests/bench/scripts.sh             # default: 5 rounds of 100k requests
#   ROUNDS=3 N=50000 tests/bench/scripts.sh
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
PIN=${PIN:-1}
WRITE=${WRITE:-0}
MPORT=${MPORT:-17383}
RPORT=${RPORT:-17384}

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)
load_before=$(loadavg)
echo "load average before: $load_before" >&2

incr="return redis.call('INCR', KEYS[1])"
unlock="if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
lib="#!lua name=benchlib
redis.register_function('incr', function(keys, args) return redis.call('INCR', keys[1]) end)"

start_servers
results="$work/results.txt"
: >"$results"
for round in $(seq "$ROUNDS"); do
	for target in $(targets "$round"); do
		use_target "$target"
		redis-cli -p "$port" flushall >/dev/null
		sha_incr=$(redis-cli -p "$port" script load "$incr")
		sha_unlock=$(redis-cli -p "$port" script load "$unlock")
		redis-cli -p "$port" function load replace "$lib" >/dev/null
		for pipe in 1 16; do
			{
				bench_cmd "$port" "$pipe" "incr_P$pipe" "$pid" INCR "k:__rand_int__"
				bench_cmd "$port" "$pipe" "evalsha_incr_P$pipe" "$pid" EVALSHA "$sha_incr" 1 "k:__rand_int__"
				bench_cmd "$port" "$pipe" "evalsha_unlock_P$pipe" "$pid" EVALSHA "$sha_unlock" 1 "lock:__rand_int__" token
				bench_cmd "$port" "$pipe" "fcall_incr_P$pipe" "$pid" FCALL incr 1 "k:__rand_int__"
			} | while read -r test rps p99 cpu; do
				echo "$target $test $rps $p99 $cpu" >>"$results"
			done
		done
	done
	echo "round $round done" >&2
done
stop_servers
load_after=$(loadavg)
echo "load average after: $load_after" >&2

table="$work/table.md"
ratio_table "$results" >"$table"
cat "$table"

if [ "$WRITE" = 1 ]; then
	section="$work/section.md"
	{
		echo "<!-- scripts:begin -->"
		measured_header "unpipelined (_P1) and at -P 16 (_P16)"
		echo
		cat "$table"
		echo "<!-- scripts:end -->"
	} >"$section"
	write_section "$root/docs/BENCHMARKS.md" scripts "$section"
fi
