package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/admin/clusterview"
	"github.com/meshcache/meshcache/server/cmdstats"
)

// The cluster view on the admin port: GET /api/cluster gathers every
// member's report over the cluster port and answers the whole cluster as
// JSON (clusterview.View). The console page and `meshcache status` read it.

// peerNode is a membership that reaches its peers: *cluster.Node. A node
// alone (cluster/solo) is not one; its view is itself (selfOnly).
type peerNode interface {
	clusterview.Asker
	SetReporter(cluster.Reporter)
	Events() []events.Event
}

var _ peerNode = (*cluster.Node)(nil)

// selfOnly is the Asker and event source of a node without peers: it
// answers for itself and knows no other member.
type selfOnly struct{ a *Admin }

func (s selfOnly) AskReport(_ context.Context, id ring.NodeID) ([]byte, error) {
	if id != s.a.cl.Self().ID {
		return nil, fmt.Errorf("report of %s: %w", id, cluster.ErrUnknownNode)
	}
	return s.a.Report()
}

func (selfOnly) Events() []events.Event { return nil }

// viewTimeout is the deadline of one gathering: a member that has not
// answered by then is shown unreachable.
const viewTimeout = 2 * time.Second

// View gathers the whole cluster's view, waiting at most viewTimeout (or
// ctx) for the members' reports.
func (a *Admin) View(ctx context.Context) clusterview.View {
	ctx, cancel := context.WithTimeout(ctx, viewTimeout)
	defer cancel()
	members := a.cl.Members()
	ids := make([]ring.NodeID, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	results := clusterview.Gather(ctx, a.asker, ids)
	return clusterview.Shape(clusterview.Input{
		At: a.now(), Healthy: a.cl.Healthy() || a.standalone, Table: a.cl.Table(),
		Members: members, Results: results,
	})
}

// Report returns this node's report for the cluster view (it implements
// cluster.Reporter: peers ask for it over the cluster port).
func (a *Admin) Report() ([]byte, error) {
	b, err := json.Marshal(a.report())
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return b, nil
}

func (a *Admin) report() clusterview.Report {
	stats := a.front.Stats()
	ks := stats.Keyspace
	now := a.now()
	ready, why := a.Ready()
	w := a.window()
	r := clusterview.Report{
		At: now, Version: server.Version, UptimeSec: now.Sub(stats.Started).Seconds(),
		Ready: ready, ReadyReason: why,
		Keys: ks.Keys, Expires: ks.Expires, UsedMemory: ks.UsedMemory, MaxMemory: stats.MaxMemory,
		OpsPerSec: w.opsPerSec, Clients: stats.Clients, Processed: stats.CommandsProcessed,
		Hits: ks.KeyspaceHits, Misses: ks.KeyspaceMiss, Evicted: ks.EvictedKeys, Expired: ks.ExpiredKeys,
		LatencyP50: w.latency.Percentile(50), LatencyP99: w.latency.Percentile(99),
		Events: a.events.Events(),
	}
	if n := ks.KeyspaceHits + ks.KeyspaceMiss; n > 0 {
		r.HitRatio = float64(ks.KeyspaceHits) / float64(n)
	}
	if !a.standalone {
		info := a.cl.ReplicationInfo()
		for _, p := range info.Peers {
			r.ReplLag += p.QueuedEntries
		}
		r.DegradedSlots = info.DegradedSlots
		r.Transfers, r.TransfersDone, r.TransferRate = info.Transfers, info.TransfersDone, info.TransferRate
		r.Handoffs = info.Handoffs
		r.ReplicaSynced, r.ReplicaSyncing = info.ReplicaSynced, info.ReplicaSyncing
	}
	return r
}

// allLatency is the latency histogram of every command together.
func allLatency(front Front) cmdstats.Latency {
	var sum cmdstats.Latency
	front.CommandStats(func(cs server.CommandStats) {
		for i, c := range cs.Latency {
			sum[i] += c
		}
	})
	return sum
}

func (a *Admin) serveCluster(w http.ResponseWriter, r *http.Request) {
	v := a.View(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Debug("cluster view", "err", err)
	}
}

// FetchView asks the admin port at addr (host:port) for /api/cluster.
// token is the admin credential, sent as a bearer token when not empty.
func FetchView(ctx context.Context, addr, token string) (clusterview.View, error) {
	var v clusterview.View
	url := "http://" + addr + "/api/cluster"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return v, fmt.Errorf("cluster view %s: %w", url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, fmt.Errorf("cluster view %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // the status says enough if this fails
		return v, fmt.Errorf("cluster view %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return v, fmt.Errorf("cluster view %s: decode: %w", url, err)
	}
	return v, nil
}
