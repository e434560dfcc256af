#!/usr/bin/env bash
# Instructions and last-level cache misses per command, meshcache beside
# redis-server, counted by valgrind's cachegrind (issue 19). Unlike times,
# these counts hardly move with the machine's load, so two builds (or the
# two servers) compare on a shared, noisy host. Each server runs alone
# under cachegrind (D1 32 KB, LL 1 MB, standing for L2) through the same
# load: SETS SETs then GETS GETs of a 32-byte value over 100,000 random
# keys, 50 clients, pipeline P; the commands counted are the server's own
# total_commands_processed, so a run that lost requests shows.
#
#   tests/bench/cachegrind.sh            # both servers, -P 16
#   P=1 SETS=50000 GETS=100000 tests/bench/cachegrind.sh
#   BIN=/path/to/meshcache ONLY=meshcache tests/bench/cachegrind.sh
#
# It prints one line per server: instructions, per command, LL misses, per
# command; the cachegrind output files stay in OUT (default a new temp dir)
# for cg_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=${P:-16} SETS=${SETS:-200000} GETS=${GETS:-400000} PORT=${PORT:-7390}
ONLY=${ONLY:-} OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "cachegrind: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "cachegrind: redis-benchmark not found (apt-get install redis-tools)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
	BIN=$OUT/meshcache
	CGO_ENABLED=0 go build -o "$BIN" ./cmd/meshcache
fi

# measure NAME CMD...: runs CMD under cachegrind on PORT through the load.
measure() {
	local name=$1; shift
	valgrind --tool=cachegrind --cache-sim=yes --LL=1048576,16,64 \
		--cachegrind-out-file="$OUT/cachegrind.$name" "$@" >"$OUT/$name.log" 2>&1 &
	local pid=$!
	for _ in $(seq 1200); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
	redis-cli -p "$PORT" ping >/dev/null
	redis-benchmark -p "$PORT" -c 50 -P "$P" -r 100000 -d 32 -n "$SETS" -t set -q >/dev/null
	redis-benchmark -p "$PORT" -c 50 -P "$P" -r 100000 -d 32 -n "$GETS" -t get -q >/dev/null
	local cmds
	cmds=$(redis-cli -p "$PORT" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" { print $2 }')
	kill -INT "$pid"
	wait "$pid" || true
	local summary
	summary=$(grep -E '(I|LL) +refs|LLd misses|LL misses' "$OUT/$name.log" | tr -d ',')
	local ir ll
	ir=$(echo "$summary" | awk '/I +refs/ { print $NF }')
	ll=$(echo "$summary" | awk '/LL misses/ { print $4 }')
	awk -v n="$name" -v ir="$ir" -v ll="$ll" -v c="$cmds" 'BEGIN {
		printf "%-10s commands %d  instructions %.0f  per command %.0f  LL misses %.0f  per command %.1f\n", n, c, ir, ir / c, ll, ll / c }'
}

if [ "$ONLY" != redis ]; then
	measure meshcache "$BIN" --port "$PORT" --log-level warn
fi
if [ "$ONLY" != meshcache ]; then
	measure redis redis-server --port "$PORT" --save "" --appendonly no --daemonize no
fi
echo "cachegrind files in $OUT"
