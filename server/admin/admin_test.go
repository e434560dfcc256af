package admin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// startAdmin serves a's admin port on a free loopback port until the test
// ends and returns its address.
func startAdmin(t *testing.T, a *Admin) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("admin server did not stop")
		}
	})
	return ln.Addr().String()
}

// get fetches path from the admin port and returns the status and body.
func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// scrape fetches /metrics and parses it with Prometheus's own text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, addr, "/metrics")
	require.Equal(t, http.StatusOK, code, body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	return fams
}

// sample returns the value of the series of family name whose labels
// include want (label=value pairs); ok is false if there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func requireSample(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	v, ok := sample(fams, name, labels...)
	require.True(t, ok, "no series %s%v", name, labels)
	assert.Equal(t, want, v, "%s%v", name, labels)
}

func TestAdminMetricsSingleNode(t *testing.T) {
	ts := startServer(t)
	addr := startAdmin(t, New(ts.srv, ts.srv.Solo(), slog.New(slog.DiscardHandler)))
	ctx := testCtx(t)
	rdb := client(t, ts.addr, 2)

	require.NoError(t, rdb.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, rdb.Set(ctx, "b", "x", time.Hour).Err())
	require.NoError(t, rdb.Get(ctx, "a").Err())
	require.ErrorIs(t, rdb.Get(ctx, "missing").Err(), redis.Nil)
	require.Error(t, rdb.IncrBy(ctx, "b", 1).Err()) // not an integer: a failed call
	require.Error(t, rdb.Do(ctx, "get").Err())      // wrong arity: a rejected call
	require.NoError(t, rdb.Do(ctx, "config", "get", "maxmemory").Err())

	fams := scrape(t, addr)
	requireSample(t, fams, 2, "meshcache_commands_total", "cmd", "set")
	requireSample(t, fams, 2, "meshcache_commands_total", "cmd", "get")
	requireSample(t, fams, 1, "meshcache_commands_rejected_total", "cmd", "get")
	requireSample(t, fams, 1, "meshcache_commands_failed_total", "cmd", "incrby")
	requireSample(t, fams, 0, "meshcache_commands_failed_total", "cmd", "set")
	requireSample(t, fams, 1, "meshcache_commands_total", "cmd", "config|get")
	_, listed := sample(fams, "meshcache_commands_total", "cmd", "hset")
	assert.False(t, listed, "commands never called are not exported")
	secs, ok := sample(fams, "meshcache_commands_duration_seconds_total", "cmd", "set")
	require.True(t, ok)
	assert.GreaterOrEqual(t, secs, 0.0)

	requireSample(t, fams, 2, "meshcache_keys")
	requireSample(t, fams, 1, "meshcache_keys_with_expiry")
	requireSample(t, fams, 2, "meshcache_keyspace_hits_total") // GET a, INCRBY b found b
	requireSample(t, fams, 1, "meshcache_keyspace_misses_total")
	requireSample(t, fams, 0, "meshcache_evicted_keys_total")
	requireSample(t, fams, 1, "meshcache_connected_clients")
	requireSample(t, fams, 1, "meshcache_ready")
	requireSample(t, fams, 1, "meshcache_cluster_healthy")
	requireSample(t, fams, 1, "meshcache_cluster_members", "status", "alive")
	requireSample(t, fams, 0, "meshcache_cluster_members", "status", "dead")
	requireSample(t, fams, ring.SlotCount, "meshcache_slots_led")
	requireSample(t, fams, ring.SlotCount, "meshcache_slots_assigned")
	requireSample(t, fams, 1, "meshcache_build_info", "version", server.Version, "redis_version", server.RedisVersion)
	used, ok := sample(fams, "meshcache_memory_used_bytes")
	require.True(t, ok)
	assert.Greater(t, used, 0.0)
	processed, ok := sample(fams, "meshcache_commands_processed_total")
	require.True(t, ok)
	assert.GreaterOrEqual(t, processed, 7.0)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		_, ok := fams[name]
		assert.True(t, ok, "runtime collector series %s", name)
	}
	assert.Equal(t, dto.MetricType_COUNTER, fams["meshcache_commands_total"].GetType())
	assert.Equal(t, dto.MetricType_GAUGE, fams["meshcache_keys"].GetType())

	// The counters move with traffic and CONFIG RESETSTAT.
	require.NoError(t, rdb.Del(ctx, "a").Err())
	fams = scrape(t, addr)
	requireSample(t, fams, 1, "meshcache_keys")
	requireSample(t, fams, 1, "meshcache_commands_total", "cmd", "del")
	require.NoError(t, rdb.ConfigResetStat(ctx).Err())
	fams = scrape(t, addr)
	_, listed = sample(fams, "meshcache_commands_total", "cmd", "set")
	assert.False(t, listed, "RESETSTAT zeroes the command counters")
	requireSample(t, fams, 0, "meshcache_keyspace_hits_total")
}

