#!/usr/bin/env bash
# Lock benchmark on loopback: acquire+release latency (p50, p99) and cycles
# per second of
#   - the meshcache client's Mutex and package lock's Locker over a 3-node
#     meshcache cluster (LOCK.* commands, Redlock with fencing);
#   - redsync v4.13.0 on 1 and on 3 redis-servers;
#   - package lock's Redis backend (SET NX PX + scripts) on 1 and 3 redis-servers.
# The measuring program is tests/bench/lockbench, a module of its own so that
# redsync stays out of meshcache's go.mod. Its Markdown table goes to stdout
# and, with WRITE=1, into the locks section of docs/BENCHMARKS.md.
#
#   tests/bench/lock.sh
#   CYCLES=5000 WORKERS=16 WRITE=1 tests/bench/lock.sh
set -euo pipefail

CYCLES=${CYCLES:-3000}
WORKERS=${WORKERS:-8}
DURATION=${DURATION:-3s}
WRITE=${WRITE:-0}
BASE=${BASE:-18400} # meshcache on BASE..BASE+2 (cluster ports +10000), redis on BASE+3..BASE+5

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for tool in redis-server redis-cli go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

echo "building meshcache and lockbench" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)
(cd "$root/tests/bench/lockbench" && go build -o "$work/lockbench" .)

mesh=() redis=()
for i in 0 1 2; do
	port=$((BASE + i))
	join=()
	[ "$i" -gt 0 ] && join=(--join "127.0.0.1:$((BASE + 10000))")
	"$work/meshcache" --bind 127.0.0.1 --port "$port" --gossip local --log-level warn "${join[@]}" >"$work/mesh$i.log" 2>&1 &
	pids+=($!)
	mesh+=("127.0.0.1:$port")
	[ "$i" -eq 0 ] && sleep 0.5
done
for i in 3 4 5; do
	port=$((BASE + i))
	redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no >"$work/redis$i.log" 2>&1 &
	pids+=($!)
	redis+=("127.0.0.1:$port")
done
for i in 0 1 2 3 4 5; do
	port=$((BASE + i))
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
	redis-cli -p "$port" ping >/dev/null
done
for i in 0 1 2; do
	for _ in $(seq 300); do
		redis-cli -p $((BASE + i)) cluster info | grep -q 'cluster_known_nodes:3' && break
		sleep 0.1
	done
	redis-cli -p $((BASE + i)) cluster info | grep -q 'cluster_known_nodes:3' || { echo "bench: cluster did not form" >&2; cat "$work"/mesh*.log >&2; exit 1; }
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
table=$("$work/lockbench" --meshcache "$(IFS=,; echo "${mesh[*]}")" --redis "$(IFS=,; echo "${redis[*]}")" \
	--cycles "$CYCLES" --workers "$WORKERS" --duration "$DURATION")
echo "$table"

if [ "$WRITE" = 1 ]; then
	doc="$root/docs/BENCHMARKS.md"
	section=$(cat <<SECTION
<!-- locks:begin -->
## Locks

Acquire + release of one lock, on loopback, all servers and the client on one
$(nproc)-core machine ($(uname -m), $(go env GOVERSION)), measured by
\`tests/bench/lock.sh\` ($CYCLES sequential cycles for the latency and the
1-client rate; $WORKERS clients on distinct names for $DURATION for the last
column). Every row is a full Redlock round: grant on a quorum, then release on
every endpoint; the meshcache rows also confirm the fencing token on a quorum
(one more round trip) and start and stop the renewal watchdog.

$table

Run on $(date -u +%Y-%m-%d), load average $load at the start (the machine was
shared with other builds and tests: compare rows of one run, not runs).
<!-- locks:end -->
SECTION
)
	mkdir -p "$(dirname "$doc")"
	[ -f "$doc" ] || printf '# meshcache benchmarks\n' >"$doc"
	if grep -q '<!-- locks:begin -->' "$doc"; then
		SECTION="$section" python3 - "$doc" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'<!-- locks:begin -->.*?<!-- locks:end -->', lambda m: os.environ['SECTION'], s, flags=re.S)
open(p, 'w').write(s)
PY
	else
		printf '\n%s\n' "$section" >>"$doc"
	fi
	echo "bench: wrote the locks section of $doc" >&2
fi
