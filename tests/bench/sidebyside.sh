#!/usr/bin/env bash
# One node, three servers side by side: a baseline meshcache build
# (BASELINE, e.g. the session's starting commit), this tree's build and
# redis-server, rotating their order each round so that drift in the
# machine's load hits all three. Per round and server: a fresh server
# pinned to CPU 1 (redis-benchmark on CPU 0), filled with 100k keys, then
# SET and GET unpipelined (N1 requests) and at -P 16 (N16), 50 clients,
# -r 100000 -d 32. Prints a Markdown table of medians: requests per second,
# p50, p99, CPU per request (user+system of the server process) and the
# ratios to redis-server; the load average and the host's steal (steal.sh)
# per round go to stderr.
#
#   BASELINE=/tmp/meshcache-start tests/bench/sidebyside.sh
#   ROUNDS=3 N1=100000 N16=400000 BASELINE=... tests/bench/sidebyside.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5} N1=${N1:-150000} N16=${N16:-600000} PORT=${PORT:-7400}
: "${BASELINE:?BASELINE=path/to/meshcache (the build to compare with)}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/new" ./cmd/meshcache
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# shellcheck source=steal.sh
. tests/bench/steal.sh
# measure TARGET PID TEST P N: one redis-benchmark run, one result line.
measure() {
	local c0 c1 line
	c0=$(cpu "$2")
	line=$(taskset -c 0 redis-benchmark -p "$PORT" -c 50 -P "$4" -r 100000 -d 32 -n "$5" -t "$3" --csv | tail -1 | tr -d '"')
	c1=$(cpu "$2")
	# csv: test,rps,avg,min,p50,p95,p99,max
	echo "$1 $3 $4 $(echo "$line" | awk -F, '{ print $2, $5, $7 }') $(awk -v a="$c0" -v b="$c1" -v n="$5" 'BEGIN { printf "%.2f", (b - a) * 10000 / n }')" >>"$work/rows"
}
for r in $(seq "$ROUNDS"); do
	round_stat=$(cpustat)
	case $((r % 3)) in 0) order="base new redis" ;; 1) order="new redis base" ;; *) order="redis base new" ;; esac
	for t in $order; do
		case $t in
		base) taskset -c 1 "$BASELINE" --port "$PORT" --log-level warn >/dev/null 2>&1 & ;;
		new) taskset -c 1 "$work/new" --port "$PORT" --log-level warn >/dev/null 2>&1 & ;;
		redis) taskset -c 1 redis-server --port "$PORT" --save "" --appendonly no >/dev/null 2>&1 & ;;
		esac
		pid=$!
		for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
		taskset -c 0 redis-benchmark -p "$PORT" -c 50 -P 16 -r 100000 -d 32 -n 200000 -t set -q >/dev/null
		measure "$t" "$pid" set 1 "$N1"
		measure "$t" "$pid" get 1 "$N1"
		measure "$t" "$pid" set 16 "$N16"
		measure "$t" "$pid" get 16 "$N16"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	done
	echo "round $r: load $(cut -d' ' -f1-3 /proc/loadavg), CPU time stolen by the host $(steal_since "$round_stat")" >&2
done
python3 - "$work/rows" <<'PY'
import sys, statistics as st, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, test, p, *v = line.split()
    rows[(test, p, t)].append([float(x) for x in v])
print("| test | pipeline | server | rps | p50 ms | p99 ms | CPU us/req | rps / redis | p99 / redis | CPU / redis |")
print("|---|---|---|---|---|---|---|---|---|---|")
for test, p in sorted({(k[0], k[1]) for k in rows}):
    med = {t: [st.median(x[i] for x in rows[(test, p, t)]) for i in range(4)] for t in ("base", "new", "redis") if (test, p, t) in rows}
    r = med["redis"]
    for t, m in med.items():
        print(f"| {test.upper()} | {p} | {t} | {m[0]:.0f} | {m[1]:.3f} | {m[2]:.3f} | {m[3]:.2f} | {m[0]/r[0]:.2f}x | {m[2]/r[2]:.2f}x | {m[3]/r[3]:.2f}x |")
PY
