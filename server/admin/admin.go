// Package admin is a node's HTTP admin port: liveness (/healthz),
// readiness (/readyz), Prometheus metrics (/metrics), a status page (/),
// the whole cluster's view (/api/cluster), the web console (/console/) and
// the operator actions (/api/actions).
// It reads the RESP front end (server.Server) and the node's cluster
// membership (cluster.Node, or cluster/solo for a node alone) through the
// small interfaces below. Its pages only read: snapshots of counters the
// server and the cluster keep anyway. The operator actions (package
// actions), behind the admin credential, send commands to the nodes'
// client ports as any client would.
package admin

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/admin/actions"
	"github.com/meshcache/meshcache/server/admin/clusterview"
	"github.com/meshcache/meshcache/server/admin/console"
	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/resp"
)

// Front is what the admin port reads of the RESP front end.
// *server.Server implements it.
type Front interface {
	// Addr is the address the RESP port listens on; nil before it does.
	Addr() net.Addr
	// Stopping reports whether the server is shutting down.
	Stopping() bool
	// Stats is a snapshot of the node's counters.
	Stats() server.Stats
	// CommandStats calls f with the counters of every command used.
	CommandStats(f func(server.CommandStats))
	// Config is the node's current configuration (the admin credential).
	Config() config.Config
}

// Membership is what the admin port reads of the node's cluster membership
// to answer /readyz, the status page and the cluster metrics.
type Membership interface {
	Self() cluster.NodeInfo
	Members() []cluster.NodeInfo
	Table() *ring.Table
	Healthy() bool
	// Quorum reports whether the node's gossip sees a majority of the
	// table's members now; Healthy is the quorum lease (direct probes).
	Quorum() bool
}

// Replication is what /metrics reads of the node's replication.
type Replication interface {
	ReplicationInfo() replinfo.Info
}

// Cluster is the node's cluster membership as the admin port reads it:
// *cluster.Node, or the *solo.Node of a server that runs alone
// (server.Server.Solo).
type Cluster interface {
	Membership
	Replication
}

var (
	_ Front   = (*server.Server)(nil)
	_ Cluster = (*cluster.Node)(nil)
	_ Cluster = (*solo.Node)(nil)
)

// Admin is a node's HTTP admin port: /healthz (liveness), /readyz
// (readiness), /metrics (Prometheus text format) and / (a status page with
// the node, the members, their slots and this node's load). It is separate
// from the RESP port so that probes and scrapes never compete with clients
// for connection slots, and it only reads counters the server keeps anyway.
//
// Concurrency: Serve owns two goroutines, the HTTP server's accept loop and
// the ops/s sampler; both stop when Serve's context is done. Handlers run on
// net/http's goroutines and only read atomics and snapshots.
type Admin struct {
	front Front
	cl    Cluster
	// standalone: cl is a node alone for good (cluster/solo: it reports
	// Standalone), asked once by New: it is ready while it serves and has
	// no replication to export.
	standalone bool
	log        *slog.Logger
	now        func() time.Time

	reg     *prometheus.Registry
	handler http.Handler
	page    *template.Template

	// asker reaches the members for the cluster view; events are the
	// cluster events recorded here (clusterapi.go).
	asker  clusterview.Asker
	events interface{ Events() []events.Event }
	// runner runs the operator actions (actionsapi.go); Serve closes it.
	runner *actions.Runner

	// opsMu guards ops, the recent samples of commands processed and of
	// the latency histogram of every command.
	opsMu sync.Mutex
	ops   []opsSample
}

type opsSample struct {
	at      time.Time
	count   int64
	latency cmdstats.Latency
}

// opsWindow is how many one-second samples the ops/s figure spans.
const opsWindow = 5

// adminShutdownTimeout bounds how long Serve waits for in-flight admin
// requests when it stops.
const adminShutdownTimeout = 5 * time.Second

