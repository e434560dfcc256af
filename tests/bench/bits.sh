#!/usr/bin/env bash
# Benchmarks the bitmap and HyperLogLog commands of one meshcache node
# against redis-server on this machine, side by side in one run (issue 20's
# speed goal: >= 0.9x): redis-benchmark with custom commands, 50 clients,
# unpipelined, alternating the two servers for several rounds:
#
#   SETBIT bm:<rand> 7 1      GETBIT bm:<rand> 7      BITCOUNT big (10 KB)
#   PFADD hll <rand>          PFCOUNT hll
#
# (redis-benchmark's __rand_int__ is zero-padded, which no bit offset
# parser accepts, so the random part is the key or the element.) With
# BASE=<git revision>, it then runs SET and GET against meshcache built at
# BASE and at the work tree, alternating, to measure a change's cost (issue
# 20's expiry clock). Medians and ratios go to stdout and, with WRITE=1,
# into docs/BENCHMARKS.md.
#
#   tests/bench/bits.sh                       # 3 rounds of 100k requests
#   BASE=052230c ROUNDS=5 tests/bench/bits.sh
set -euo pipefail

ROUNDS=${ROUNDS:-3}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
PIN=${PIN:-1}
WRITE=${WRITE:-0}
BASE=${BASE:-}
MPORT=${MPORT:-17383}
RPORT=${RPORT:-17384}

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)
load_before=$(loadavg)
echo "load average before: $load_before" >&2

# benchcmd PORT PID NAME COMMAND... -> "NAME rps p99_ms cpu_us_per_request"
benchcmd() {
	local port=$1 pid=$2 name=$3 before after
	shift 3
	before=$(cputicks "$pid")
	"${bench_cpu[@]}" redis-benchmark -p "$port" -n "$N" -c "$CLIENTS" -r 100000 --csv "$@" |
		awk -F, -v n="$name" 'NR > 1 { gsub(/"/, ""); printf "%s %s %s", n, $2, $7 }'
	after=$(cputicks "$pid")
	awk -v a="$before" -v b="$after" -v t="$(getconf CLK_TCK)" -v n="$N" 'BEGIN { printf " %.2f\n", (b - a) / t * 1e6 / n }'
}

tests=(
	"setbit|SETBIT bm:__rand_int__ 7 1"
	"getbit|GETBIT bm:__rand_int__ 7"
	"bitcount|BITCOUNT big"
	"pfadd|PFADD hll __rand_int__"
	"pfcount|PFCOUNT hll"
)

start_servers
results="$work/results.txt"
: >"$results"
for round in $(seq "$ROUNDS"); do
	for target in $(targets "$round"); do
		use_target "$target"
		redis-cli -p "$port" flushall >/dev/null
		redis-cli -p "$port" setbit big 81919 1 >/dev/null
		for t in "${tests[@]}"; do
			# shellcheck disable=SC2086 # the command is split into words on purpose
			benchcmd "$port" "$pid" "${t%%|*}" ${t#*|} >>"$results.$target"
		done
	done
	echo "round $round done" >&2
done
stop_servers
for target in meshcache redis; do sed "s/^/$target /" "$results.$target" >>"$results"; done

pick() { awk -v t="$1" -v c="$2" -v col="$3" '$1 == t && $2 == c { print $col }' "$results" | median; }
table="$work/table.md"
{
	echo "| test | meshcache rps | redis rps | throughput ratio | meshcache p99 ms | redis p99 ms | meshcache CPU us/req | redis CPU us/req |"
	echo "|---|---|---|---|---|---|---|---|"
	for t in "${tests[@]}"; do
		test=${t%%|*}
		mr=$(pick meshcache "$test" 3) rr=$(pick redis "$test" 3)
		mp=$(pick meshcache "$test" 4) rp=$(pick redis "$test" 4)
		mc=$(pick meshcache "$test" 5) rc=$(pick redis "$test" 5)
		awk -v t="$test" -v mr="$mr" -v rr="$rr" -v mp="$mp" -v rp="$rp" -v mc="$mc" -v rc="$rc" 'BEGIN {
			printf "| %s | %.0f | %.0f | %.2fx | %.3f | %.3f | %.1f | %.1f |\n", t, mr, rr, mr / rr, mp, rp, mc, rc }'
	done
} >"$table"
cat "$table"

clock="$work/clock.md"
: >"$clock"
if [ -n "$BASE" ]; then
	echo "building meshcache at $BASE" >&2
	mkdir "$work/base"
	(cd "$root" && git archive "$BASE" | tar -x -C "$work/base")
	(cd "$work/base" && go build -o "$work/meshcache-base" ./cmd/meshcache)
	"${server_cpu[@]}" "$work/meshcache" --port "$MPORT" --log-level warn >"$work/new.log" 2>&1 &
	npid=$!
	"${server_cpu[@]}" "$work/meshcache-base" --port "$RPORT" --log-level warn >"$work/base.log" 2>&1 &
	bpid=$!
	pids=("$npid" "$bpid")
	for port in "$MPORT" "$RPORT"; do
		for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
		redis-cli -p "$port" ping >/dev/null
	done
	cres="$work/clock.txt"
	: >"$cres"
	for round in $(seq "$ROUNDS"); do
		order=(new base)
		[ $((round % 2)) = 0 ] && order=(base new)
		for target in "${order[@]}"; do
			port=$MPORT pid=$npid
			[ "$target" = base ] && port=$RPORT pid=$bpid
			bench "$port" 1 set,get "$pid" | while read -r test rps p99 cpu; do
				echo "$target $test $rps $p99 $cpu" >>"$cres"
			done
		done
		echo "clock round $round done" >&2
	done
	kill "$npid" "$bpid" 2>/dev/null || true
	wait "$npid" "$bpid" 2>/dev/null || true
	pids=()
	cpick() { awk -v t="$1" -v c="$2" -v col="$3" '$1 == t && $2 == c { print $col }' "$cres" | median; }
	{
		echo "| test | work tree rps | $BASE rps | ratio | work tree CPU us/req | $BASE CPU us/req |"
		echo "|---|---|---|---|---|---|"
		for test in SET GET; do
			nr=$(cpick new "$test" 3) br=$(cpick base "$test" 3) nc=$(cpick new "$test" 5) bc=$(cpick base "$test" 5)
			awk -v t="$test" -v nr="$nr" -v br="$br" -v nc="$nc" -v bc="$bc" 'BEGIN {
				printf "| %s | %.0f | %.0f | %.2fx | %.2f | %.2f |\n", t, nr, br, nr / br, nc, bc }'
		done
	} >"$clock"
	cat "$clock"
fi
load_after=$(loadavg)
echo "load average after: $load_after" >&2

if [ "$WRITE" = 1 ]; then
	section="$work/section.md"
	{
		echo "<!-- bits:begin -->"
		measured_header "unpipelined"
		echo
		cat "$table"
		if [ -s "$clock" ]; then
			echo
			echo "SET and GET (redis-benchmark -t set,get, 32-byte values) against meshcache built at the work tree and at $BASE:"
			echo
			cat "$clock"
		fi
		echo "<!-- bits:end -->"
	} >"$section"
	write_section "$root/docs/BENCHMARKS.md" bits "$section"
fi
