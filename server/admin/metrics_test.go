package admin

import (
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/cmdstats"
)

// histogramOf returns the histogram series of family name labelled cmd.
func histogramOf(t *testing.T, fams map[string]*dto.MetricFamily, name, cmd string) *dto.Histogram {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "no family %s", name)
	require.Equal(t, dto.MetricType_HISTOGRAM, f.GetType())
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "cmd" && l.GetValue() == cmd {
				return m.GetHistogram()
			}
		}
	}
	require.Failf(t, "no histogram", "%s{cmd=%q}", name, cmd)
	return nil
}

// TestMetricsLatencyHistogram: after a known number of commands, each
// command's histogram counts exactly those calls, its buckets are
// cumulative and end at the count, and INFO latencystats lists the same
// commands in Redis's format.
func TestMetricsLatencyHistogram(t *testing.T) {
	ts := startServer(t)
	addr := startAdmin(t, New(ts.srv, ts.srv.Solo(), slog.New(slog.DiscardHandler)))
	ctx := testCtx(t)
	rdb := client(t, ts.addr, 2)

	const sets, gets = 37, 23
	for i := range sets {
		require.NoError(t, rdb.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err())
	}
	for i := range gets {
		require.NoError(t, rdb.Get(ctx, "k"+strconv.Itoa(i)).Err())
	}
	require.NoError(t, rdb.Do(ctx, "config", "get", "maxmemory").Err())

	fams := scrape(t, addr)
	for _, tc := range []struct {
		cmd   string
		calls uint64
	}{{"set", sets}, {"get", gets}, {"config|get", 1}} {
		h := histogramOf(t, fams, "meshcache_command_duration_seconds", tc.cmd)
		assert.Equal(t, tc.calls, h.GetSampleCount(), tc.cmd)
		assert.GreaterOrEqual(t, h.GetSampleSum(), 0.0)
		require.Len(t, h.GetBucket(), len(cmdstats.Latency{}), "1 µs .. 2^20 µs, then +Inf")
		prev := uint64(0)
		for i, b := range h.GetBucket()[:len(cmdstats.Latency{})-1] {
			assert.InDelta(t, math.Ldexp(1e-6, i), b.GetUpperBound(), 1e-12)
			assert.GreaterOrEqual(t, b.GetCumulativeCount(), prev, "cumulative")
			prev = b.GetCumulativeCount()
		}
		last := h.GetBucket()[len(cmdstats.Latency{})-1]
		assert.True(t, math.IsInf(last.GetUpperBound(), 1))
		assert.Equal(t, tc.calls, last.GetCumulativeCount())
		assert.LessOrEqual(t, prev, tc.calls)
	}
	_, listed := sample(fams, "meshcache_commands_total", "cmd", "hset")
	assert.False(t, listed)
	for _, name := range []string{"meshcache_replication_queued_entries", "meshcache_slot_transfers", "meshcache_slots_migrating"} {
		assert.NotContains(t, fams, name, "no cluster layer, no replication series")
	}
	requireSample(t, fams, 1, "meshcache_cluster_quorum")

	info, err := rdb.Info(ctx, "latencystats").Result()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(info, "# Latencystats\r\n"), info)
	line := regexp.MustCompile(`^latency_percentiles_usec_([a-z|]+):p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	cmds := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(info), "\r\n")[1:] {
		m := line.FindStringSubmatch(l)
		require.NotNil(t, m, "line %q", l)
		cmds[m[1]] = true
	}
	for _, cmd := range []string{"set", "get", "config|get"} { // and the client's HELLO, CLIENT SETINFO
		assert.True(t, cmds[cmd], cmd)
	}
	assert.False(t, cmds["hset"], "only commands called")
	all, err := rdb.Info(ctx, "all").Result()
	require.NoError(t, err)
	assert.Contains(t, all, "# Latencystats\r\n")
	def, err := rdb.Info(ctx).Result()
	require.NoError(t, err)
	assert.NotContains(t, def, "# Latencystats", "not a default section, as in Redis")

	require.NoError(t, rdb.ConfigResetStat(ctx).Err())
	require.NoError(t, rdb.Get(ctx, "k1").Err())
	fams = scrape(t, addr)
	assert.EqualValues(t, 1, histogramOf(t, fams, "meshcache_command_duration_seconds", "get").GetSampleCount(), "reset, then one GET")
	for _, m := range fams["meshcache_command_duration_seconds"].GetMetric() {
		assert.NotEqual(t, "set", m.GetLabel()[0].GetValue(), "reset: SET has no calls")
	}
}

// TestMetricsReplication: on a two-node cluster with one replica per slot,
// each node exports its stream to the other (lag in entries and bytes,
// time since the last acknowledgement, failures), the replica slots it
// holds in sync, the slot-movement counters and quorum.
func TestMetricsReplication(t *testing.T) {
	nodes := startReplNodes(t, 2, 1)
	ctx := testCtx(t)
	c := client(t, nodes[0].addr, 2)
	require.NoError(t, c.Set(ctx, keyOn(t, nodes[0], "metrics-"), "v", 0).Err())

	a := New(nodes[0].srv, nodes[0].node, slog.New(slog.DiscardHandler))
	addr := startAdmin(t, a)
	peer := string(nodes[1].node.ID())
	var fams map[string]*dto.MetricFamily
	require.Eventually(t, func() bool { // the peer acknowledges about once a second
		fams = scrape(t, addr)
		_, ok := sample(fams, "meshcache_replication_acked_seconds_ago", "peer", peer)
		return ok
	}, 20*time.Second, 50*time.Millisecond)

	for _, name := range []string{"meshcache_replication_queued_entries", "meshcache_replication_queued_bytes",
		"meshcache_replication_acked_seconds_ago", "meshcache_replication_failures_total"} {
		v, ok := sample(fams, name, "peer", peer)
		require.True(t, ok, "no %s{peer=%q}", name, peer)
		assert.GreaterOrEqual(t, v, 0.0, name)
	}
	assert.Equal(t, dto.MetricType_COUNTER, fams["meshcache_replication_failures_total"].GetType())
	synced, ok := sample(fams, "meshcache_slots_replica_synced")
	require.True(t, ok)
	replicated, ok := sample(fams, "meshcache_slots_replicated")
	require.True(t, ok)
	assert.Equal(t, replicated, synced, "settled: every replica slot in sync")
	assert.Positive(t, synced)
	requireSample(t, fams, 0, "meshcache_slots_degraded")
	requireSample(t, fams, 0, "meshcache_slots_migrating")
	requireSample(t, fams, 0, "meshcache_slots_importing")
	requireSample(t, fams, 0, "meshcache_slot_transfers")
	requireSample(t, fams, 0, "meshcache_slots_lost_total")
	requireSample(t, fams, 1, "meshcache_cluster_quorum")
	for _, result := range []string{"done", "failed"} {
		_, ok := sample(fams, "meshcache_slot_transfers_total", "result", result)
		assert.True(t, ok, result)
	}
	// The counters are the cluster layer's, read at scrape time; the
	// replicas were built by transfers, so some ran (on either node).
	info := nodes[0].node.ReplicationInfo()
	requireSample(t, fams, float64(info.TransfersDone), "meshcache_slot_transfers_total", "result", "done")
	requireSample(t, fams, float64(info.TransferBytes), "meshcache_slot_transfer_bytes_total")
	requireSample(t, fams, float64(info.Handoffs), "meshcache_slot_handoffs_total")
	done := info.TransfersDone + nodes[1].node.ReplicationInfo().TransfersDone
	assert.Positive(t, done)
}