// New returns the admin port of the front end front, whose node's cluster
// membership is cl: a *cluster.Node, or for a server that runs alone its
// own one-node membership (server.Server.Solo), which leads every slot and
// is ready while the server serves. Neither may be nil.
func New(front Front, cl Cluster, logger *slog.Logger) *Admin {
	if logger == nil {
		logger = slog.Default()
	}
	a := &Admin{
		front:      front,
		cl:         cl,
		standalone: isStandalone(cl),
		log:        logger.With("component", "admin"),
		now:        time.Now,
		reg:        prometheus.NewRegistry(),
		page:       template.Must(template.New("status").Parse(statusPage)),
	}
	a.runner = actions.NewRunner(actionState{a}, actions.RedisCommander{
		Password: func() string { return a.front.Config().RequirePass },
	}, a.log)
	if p, ok := cl.(peerNode); ok {
		a.asker, a.events = p, p
		p.SetReporter(a) // peers' views ask this admin port for the node's report
	} else {
		a.asker, a.events = selfOnly{a}, selfOnly{a}
	}
	a.reg.MustRegister(
		&metricsCollector{admin: a},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.serveHealthz)
	mux.HandleFunc("GET /readyz", a.serveReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /{$}", a.serveStatus)
	mux.HandleFunc("GET /api/cluster", a.guard(a.serveCluster))
	mux.HandleFunc("GET /api/actions", a.guard(a.serveActions))
	mux.HandleFunc("POST /api/actions", a.guard(a.startAction))
	mux.Handle("GET /console/", console.Handler("/console/"))
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
	a.handler = mux
	return a
}

// isStandalone reports whether cl is a node alone for good (cluster/solo).
func isStandalone(cl Cluster) bool {
	s, ok := cl.(interface{ Standalone() bool })
	return ok && s.Standalone()
}

// Handler returns the admin port's HTTP handler (for tests and for
// embedding it in another server).
func (a *Admin) Handler() http.Handler { return a.handler }

// Registry returns the Prometheus registry /metrics serves, so that other
// layers can register their own collectors.
func (a *Admin) Registry() *prometheus.Registry { return a.reg }

// Ready reports whether the node serves its slots, and if not, why: it must
// be accepting clients, not shutting down, and, unless it runs alone, hold
// a routing table that assigns every slot, hold its quorum lease
// (Healthy) and not be draining. A ready node may lead no slot yet: it
// serves by forwarding.
func (a *Admin) Ready() (bool, string) {
	if a.front.Addr() == nil {
		return false, "not accepting clients yet"
	}
	if a.front.Stopping() {
		return false, "shutting down"
	}
	if a.standalone {
		return true, "serving every slot (no cluster layer)"
	}
	t := a.cl.Table()
	if t == nil {
		return false, "no routing table yet"
	}
	if self := a.cl.Self(); self.State == cluster.StateDraining {
		return false, "draining"
	}
	if !a.cl.Healthy() {
		return false, "cluster unhealthy: no quorum lease (a majority of the routing table's members has not answered within the lease)"
	}
	if n := t.Assigned(); n != ring.SlotCount {
		return false, fmt.Sprintf("routing table epoch %d assigns %d of %d slots", t.Epoch, n, ring.SlotCount)
	}
	return true, fmt.Sprintf("serving, routing table epoch %d", t.Epoch)
}

func (a *Admin) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n") // a failed write is the prober's problem
}

func (a *Admin) serveReadyz(w http.ResponseWriter, _ *http.Request) {
	ok, why := a.Ready()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: "+why+"\n")
		return
	}
	_, _ = io.WriteString(w, "ok: "+why+"\n")
}

// Serve serves the admin port on ln until ctx is done, then shuts the HTTP
// server down (waiting up to adminShutdownTimeout for requests in flight)
// and returns nil; any other stop is returned as an error. Stop it after
// the RESP server, so that liveness probes keep passing while a node drains.
func (a *Admin) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // owns the ops/s samples
		defer wg.Done()
		a.sampleOps(ctx)
	}()
	go func() { // stops the HTTP server with ctx
		defer wg.Done()
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), adminShutdownTimeout)
		defer scancel()
		if err := hs.Shutdown(sctx); err != nil {
			a.log.Warn("admin http shutdown", "err", err)
			if err := hs.Close(); err != nil {
				a.log.Warn("admin http close", "err", err)
			}
		}
	}()
	a.log.Info("admin http serving", "addr", ln.Addr().String())
	err := hs.Serve(ln)
	cancel()
	wg.Wait()
	a.runner.Close() // after the HTTP server: no handler starts an action now
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("admin http on %s: %w", ln.Addr(), err)
}

