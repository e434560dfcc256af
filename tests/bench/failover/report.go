package main

// The report: machine load while the benchmark ran, and the markdown
// section of docs/BENCHMARKS.md.

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sampleLoad records /proc/loadavg every 10 s while the benchmark runs.
func sampleLoad(ctx context.Context, cfg *config) {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			f := strings.Fields(string(b))
			cfg.loadSamplesMux.Lock()
			cfg.loadSamples = append(cfg.loadSamples, f[0])
			cfg.loadSamplesMux.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// loadSummary is the 1-minute load average's range over the run.
func (cfg *config) loadSummary() string {
	cfg.loadSamplesMux.Lock()
	defer cfg.loadSamplesMux.Unlock()
	var vals []float64
	for _, s := range cfg.loadSamples {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f to %.2f (%d samples)", slices.Min(vals), slices.Max(vals), len(vals))
}

// ms formats a duration in seconds; negative means "not reached".
func ms(d time.Duration) string {
	if d < 0 {
		return "not recovered"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// markdown renders the failover section, markers included.
func markdown(cfg *config, reports []modeReport, load string) string {
	var b strings.Builder
	cores, _ := os.ReadFile("/proc/cpuinfo")
	fmt.Fprintf(&b, "<!-- failover:begin -->\n## Failover\n\n")
	fmt.Fprintf(&b, "Measured by `tests/bench/failover` (%s, %d cores, loopback, 1-minute load average %s\n",
		time.Now().UTC().Format("2006-01-02"), strings.Count(string(cores), "processor\t:"), load)
	fmt.Fprintf(&b, "during the run; other engineers' builds and tests shared the machine). A 3-node cluster, default `lan`\n")
	fmt.Fprintf(&b, "gossip profile, one replica per slot. Per trial, %d goroutines SET unique keys to the victim's slots through\n", cfg.writers)
	fmt.Fprintf(&b, "a go-redis ClusterClient, the victim gets SIGKILL, and **failover** is the time from the kill until one probe key\n")
	fmt.Fprintf(&b, "per slot the victim led (every one of them) was accepted by a SET through every survivor (survivors forward\n")
	fmt.Fprintf(&b, "to the slot's primary), taken at the reply to the final pipelined probe round (*last probe round* is that\n")
	fmt.Fprintf(&b, "round's length: the figure is late by at most that much). **Lost** counts acknowledged writes that a GET after the failover did not return.\n")
	fmt.Fprintf(&b, "Victims alternate between a node that is not the coordinator (`other`) and the coordinator (the oldest\n")
	fmt.Fprintf(&b, "member); a fresh node joins after each trial and the cluster settles before the next. From the survivors'\n")
	fmt.Fprintf(&b, "logs: *dead* = first `member changed alive=false` (memberlist declared the victim dead), *issued* = the\n")
	fmt.Fprintf(&b, "coordinator issued the failover table, *adopted* = the last survivor adopted it. *Through ClusterClient* =\n")
	fmt.Fprintf(&b, "a single SET through the writers' go-redis ClusterClient (which loaded the slot map before the kill) to each of\n")
	fmt.Fprintf(&b, "%d victim slots, retried until all were accepted: what an application sees (\"not recovered\" = not\n", cfg.clientSample)
	fmt.Fprintf(&b, "within %s). Survivors forward to the new primaries and never answer -MOVED, so go-redis keeps dialing the\n", cfg.clientWait)
	fmt.Fprintf(&b, "dead address until its periodic slot-map reload: `ClusterStateReloadInterval` is %s here (`-client-reload`);\n", cfg.clientReload)
	fmt.Fprintf(&b, "with go-redis's default of 60 s a ClusterClient stays on the dead primary for up to a minute.\n\n")
	fmt.Fprintf(&b, "Reproduce: `go run ./tests/bench/failover -ack one,none -trials %d` (`-write` rewrites this section).\n\n", cfg.trials)
	for _, r := range reports {
		fmt.Fprintf(&b, "### replica-ack %s\n\n", r.mode)
		fmt.Fprintf(&b, "| trial | victim | victim slots | dead | issued | adopted | failover | last probe round | through ClusterClient | acked writes | write errors | lost |\n")
		fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		var fo []time.Duration
		lost, acked := 0, 0
		for i, t := range r.trials {
			fmt.Fprintf(&b, "| %d | %s | %d | %s | %s | %s | **%s** | %s | %s | %d | %d | %d |\n", i+1, t.victimKind, t.victimSlots,
				ms(t.detect), ms(t.issue), ms(t.adopt), ms(t.failover), ms(t.probeRound), ms(t.client), t.acked, t.writeErrs, t.lost)
			fo = append(fo, t.failover)
			lost += t.lost
			acked += t.acked
		}
		verdict := "meets"
		if median(fo) > goal {
			verdict = "misses"
		}
		fmt.Fprintf(&b, "\nFailover min %s, median %s, max %s: the median %s the %s goal. Lost acknowledged writes: %d of %d",
			ms(slices.Min(fo)), ms(median(fo)), ms(slices.Max(fo)), verdict, ms(goal), lost, acked)
		if r.mode == "none" {
			b.WriteString(" (asynchronous replication: writes the victim acknowledged but had not streamed to the replica yet)")
		}
		b.WriteString(".\n")
		col := func(f func(trial) time.Duration) string {
			var ds []time.Duration
			for _, t := range r.trials {
				ds = append(ds, f(t))
			}
			return ms(median(ds))
		}
		fmt.Fprintf(&b, "Medians: dead %s, issued %s, adopted %s, failover %s, through ClusterClient %s.\n",
			col(func(t trial) time.Duration { return t.detect }), col(func(t trial) time.Duration { return t.issue }),
			col(func(t trial) time.Duration { return t.adopt }), ms(median(fo)),
			col(func(t trial) time.Duration { return t.client }))
		for i, t := range r.trials {
			if strings.Contains(t.probeErr, "timeout") {
				fmt.Fprintf(&b, "Trial %d: a probe round waited for its 1 s read timeout (a survivor answered late; last error `%s`).\n",
					i+1, t.probeErr)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("<!-- failover:end -->")
	return b.String()
}

// writeSection replaces the failover marker section of the document, or
// appends it at the end.
func writeSection(path, section string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s := string(data)
	const begin, end = "<!-- failover:begin -->", "<!-- failover:end -->"
	a, z := strings.Index(s, begin), strings.Index(s, end)
	switch {
	case a >= 0 && z > a:
		s = s[:a] + section + s[z+len(end):]
	case a < 0 && z < 0:
		s = strings.TrimRight(s, "\n") + "\n\n" + section + "\n"
	default:
		return fmt.Errorf("%s: unmatched failover markers", path)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
