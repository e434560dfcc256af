#!/usr/bin/env bash
# Replica-acknowledgement benchmark on loopback: redis-benchmark SET against
# the primary of the benchmark key's slot in a 3-node cluster with one
# replica per slot, with --replica-ack none (asynchronous) and one (the
# reply waits until the replica applied the write, one wait per pipeline
# batch), unpipelined (-P 1) and pipelined (-P 16); a single meshcache node
# and redis-server for reference. redis-benchmark without -r uses the one
# key "key:__rand_int__", so every command has one primary and one replica.
# Prints a Markdown table of requests per second and the one/none ratio;
# WRITE=1 puts it in the replication section of docs/BENCHMARKS.md.
#
#   tests/bench/replication.sh
#   REQUESTS=200000 CLIENTS=50 WRITE=1 tests/bench/replication.sh
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
ROUNDS=${ROUNDS:-3} # best of ROUNDS runs per cell
WRITE=${WRITE:-0}
BASE=${BASE:-18600} # cluster nodes on BASE..BASE+2, single node BASE+3, redis-server BASE+4

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for tool in redis-cli redis-benchmark redis-server go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
for port in $(seq "$BASE" $((BASE + 4))); do
	if redis-cli -p "$port" ping >/dev/null 2>&1; then
		echo "bench: port $port already serves; refusing to measure a stray server" >&2
		exit 1
	fi
done
echo "building meshcache" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)

for i in 0 1 2; do
	port=$((BASE + i))
	join=()
	[ "$i" -gt 0 ] && join=(--join "127.0.0.1:$((BASE + 10000))")
	"$work/meshcache" --port "$port" "${join[@]}" --replicas 1 --replica-ack one --log-level warn >"$work/node$i.log" 2>&1 &
	pids+=($!)
done
"$work/meshcache" --port $((BASE + 3)) --replicas 0 --log-level warn >"$work/single.log" 2>&1 &
pids+=($!)
redis-server --port $((BASE + 4)) --save '' --appendonly no --logfile "$work/redis.log" &
pids+=($!)

field() { # port section name
	redis-cli -p "$1" info "$2" 2>/dev/null | tr -d '\r' | awk -F: -v n="$3" '$1 == n { print $2 }'
}

# Wait for one table naming the three nodes, every slot assigned, no slot
# moving, every led slot with its replica in sync.
ok=0
for _ in $(seq 1 1200); do
	ok=1
	for i in 0 1 2; do
		p=$((BASE + i))
		info=$(redis-cli -p "$p" cluster info 2>/dev/null || true)
		grep -q '^cluster_state:ok' <<<"$info" && grep -q '^cluster_known_nodes:3' <<<"$info" || ok=0
		[ "$(field "$p" replication slots_degraded)" = 0 ] || ok=0
		[ "$(field "$p" replication slots_replica_syncing)" = 0 ] || ok=0
		[ "$(field "$p" cluster cluster_slots_migrating)" = 0 ] || ok=0
		[ "$(field "$p" cluster cluster_slot_transfers_running)" = 0 ] || ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 0.1
done
[ "$ok" = 1 ] || { echo "bench: cluster did not settle" >&2; cat "$work"/node*.log >&2; exit 1; }
sleep 3 # let the coordinator finish its last round

key='key:__rand_int__'
slot=$(redis-cli -p "$BASE" cluster keyslot "$key")
# redis-cli prints CLUSTER SLOTS flat: per range its start and end, then per
# node ip, port, id and an empty line (the empty map of endpoints).
read -r owner replica < <(redis-cli -p "$BASE" cluster slots | awk -v s="$slot" '
	/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { port = 1; next }
	port { ports[n] = ports[n] " " $0; port = 0; id = 1; next }
	id { id = 0; next }
	/^[0-9]+$/ { if (!half) { n++; lo[n] = $0 + 0; half = 1 } else { hi[n] = $0 + 0; half = 0 }; next }
	END { for (i = 1; i <= n; i++) if (lo[i] <= s + 0 && s + 0 <= hi[i]) print ports[i] }')
[ -n "$owner" ] && [ -n "$replica" ] || { echo "bench: no primary/replica for slot $slot" >&2; exit 1; }
echo "slot $slot of $key: primary :$owner, replica :$replica" >&2

rps() { # port pipeline
	best=0
	for _ in $(seq 1 "$ROUNDS"); do
		v=$(redis-benchmark -p "$1" -t set -n "$REQUESTS" -c "$CLIENTS" -P "$2" -q 2>/dev/null |
			tr '\r' '\n' | awk '$1 == "SET:" { v = $2 } END { print v + 0 }')
		best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
	done
	echo "$best"
}

table="| pipeline | redis-server | meshcache 1 node | primary, replica-ack none | primary, replica-ack one | one / none |
|---|---|---|---|---|---|"
for p in 1 16; do
	r=$(rps $((BASE + 4)) "$p")
	s=$(rps $((BASE + 3)) "$p")
	redis-cli -p "$owner" config set replica-ack none >/dev/null
	n=$(rps "$owner" "$p")
	redis-cli -p "$owner" config set replica-ack one >/dev/null
	o=$(rps "$owner" "$p")
	ratio=$(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.2f", o / n }')
	table+="
| $p | $r | $s | $n | $o | $ratio |"
done
timeouts=$(field "$owner" replication replica_ack_timeouts)
waits=$(field "$owner" replication replica_ack_waits)
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$table"
echo "replica_ack_waits=$waits replica_ack_timeouts=$timeouts load=$load" >&2

if [ "$WRITE" = 1 ]; then
	doc="$root/docs/BENCHMARKS.md"
	[ -f "$doc" ] || printf '# meshcache benchmarks\n' >"$doc"
	section="<!-- replication:begin -->
Measured by \`tests/bench/replication.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, loopback, load
average $load after the runs (other work shared the machine), $CLIENTS clients, $REQUESTS requests per run, best of $ROUNDS).
redis-benchmark SET (one key) against the primary of the key's slot in a 3-node cluster with one
replica per slot; \`replica-ack\` switched with CONFIG SET on that primary. With \`one\`, every
reply waits until the replica applied the write; the wait is made once per pipeline batch, so a
pipelined batch costs one replication round trip. $waits batches waited, $timeouts timed out.
A single meshcache node (no replicas) and redis-server (no replicas) for reference. All
processes share the machine's cores, replica included. The goal is that `one` costs at most
30% of pipelined write throughput against `none` (one / none >= 0.70 at -P 16); unpipelined, the
replication round trip hides behind the 50 clients' own round trips, and differences of
this size are within the noise of a loaded machine.

$table
<!-- replication:end -->"
	if grep -q '<!-- replication:begin -->' "$doc"; then
		python3 - "$doc" "$section" <<'PY'
import sys
path, section = sys.argv[1], sys.argv[2]
s = open(path).read()
a = s.index("<!-- replication:begin -->")
b = s.index("<!-- replication:end -->") + len("<!-- replication:end -->")
open(path, "w").write(s[:a] + section + s[b:])
PY
	else
		printf '\n## Replica acknowledgement\n\n%s\n' "$section" >>"$doc"
	fi
	echo "bench: wrote the replication section of $doc" >&2
fi
