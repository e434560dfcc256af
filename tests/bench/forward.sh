#!/usr/bin/env bash
# Forwarding benchmark on loopback: redis-benchmark SET and GET against the
# node that leads the benchmark key's slot (direct) and against another node
# of the same 3-node cluster (every command forwarded over the cluster
# port), unpipelined (-P 1) and pipelined (-P 16). redis-benchmark without
# -r uses the one key "key:__rand_int__", so every command has one owner.
# Prints a Markdown table of requests per second and the forwarded/direct
# ratio; WRITE=1 puts it in the forwarding section of docs/BENCHMARKS.md.
#
#   tests/bench/forward.sh
#   REQUESTS=200000 CLIENTS=50 WRITE=1 tests/bench/forward.sh
set -euo pipefail

REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
WRITE=${WRITE:-0}
BASE=${BASE:-18500} # nodes on BASE..BASE+2, cluster ports +10000

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for tool in redis-cli redis-benchmark go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
echo "building meshcache" >&2
(cd "$root" && go build -o "$work/meshcache" ./cmd/meshcache)

for i in 0 1 2; do
	port=$((BASE + i))
	join=()
	[ "$i" -gt 0 ] && join=(--join "127.0.0.1:$((BASE + 10000))")
	"$work/meshcache" --port "$port" "${join[@]}" --replicas 0 --log-level warn >"$work/node$i.log" 2>&1 &
	pids+=($!)
done

# Wait for one table naming the three nodes and covering every slot.
for _ in $(seq 1 200); do
	ok=1
	for i in 0 1 2; do
		info=$(redis-cli -p $((BASE + i)) cluster info 2>/dev/null || true)
		grep -q '^cluster_state:ok' <<<"$info" && grep -q '^cluster_known_nodes:3' <<<"$info" || ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 0.1
done
[ "$ok" = 1 ] || { echo "bench: cluster did not converge" >&2; cat "$work"/node*.log >&2; exit 1; }
sleep 3 # let the coordinator settle

key='key:__rand_int__'
slot=$(redis-cli -p "$BASE" cluster keyslot "$key")
owner=$(redis-cli -p "$BASE" cluster nodes | awk -v s="$slot" '{
	for (i = 9; i <= NF; i++) {
		n = split($i, r, "-"); lo = r[1] + 0; hi = (n > 1 ? r[2] : r[1]) + 0
		if (lo <= s && s <= hi) { split($2, a, "[:@]"); print a[2]; exit }
	}
}')
[ -n "$owner" ] || { echo "bench: no owner for slot $slot" >&2; exit 1; }
other=$BASE
[ "$other" = "$owner" ] && other=$((BASE + 1))
echo "slot $slot of $key: owner :$owner, forwarding through :$other" >&2

rps() { # port test pipeline
	redis-benchmark -p "$1" -t "$2" -n "$REQUESTS" -c "$CLIENTS" -P "$3" -q 2>/dev/null |
		tr '\r' '\n' | awk -v t="$(tr a-z A-Z <<<"$2")" '$1 == t":" { v = $2 } END { print v }'
}

table="| test | pipeline | direct (req/s) | forwarded (req/s) | forwarded / direct |
|---|---|---|---|---|"
for p in 1 16; do
	for t in set get; do
		d=$(rps "$owner" "$t" "$p")
		f=$(rps "$other" "$t" "$p")
		ratio=$(awk -v f="$f" -v d="$d" 'BEGIN { printf "%.2fx", f / d }')
		table+="
| $(tr a-z A-Z <<<"$t") | $p | $d | $f | $ratio |"
	done
done
echo "$table"

if [ "$WRITE" = 1 ]; then
	doc="$root/docs/BENCHMARKS.md"
	[ -f "$doc" ] || printf '# meshcache benchmarks\n' >"$doc"
	section="<!-- forwarding:begin -->
Measured by \`tests/bench/forward.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, loopback,
$CLIENTS clients, $REQUESTS requests per run, 3-node cluster, replicas 0). \"Direct\" talks to the
node that leads the key's slot; \"forwarded\" talks to another node, which forwards every
command over the cluster port (pipelined commands to one node travel as one ordered batch).

$table
<!-- forwarding:end -->"
	if grep -q '<!-- forwarding:begin -->' "$doc"; then
		python3 - "$doc" "$section" <<'PY'
import sys
path, section = sys.argv[1], sys.argv[2]
s = open(path).read()
a = s.index("<!-- forwarding:begin -->")
b = s.index("<!-- forwarding:end -->") + len("<!-- forwarding:end -->")
open(path, "w").write(s[:a] + section + s[b:])
PY
	else
		printf '\n## Forwarding\n\n%s\n' "$section" >>"$doc"
	fi
	echo "bench: wrote the forwarding section of $doc" >&2
fi