func TestAdminHealthzReadyzAndPage(t *testing.T) {
	ts := startServer(t)
	addr := startAdmin(t, New(ts.srv, ts.srv.Solo(), slog.New(slog.DiscardHandler)))
	ctx := testCtx(t)
	require.NoError(t, client(t, ts.addr, 2).Set(ctx, "k", "v", 0).Err())
	runID := string(ts.srv.Cluster().ID()) // a standalone server's node ID is its run ID

	tests := []struct {
		path string
		code int
		has  []string
	}{
		{"/healthz", http.StatusOK, []string{"ok"}},
		{"/readyz", http.StatusOK, []string{"ok: serving every slot"}},
		{"/", http.StatusOK, []string{runID, ts.addr, "16384", "<td class=\"n\">1</td>", "ready"}},
		{"/nope", http.StatusNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := get(t, addr, tt.path)
			assert.Equal(t, tt.code, code, body)
			for _, s := range tt.has {
				assert.Contains(t, body, s)
			}
		})
	}

	reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, "http://"+addr+"/healthz", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	require.NoError(t, CheckHealth(ctx, addr, "/healthz"))
	require.NoError(t, CheckHealth(ctx, addr, "readyz"))
}

// TestReadyzFollowsServerLifecycle: not ready before the RESP port
// listens, ready while it serves, not ready once it is closing.
func TestReadyzFollowsServerLifecycle(t *testing.T) {
	cfg := config.Default()
	srv := server.New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	admin := New(srv, srv.Solo(), slog.New(slog.DiscardHandler))
	readyz := func() (int, string) {
		rec := httptest.NewRecorder()
		admin.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	code, body := readyz()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready: not accepting clients yet\n", body)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	require.Eventually(t, func() bool { c, _ := readyz(); return c == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, srv.Close())
	code, body = readyz()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready: shutting down\n", body)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

// unusedExecutor answers forwarded commands with an error: the readiness
// test runs a one-node cluster, which never receives a forward.
type unusedExecutor struct{}

func (unusedExecutor) Execute(_ bool, _ [][]byte, reply []byte) []byte {
	return append(reply, "-ERR no forwarding in this test\r\n"...)
}

// TestReadyzFollowsCluster runs a real one-node cluster.Node: /readyz is 503
// before it holds a routing table, 200 once its first table assigns every
// slot, and 503 again once it drains.
func TestReadyzFollowsCluster(t *testing.T) {
	ts := startServer(t)
	node, err := cluster.New(cluster.Config{
		ClientAddr: ts.addr,
		BindAddr:   "127.0.0.1:0",
		Profile:    "local",
	}, unusedExecutor{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, node.Close()) })
	addr := startAdmin(t, New(ts.srv, node, slog.New(slog.DiscardHandler)))

	// The server starts accepting clients on its own goroutine; once it
	// does, the routing table is what /readyz waits for.
	var (
		code int
		body string
	)
	require.Eventually(t, func() bool {
		code, body = get(t, addr, "/readyz")
		return body != "not ready: not accepting clients yet\n"
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready: no routing table yet\n", body)
	ctx := testCtx(t)
	require.Error(t, CheckHealth(ctx, addr, "/readyz"))

	require.NoError(t, node.Start(ctx))
	require.Eventually(t, func() bool { return CheckHealth(ctx, addr, "/readyz") == nil }, 20*time.Second, 20*time.Millisecond)
	fams := scrape(t, addr)
	requireSample(t, fams, 1, "meshcache_ready")
	requireSample(t, fams, 1, "meshcache_cluster_members", "status", "alive")
	requireSample(t, fams, ring.SlotCount, "meshcache_slots_led")
	requireSample(t, fams, ring.SlotCount, "meshcache_slots_assigned")
	epoch, ok := sample(fams, "meshcache_routing_table_epoch")
	require.True(t, ok)
	assert.GreaterOrEqual(t, epoch, 1.0)
	code, body = get(t, addr, "/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, string(node.ID()))
	assert.Contains(t, body, "serving")

	leaveCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, node.Leave(leaveCtx))
	code, body = get(t, addr, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready: draining\n", body)
	code, _ = get(t, addr, "/healthz")
	assert.Equal(t, http.StatusOK, code, "a draining node is alive")
}

// countingFront is a front end that only counts commands processed.
type countingFront struct{ processed atomic.Int64 }

func (*countingFront) Addr() net.Addr { return nil }
func (*countingFront) Stopping() bool { return false }
func (f *countingFront) Stats() server.Stats {
	return server.Stats{CommandsProcessed: f.processed.Load()}
}
func (*countingFront) CommandStats(func(server.CommandStats)) {}
func (*countingFront) Config() config.Config                  { return config.Default() }

func TestOpsPerSec(t *testing.T) {
	front := &countingFront{}
	a := New(front, solo.New(ring.NewNodeID(), nil), slog.New(slog.DiscardHandler))
	at := time.Unix(1000, 0)
	a.now = func() time.Time { return at }
	assert.Equal(t, 0.0, a.opsPerSec(), "no samples")
	a.recordOps()
	assert.Equal(t, 0.0, a.opsPerSec(), "one sample")
	for i := 0; i < 10; i++ {
		at = at.Add(time.Second)
		front.processed.Add(100)
		a.recordOps()
	}
	assert.Len(t, a.ops, opsWindow+1, "the window is bounded")
	assert.Equal(t, 100.0, a.opsPerSec())
	front.processed.Store(0) // CONFIG RESETSTAT
	at = at.Add(time.Second)
	a.recordOps()
	assert.Equal(t, 0.0, a.opsPerSec(), "a reset in the window reads as 0, not negative")
}

// BenchmarkHistogramObserve measures what a per-command latency histogram
// would add to the command path (one Observe per command from every
// connection goroutine), to compare with BenchmarkPipelinedSetGet's cost per
// command. See docs/OPERATIONS.md, "Metrics".
func BenchmarkHistogramObserve(b *testing.B) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "meshcache_command_duration_seconds", Help: "bench", Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
	}, []string{"family"}).WithLabelValues("string")
	b.RunParallel(func(pb *testing.PB) {
		v := 0.0
		for pb.Next() {
			h.Observe(v)
			v += 1e-6
			if v > 1e-3 {
				v = 0
			}
		}
	})
}

// TestScrapeDuringTraffic scrapes /metrics and the status page while
// clients run commands, so that -race sees the collector's reads against
// the command path's writes.
func TestScrapeDuringTraffic(t *testing.T) {
	ts := startServer(t)
	addr := startAdmin(t, New(ts.srv, ts.srv.Solo(), slog.New(slog.DiscardHandler)))
	ctx := testCtx(t)
	rdb := client(t, ts.addr, 2)
	var stopped atomic.Bool
	done := make(chan int, 1)
	go func() { // ends when stopped is set or a command fails
		n := 0
		for !stopped.Load() {
			if err := rdb.Incr(ctx, "counter").Err(); err != nil {
				break
			}
			n++
		}
		done <- n
	}()
	for i := 0; i < 20; i++ {
		fams := scrape(t, addr)
		_, ok := fams["meshcache_commands_processed_total"]
		require.True(t, ok)
		code, _ := get(t, addr, "/")
		require.Equal(t, http.StatusOK, code)
	}
	stopped.Store(true)
	n := <-done
	fams := scrape(t, addr)
	requireSample(t, fams, float64(n), "meshcache_commands_total", "cmd", "incr")
}