// ListenAndServe listens on addr and serves the admin port until ctx is done.
func (a *Admin) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin http listen %s: %w", addr, err)
	}
	return a.Serve(ctx, ln)
}

// sampleOps records the commands processed once a second until ctx is done.
func (a *Admin) sampleOps(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	a.recordOps()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			a.recordOps()
		}
	}
}

func (a *Admin) recordOps() {
	s := opsSample{at: a.now(), count: a.front.Stats().CommandsProcessed, latency: allLatency(a.front)}
	a.opsMu.Lock()
	defer a.opsMu.Unlock()
	a.ops = append(a.ops, s)
	if len(a.ops) > opsWindow+1 {
		a.ops = append(a.ops[:0], a.ops[len(a.ops)-opsWindow-1:]...)
	}
}

// opsPerSec returns the commands processed per second over the recent
// samples; 0 until there are two. A CONFIG RESETSTAT in the window reads as 0.
func (a *Admin) opsPerSec() float64 { return a.window().opsPerSec }

// recent is the load over the last samples (opsWindow seconds).
type recent struct {
	opsPerSec float64
	latency   cmdstats.Latency // the commands run in the window
}

// window returns the load over the recent samples: zero until there are
// two, and zero again when a CONFIG RESETSTAT falls in the window.
func (a *Admin) window() recent {
	a.opsMu.Lock()
	defer a.opsMu.Unlock()
	if len(a.ops) < 2 {
		return recent{}
	}
	first, last := a.ops[0], a.ops[len(a.ops)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 || last.count < first.count {
		return recent{}
	}
	r := recent{opsPerSec: float64(last.count-first.count) / dt}
	for i := range r.latency {
		if d := last.latency[i] - first.latency[i]; d > 0 {
			r.latency[i] = d
		}
	}
	return r
}

// nodeRow is one member as the status page and the metrics show it.
type nodeRow struct {
	ID          string
	ClientAddr  string
	ClusterAddr string
	State       string
	Alive       bool
	Self        bool
	Epoch       uint64
	led         int
	replicated  int
}

// Led and Replicated are exported for the page template.
func (r nodeRow) Led() int        { return r.led }
func (r nodeRow) Replicated() int { return r.replicated }

// clusterSnapshot is the cluster as this node sees it at one moment.
type clusterSnapshot struct {
	healthy  bool
	epoch    uint64
	assigned int
	alive    int
	dead     int
	self     nodeRow
	nodes    []nodeRow // sorted by ID
}

// clusterView reads the cluster membership once.
func (a *Admin) clusterView() clusterSnapshot {
	cv := clusterSnapshot{healthy: a.cl.Healthy()}
	t := a.cl.Table()
	if t != nil {
		cv.epoch = t.Epoch
		cv.assigned = t.Assigned()
	}
	for _, m := range a.cl.Members() {
		r := nodeRow{
			ID: string(m.ID), ClientAddr: m.ClientAddr, ClusterAddr: m.ClusterAddr,
			State: m.State.String(), Alive: m.Alive, Self: m.Self, Epoch: m.Epoch,
		}
		if t != nil {
			r.led = len(t.PrimarySlots(m.ID))
			r.replicated = len(t.ReplicaSlots(m.ID))
		}
		if m.Alive {
			cv.alive++
		} else {
			cv.dead++
		}
		if m.Self {
			cv.self = r
		}
		cv.nodes = append(cv.nodes, r)
	}
	return cv
}

// statusData is what the status page template renders.
type statusData struct {
	Version, RedisVersion string
	Now                   string
	Uptime                string
	Ready                 bool
	ReadyWhy              string
	Self                  nodeRow
	Healthy               bool
	Epoch                 uint64
	Assigned              int
	SlotCount             int
	Nodes                 []nodeRow
	Keys, Expires         int64
	UsedMemory, MaxMemory string
	OpsPerSec             string
	Clients               int64
	Processed             int64
	Hits, Misses          int64
	Evicted, Expired      int64
}

func (a *Admin) serveStatus(w http.ResponseWriter, _ *http.Request) {
	cv := a.clusterView()
	stats := a.front.Stats()
	st := stats.Keyspace
	ready, why := a.Ready()
	maxMem := "no limit"
	if m := stats.MaxMemory; m > 0 {
		maxMem = resp.HumanBytes(m)
	}
	now := a.now()
	d := statusData{
		Version: server.Version, RedisVersion: server.RedisVersion,
		Now:    now.UTC().Format(time.RFC3339),
		Uptime: now.Sub(stats.Started).Truncate(time.Second).String(),
		Ready:  ready, ReadyWhy: why,
		Self: cv.self, Healthy: cv.healthy, Epoch: cv.epoch, Assigned: cv.assigned, SlotCount: ring.SlotCount,
		Nodes: cv.nodes,
		Keys:  st.Keys, Expires: st.Expires,
		UsedMemory: resp.HumanBytes(st.UsedMemory), MaxMemory: maxMem,
		OpsPerSec: fmt.Sprintf("%.0f", a.opsPerSec()),
		Clients:   stats.Clients,
		Processed: stats.CommandsProcessed,
		Hits:      st.KeyspaceHits, Misses: st.KeyspaceMiss,
		Evicted: st.EvictedKeys, Expired: st.ExpiredKeys,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.page.Execute(w, d); err != nil {
		a.log.Debug("status page", "err", err)
	}
}

// CheckHealth asks the admin port at addr (host:port) for path (/healthz or
// /readyz) and returns nil when it answers 200. It is the container
// healthcheck (`meshcache healthcheck`): a scratch image has no curl.
func CheckHealth(ctx context.Context, addr, path string) error {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := "http://" + addr + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil {
		return fmt.Errorf("healthcheck %s: read body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// statusPage is the template of /: plain HTML, no scripts, refreshed every 5 s.
const statusPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>meshcache {{.Self.ClientAddr}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#070}.bad{color:#b00}.self{font-weight:bold}
</style></head><body>
<h1>meshcache {{.Version}}</h1>
<p>Node <code>{{.Self.ID}}</code> at <code>{{.Self.ClientAddr}}</code>, up {{.Uptime}}, Redis {{.RedisVersion}} commands. {{.Now}}</p>
<p>Readiness: {{if .Ready}}<span class="ok">ready</span>{{else}}<span class="bad">not ready</span>{{end}} ({{.ReadyWhy}}).
Cluster: {{if .Healthy}}<span class="ok">healthy</span>{{else}}<span class="bad">no majority</span>{{end}},
routing table epoch {{.Epoch}}, {{.Assigned}} of {{.SlotCount}} slots assigned.</p>
<h2>This node's load</h2>
<table>
<tr><th>keys</th><th>with TTL</th><th>memory used</th><th>maxmemory</th><th>ops/s (5 s)</th><th>clients</th><th>commands</th><th>hits</th><th>misses</th><th>evicted</th><th>expired</th></tr>
<tr><td class="n">{{.Keys}}</td><td class="n">{{.Expires}}</td><td class="n">{{.UsedMemory}}</td><td class="n">{{.MaxMemory}}</td><td class="n">{{.OpsPerSec}}</td><td class="n">{{.Clients}}</td><td class="n">{{.Processed}}</td><td class="n">{{.Hits}}</td><td class="n">{{.Misses}}</td><td class="n">{{.Evicted}}</td><td class="n">{{.Expired}}</td></tr>
</table>
<h2>Members</h2>
<table>
<tr><th>node</th><th>client address</th><th>cluster address</th><th>state</th><th>gossip</th><th>epoch</th><th>slots led</th><th>replica slots</th></tr>
{{range .Nodes}}<tr{{if .Self}} class="self"{{end}}><td><code>{{.ID}}</code>{{if .Self}} (this node){{end}}</td><td>{{.ClientAddr}}</td><td>{{.ClusterAddr}}</td><td>{{.State}}</td><td>{{if .Alive}}<span class="ok">alive</span>{{else}}<span class="bad">dead</span>{{end}}</td><td class="n">{{.Epoch}}</td><td class="n">{{.Led}}</td><td class="n">{{.Replicated}}</td></tr>
{{end}}</table>
<p>The whole cluster, live: <a href="/console/">console</a> · <a href="/api/cluster">/api/cluster</a> · <a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a> · <a href="/healthz">/healthz</a></p>
</body></html>
`
