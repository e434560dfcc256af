#!/usr/bin/env bash
# Cluster benchmark on loopback: a 3-node meshcache cluster (replicas 1,
# --replica-ack one) against a Redis Cluster of 3 masters + 3 replicas on
# the same machine, side by side in one run, alternating the targets each
# round. Per round and target:
#
#   - cluster: redis-benchmark --cluster -t set,get (the client sends every
#     command straight to the owner of its key's slot);
#   - plain (meshcache only): a plain redis-benchmark -t set,get through one
#     node, which forwards the commands of the other nodes' slots (about
#     2/3). A Redis Cluster node answers those -MOVED, so there is no redis
#     figure: the plain row's ratio is to Redis Cluster's cluster-client
#     figure, and "plain / cluster" is to meshcache's own cluster figure.
#
# CPU per request is the user+system time of all the target's server
# processes together (from /proc/PID/stat) divided by the requests.
# BASELINE=path/to/meshcache adds a second meshcache cluster from another
# build (e.g. main's) as the target "baseline", run in the same rounds.
# Medians of ROUNDS rounds go to stdout as a Markdown table, with the load
# average before and after.
#
#   tests/bench/cluster.sh                      # 3 rounds of 1M requests
#   ROUNDS=5 N=2000000 tests/bench/cluster.sh
#   BASELINE=/tmp/meshcache-main tests/bench/cluster.sh
#   NODE_ARGS="--event-loops 1" tests/bench/cluster.sh
#   PERNODE=1 tests/bench/cluster.sh            # and the per-node table
#
# PERNODE=1 adds two more runs of each meshcache workload and a second
# table: per node and per request, the CPU time, and the system calls
# (read, write, epoll_pwait, futex) and context switches counted by perf
# stat. The counts hardly move with the host's load, where times do (it
# needs perf with the syscalls tracepoints: Debian's linux-perf, as root).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
# With --cluster, redis-benchmark ends a run on its 250 ms progress timer, so
# its requests per second are N over a multiple of 250 ms (plus a few ms):
# runs must last seconds for that to be small. 1M requests take 5-10 s
# here (at most 5% off); 300k took under 2 s and read 199,867 GETs a
# second for both meshcache and Redis Cluster when 1.5M read 0.93x.
N=${N:-1000000}
CLIENTS=${CLIENTS:-50}
BASE=${BASE:-18600}        # meshcache nodes on BASE..BASE+2 (cluster ports +10000)
BBASE=${BBASE:-18610}      # the baseline's nodes
RBASE=${RBASE:-18620}      # Redis Cluster nodes on RBASE..RBASE+5 (bus ports +10000)
BASELINE=${BASELINE:-}
PERNODE=${PERNODE:-0}
if [ "$PERNODE" = 1 ] && ! perf stat -e syscalls:sys_enter_read true >/dev/null 2>&1; then
	echo "bench: PERNODE=1 needs perf with the syscalls tracepoints (apt-get install linux-perf; as root)" >&2
	exit 1
fi
# NODE_ARGS: extra flags for every meshcache node of both builds, e.g.
# NODE_ARGS="--event-loops 1".
read -r -a node_args <<<"${NODE_ARGS:-}"
# NODE_GOMAXPROCS: each meshcache node's GOMAXPROCS. By default its share of
# the machine's cores (nproc / 3, at least 1), as a container with that CPU
# limit would get from the Go runtime: three nodes that each take every core
# for their own schedule six processors on two cores here, and cost 12-35% more
# CPU per cluster SET (BENCHMARKS.md). Redis Cluster's servers are one
# thread each. 0 leaves the runtime's default (every core).
NODE_GOMAXPROCS=${NODE_GOMAXPROCS:-$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))}
node_env=()
[ "$NODE_GOMAXPROCS" != 0 ] && node_env=(env "GOMAXPROCS=$NODE_GOMAXPROCS")
PIN=0 # nine server processes on two cores: no pinning
MPORT=$BASE RPORT=$RBASE   # for lib.sh

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=lib.sh
. "$root/tests/bench/lib.sh"

echo "building meshcache" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)

declare -A tpids # target -> space-separated server pids
declare -A tport # target -> client port of its first node

wait_ping() {
	for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done
	redis-cli -p "$1" ping >/dev/null
}
free_port() {
	if redis-cli -p "$1" ping >/dev/null 2>&1; then
		echo "bench: port $1 is already serving; choose BASE/BBASE/RBASE" >&2
		exit 1
	fi
}

