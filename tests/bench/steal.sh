# Sourced by the benchmark scripts: how much of the machine's CPU time the
# host took for other guests while a benchmark ran.

# cpustat: the machine's CPU time and the part of it stolen (/proc/stat's
# first line, in ticks): on a virtual machine, steal is time its CPUs were
# ready to run and the host ran something else. Those pauses and the
# caches the other guests leave cold show in every time measured here,
# CPU per request included, for both servers alike.
cpustat() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat; }

# steal_since "TOTAL STEAL" (an earlier cpustat): the share of the CPU
# time since then that was stolen, as "12%".
steal_since() {
	local t0 s0 t1 s1
	read -r t0 s0 <<<"$1"
	read -r t1 s1 <<<"$(cpustat)"
	awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) 'BEGIN { printf "%.0f%%", (t > 0) ? 100 * s / t : 0 }'
}
