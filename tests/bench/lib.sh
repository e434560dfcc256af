# Shared by the side-by-side benchmark scripts (run.sh, types.sh): sourced
# after MPORT, RPORT, N, CLIENTS and PIN are set. It makes $work (removed
# on exit), picks the CPUs the servers and redis-benchmark run on, starts
# and stops one meshcache and one redis-server, measures one redis-benchmark
# test with the server's CPU time per request, and computes medians.

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for tool in redis-server redis-benchmark redis-cli go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

# set_pinning 0|1: with 1 (and taskset and two CPUs), servers started
# afterwards run on CPU 1 and redis-benchmark on CPU 0; with 0 they share
# every CPU. Sourcing this file applies $PIN.
set_pinning() {
	server_cpu=() bench_cpu=()
	if [ "$1" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
		server_cpu=(taskset -c 1) bench_cpu=(taskset -c 0)
	fi
}
set_pinning "$PIN"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# cpustat and steal_since: the host's steal (steal.sh).
# shellcheck source=steal.sh
. "$(dirname "${BASH_SOURCE[0]}")/steal.sh"

# targets ROUND: the two servers in the order round ROUND measures them
# (alternating, so that drift in the machine's load hits both).
targets() { if [ $(($1 % 2)) = 0 ]; then echo redis meshcache; else echo meshcache redis; fi; }

# use_target TARGET: sets port and pid to those of meshcache or redis.
use_target() {
	port=$MPORT pid=$mpid
	if [ "$1" = redis ]; then port=$RPORT pid=$rpid; fi
}

# start_servers starts $work/meshcache on MPORT and redis-server on RPORT,
# setting mpid and rpid.
start_servers() {
	for port in "$MPORT" "$RPORT"; do
		if redis-cli -p "$port" ping >/dev/null 2>&1; then
			echo "bench: port $port is already serving; choose MPORT/RPORT" >&2
			exit 1
		fi
	done
	"${server_cpu[@]}" "$work/meshcache" --port "$MPORT" --log-level warn >"$work/meshcache.log" 2>&1 &
	mpid=$!
	"${server_cpu[@]}" redis-server --port "$RPORT" --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
	rpid=$!
	pids=("$mpid" "$rpid")
	for port in "$MPORT" "$RPORT"; do
		for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
		redis-cli -p "$port" ping >/dev/null
	done
}
stop_servers() {
	kill "$mpid" "$rpid" 2>/dev/null || true
	wait "$mpid" "$rpid" 2>/dev/null || true
	pids=()
}

# cputicks PID: user+system CPU time of the process, in clock ticks
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# bench PORT PIPELINE TESTS PID -> lines "test rps p99_ms cpu_us_per_request"
# for each of the comma-separated TESTS, each its own redis-benchmark run so
# that the CPU figure is that test's (lrange_100's run also holds the LPUSH
# that fills its list: both lines carry their run's mean). The server's CPU
# time per request is robust to a busy machine, where rps and p99 are not:
# it counts only what the server itself spent.
bench() {
	bench_lat "$@" | while read -r test rps _ p99 cpu; do echo "$test $rps $p99 $cpu"; done
}

# bench_lat PORT PIPELINE TESTS PID: as bench, with p50 too: lines
# "test rps p50_ms p99_ms cpu_us_per_request".
bench_lat() {
	local before after cpu out test
	for test in ${3//,/ }; do
		before=$(cputicks "$4")
		out=$("${bench_cpu[@]}" redis-benchmark -p "$1" -t "$test" -n "$N" -c "$CLIENTS" -P "$2" -r 100000 -d 32 --csv |
			awk -F, 'NR > 1 { gsub(/"/, ""); gsub(/ /, "_", $1); print $1, $2, $5, $7 }')
		after=$(cputicks "$4")
		cpu=$(awk -v a="$before" -v b="$after" -v t="$(getconf CLK_TCK)" -v n="$N" -v k="$(wc -l <<<"$out")" \
			'BEGIN { printf "%.2f\n", (b - a) / t * 1e6 / n / k }')
		while read -r line; do echo "$line $cpu"; done <<<"$out"
	done
}

# bench_cmd PORT PIPELINE NAME PID ARGS... -> one line "NAME rps p99_ms
# cpu_us_per_request" for redis-benchmark running the command ARGS
# (__rand_int__ in it picks one of 100000 keys), as bench does for its tests.
bench_cmd() {
	local port=$1 pipe=$2 name=$3 pid=$4 before after out
	shift 4
	before=$(cputicks "$pid")
	out=$("${bench_cpu[@]}" redis-benchmark -p "$port" -n "$N" -c "$CLIENTS" -P "$pipe" -r 100000 --csv "$@" |
		awk -F, 'NR > 1 { gsub(/"/, ""); print $2, $7; exit }')
	after=$(cputicks "$pid")
	awk -v name="$name" -v out="$out" -v a="$before" -v b="$after" -v t="$(getconf CLK_TCK)" -v n="$N" \
		'BEGIN { printf "%s %s %.2f\n", name, out, (b - a) / t * 1e6 / n }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ratio_table RESULTS: the markdown table of medians and ratios of a file
# of lines "target test rps p99_ms cpu_us" (target meshcache or redis),
# one row per test in order of first appearance.
ratio_table() {
	local test mr rr mp rp mc rc
	pick() { awk -v t="$2" -v c="$3" -v col="$4" '$1 == t && $2 == c { print $col }' "$1" | median; }
	echo "| test | meshcache rps | redis rps | throughput ratio | meshcache p99 ms | redis p99 ms | meshcache CPU us/req | redis CPU us/req |"
	echo "|---|---|---|---|---|---|---|---|"
	for test in $(awk '{ print $2 }' "$1" | awk '!seen[$0]++'); do
		mr=$(pick "$1" meshcache "$test" 3) rr=$(pick "$1" redis "$test" 3)
		mp=$(pick "$1" meshcache "$test" 4) rp=$(pick "$1" redis "$test" 4)
		mc=$(pick "$1" meshcache "$test" 5) rc=$(pick "$1" redis "$test" 5)
		awk -v t="$test" -v mr="$mr" -v rr="$rr" -v mp="$mp" -v rp="$rp" -v mc="$mc" -v rc="$rc" 'BEGIN {
			printf "| %s | %.0f | %.0f | %.2fx | %.3f | %.3f | %.2f | %.2f |\n", t, mr, rr, mr / rr, mp, rp, mc, rc }'
	done
}

# measured_header MODE: the first lines of a section a script writes into
# docs/BENCHMARKS.md: the date, the machine, redis-server's version, ROUNDS,
# N and CLIENTS, MODE (how the requests were sent: "unpipelined" ...), the
# pinning and the load averages load_before and load_after.
measured_header() {
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
	echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $ROUNDS alternating rounds of $N requests per test, $CLIENTS clients,"
	echo "$1, medians; servers pinned to one CPU and redis-benchmark to the other: $([ ${#server_cpu[@]} -gt 0 ] && echo yes || echo no);"
	echo "load average (1, 5, 15 min) before: $load_before, after: $load_after."
}

# write_section FILE MARKER SECTION: replaces the part of FILE between
# <!-- MARKER:begin --> and <!-- MARKER:end --> with SECTION's content
# (which carries the markers), or appends it.
write_section() {
	if [ -f "$1" ] && grep -q "<!-- $2:begin -->" "$1"; then
		awk -v f="$3" -v b="<!-- $2:begin -->" -v e="<!-- $2:end -->" '
			$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip { print }' "$1" >"$work/out.md"
		cp "$work/out.md" "$1"
	else
		cat "$3" >>"$1"
	fi
	echo "wrote $1" >&2
}