# start_mesh TARGET BINARY BASE: a 3-node cluster on BASE..BASE+2, each
# joining the first, waited for until every node's table covers every slot.
start_mesh() {
	local target=$1 bin=$2 base=$3 i port ps=() ok info
	for i in 0 1 2; do
		port=$((base + i))
		free_port "$port"
		join=()
		[ "$i" -gt 0 ] && join=(--join "127.0.0.1:$((base + 10000))")
		"${node_env[@]}" "$bin" --port "$port" "${join[@]}" --replicas 1 --replica-ack one --log-level warn "${node_args[@]}" >"$work/$target$i.log" 2>&1 &
		ps+=($!) pids+=($!)
	done
	for _ in $(seq 1 300); do
		ok=1
		for i in 0 1 2; do
			info=$(redis-cli -p $((base + i)) cluster info 2>/dev/null || true)
			grep -q '^cluster_state:ok' <<<"$info" && grep -q '^cluster_known_nodes:3' <<<"$info" &&
				grep -q '^cluster_slots_assigned:16384' <<<"$info" || ok=0
		done
		[ "$ok" = 1 ] && break
		sleep 0.1
	done
	[ "$ok" = 1 ] || { echo "bench: $target did not converge" >&2; cat "$work/$target"*.log >&2; exit 1; }
	tpids[$target]="${ps[*]}" tport[$target]=$base
}

# start_redis_cluster: 6 redis-servers in cluster mode, 3 masters with a
# replica each, waited for until every node says cluster_state:ok.
start_redis_cluster() {
	local i port ps=() addrs=() ok
	for i in 0 1 2 3 4 5; do
		port=$((RBASE + i))
		free_port "$port"
		mkdir -p "$work/redis$i"
		(cd "$work/redis$i" && exec redis-server --port "$port" --cluster-enabled yes --cluster-config-file nodes.conf \
			--save "" --appendonly no --daemonize no >"$work/redis$i.log" 2>&1) &
		ps+=($!) pids+=($!) addrs+=("127.0.0.1:$port")
	done
	for i in 0 1 2 3 4 5; do wait_ping $((RBASE + i)); done
	redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$work/redis-create.log" 2>&1 ||
		{ cat "$work/redis-create.log" >&2; exit 1; }
	for _ in $(seq 1 300); do
		ok=1
		for i in 0 1 2 3 4 5; do
			redis-cli -p $((RBASE + i)) cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
			# every node sees the three replicas (redis-benchmark skips a master without slots)
			[ "$(redis-cli -p $((RBASE + i)) cluster nodes 2>/dev/null | grep -c slave)" = 3 ] || ok=0
		done
		[ "$ok" = 1 ] && break
		sleep 0.1
	done
	[ "$ok" = 1 ] || { echo "bench: Redis Cluster did not reach cluster_state:ok" >&2; exit 1; }
	tpids[redis]="${ps[*]}" tport[redis]=$RBASE
}

ticks() { local p t=0; for p in $1; do t=$((t + $(cputicks "$p"))); done; echo "$t"; }

# run_bench TARGET MODE TEST -> "TARGET MODE TEST rps p99_ms cpu_us_per_req"
run_bench() {
	local target=$1 mode=$2 test=${3^^} cluster=() before after out
	[ "$mode" = cluster ] && cluster=(--cluster)
	before=$(ticks "${tpids[$target]}")
	out=$(redis-benchmark -p "${tport[$target]}" "${cluster[@]}" -t "${test,,}" -n "$N" -c "$CLIENTS" -r 100000 -d 32 --csv 2>/dev/null |
		awk -F, -v t="$test" '{ gsub(/"/, "") } $1 == t { print $2, $7; exit }')
	after=$(ticks "${tpids[$target]}")
	[ -n "$out" ] || { echo "bench: no result from redis-benchmark ($target $mode $test)" >&2; exit 1; }
	awk -v h="$target $mode $test" -v out="$out" -v a="$before" -v b="$after" -v t="$(getconf CLK_TCK)" -v n="$N" \
		'BEGIN { printf "%s %s %.2f\n", h, out, (b - a) / t * 1e6 / n }'
}

# per_node TARGET MODE TEST: two more runs of N requests, one line per
# node: "MODE TEST nodeI read write epoll_pwait futex switches cpu_us", per
# request. The CPU time is the first run's; the counts, the second's, under
# perf stat, whose tracepoints cost each counted call time of its own.
per_node() {
	local target=$1 mode=$2 test=$3 cluster=() p i perfs=() before=() cpu=() events
	[ "$mode" = cluster ] && cluster=(--cluster)
	bench_once() { redis-benchmark -p "${tport[$target]}" "${cluster[@]}" -t "${test,,}" -n "$N" -c "$CLIENTS" -r 100000 -d 32 -q >/dev/null 2>&1; }
	for p in ${tpids[$target]}; do before+=("$(cputicks "$p")"); done
	bench_once
	i=0
	for p in ${tpids[$target]}; do
		cpu+=("$(awk -v a="${before[i]}" -v b="$(cputicks "$p")" -v t="$(getconf CLK_TCK)" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / t * 1e6 / n }')")
		i=$((i + 1))
	done
	events=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex,sched:sched_switch
	i=0
	for p in ${tpids[$target]}; do
		perf stat -x, -e "$events" -p "$p" -o "$work/perf$i.csv" &
		perfs+=($!) pids+=($!) # the exit trap stops them if the run fails
		i=$((i + 1))
	done
	sleep 0.5 # perf attached
	bench_once
	kill -INT "${perfs[@]}"
	wait "${perfs[@]}" 2>/dev/null || true
	for i in "${!cpu[@]}"; do
		awk -F, -v h="$mode $test node$i" -v n="$N" -v c="${cpu[i]}" '
			/^[0-9]/ { v[++k] = $1 / n }
			END { printf "%s %.3f %.3f %.3f %.3f %.3f %s\n", h, v[1], v[2], v[3], v[4], v[5], c }' "$work/perf$i.csv"
	done
}

load_before=$(loadavg) stat_before=$(cpustat)
echo "load average before: $load_before" >&2
start_mesh meshcache "$work/meshcache" "$BASE"
targets=(meshcache)
if [ -n "$BASELINE" ]; then
	start_mesh baseline "$BASELINE" "$BBASE"
	targets+=(baseline)
fi
start_redis_cluster
targets+=(redis)
sleep 3 # let the coordinators settle (replicas synced, no rebalance in flight)

results="$work/results.txt"
: >"$results"
for round in $(seq "$ROUNDS"); do
	order=("${targets[@]}")
	if [ $((round % 2)) = 0 ]; then # reverse the order every other round
		order=()
		for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[i]}"); done
	fi
	for target in "${order[@]}"; do
		for t in set get; do
			run_bench "$target" cluster "$t" >>"$results"
			[ "$target" = redis ] || run_bench "$target" plain "$t" >>"$results"
		done
	done
	echo "round $round done" >&2
done
pernode="$work/pernode.txt"
: >"$pernode"
if [ "$PERNODE" = 1 ]; then
	for t in set get; do
		for mode in cluster plain; do per_node meshcache "$mode" "$t" >>"$pernode"; done
	done
fi
load_after=$(loadavg) steal=$(steal_since "$stat_before")
echo "load average after: $load_after; CPU time stolen by the host: $steal" >&2

pick() { awk -v t="$1" -v m="$2" -v c="$3" -v col="$4" '$1 == t && $2 == m && $3 == c { print $col }' "$results" | median; }
echo "| target | client | test | rps | ratio to Redis Cluster | plain / cluster | p99 ms | CPU us/req |"
echo "|---|---|---|---|---|---|---|---|"
for test in SET GET; do
	rr=$(pick redis cluster "$test" 4)
	for target in "${targets[@]}"; do
		for mode in cluster plain; do
			[ "$target" = redis ] && [ "$mode" = plain ] && continue
			r=$(pick "$target" "$mode" "$test" 4) p=$(pick "$target" "$mode" "$test" 5) c=$(pick "$target" "$mode" "$test" 6)
			own=$(pick "$target" cluster "$test" 4)
			awk -v h="| $target | $mode | $test" -v r="$r" -v rr="$rr" -v own="$own" -v m="$mode" -v p="$p" -v c="$c" 'BEGIN {
				pc = (m == "plain") ? sprintf("%.2fx", r / own) : "-"
				printf "%s | %.0f | %.2fx | %s | %.3f | %.2f |\n", h, r, r / rr, pc, p, c }'
		done
	done
done
echo
echo "$ROUNDS alternating rounds of $N requests, $CLIENTS clients, unpipelined, -r 100000 -d 32, medians;"
[ -n "${NODE_ARGS:-}" ] && echo "meshcache nodes started with: $NODE_ARGS."
if [ "$NODE_GOMAXPROCS" != 0 ]; then
	echo "meshcache nodes ran with GOMAXPROCS=$NODE_GOMAXPROCS (each node's share of $(nproc) cores; NODE_GOMAXPROCS=0 for the runtime's default)."
else
	echo "meshcache nodes ran with the runtime's GOMAXPROCS ($(nproc), every core each)."
fi
echo "load average (1, 5, 15 min) before: $load_before, after: $load_after; CPU time stolen by the host (a VM's steal) during the run: $steal."
if [ -s "$pernode" ]; then
	echo
	echo "Per node and request (two more runs of each workload: CPU time from the first, system calls and"
	echo "context switches from the second, under perf stat; plain clients connect to node0):"
	echo
	echo "| client | test | node | read | write | epoll_pwait | futex | context switches | CPU us |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while read -r mode test node r w e f cs cpu; do
		echo "| $mode | ${test^^} | $node | $r | $w | $e | $f | $cs | $cpu |"
	done <"$pernode"
fi
