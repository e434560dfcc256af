package testenv

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Meshcache builds cmd/meshcache (once per test binary; see Binary).
func Meshcache(t testing.TB, race bool) string {
	t.Helper()
	return Binary(t, "cmd/meshcache", race)
}

// StartNode starts the meshcache binary bin on a free port whose cluster
// port (+ClusterOffset) was free too, bound to 127.0.0.1, with extra args,
// and waits until it answers (see StartProc).
func StartNode(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	return StartNodeOn(t, Free(t, ClusterOffset), bin, args...)
}

// StartNodeOn is StartNode on a given client port.
func StartNodeOn(t testing.TB, port int, bin string, args ...string) *Proc {
	t.Helper()
	full := append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port)}, args...)
	return StartProc(t, port, bin, full...)
}

// ClusterAddr is the cluster (gossip and RPC) address of a node started by
// StartNode: its client port plus ClusterOffset.
func ClusterAddr(p *Proc) string { return "127.0.0.1:" + strconv.Itoa(p.Port+ClusterOffset) }

// SettleTimeout bounds how long a cluster harness waits for a cluster to
// settle: long, because a loaded 2-core machine runs several suites.
const SettleTimeout = 120 * time.Second

// StartCluster starts n meshcache nodes from bin with args, the first
// alone and the others joining its cluster port, and waits until the
// cluster is settled (WaitSettled). When the test ends the nodes are
// stopped together (StopAll).
func StartCluster(t testing.TB, bin string, n int, args ...string) []*Proc {
	t.Helper()
	nodes := []*Proc{StartNode(t, bin, args...)}
	join := append([]string{"--join", ClusterAddr(nodes[0])}, args...)
	for range n - 1 {
		nodes = append(nodes, StartNode(t, bin, join...))
	}
	t.Cleanup(func() { StopAll(nodes...) }) // runs before each node's own Stop
	WaitSettled(t, SettleTimeout, nodes...)
	return nodes
}

// WaitSettled waits until every node reports itself settled (INFO
// cluster_settled:1) and CLUSTER INFO says cluster_state:ok, knows exactly
// len(nodes) nodes and one current epoch on all of them. On timeout it
// fails the test with the last disagreement and every node's output.
func WaitSettled(t testing.TB, d time.Duration, nodes ...*Proc) {
	t.Helper()
	addrs := make([]string, len(nodes))
	for i, p := range nodes {
		addrs[i] = p.Addr
	}
	if err := Until(d, func() error { return Settled(addrs...) }); err != nil {
		var logs strings.Builder
		for _, p := range nodes {
			fmt.Fprintf(&logs, "--- %s ---\n%s\n", p.Addr, p.Out())
		}
		t.Fatalf("cluster of %d did not settle: %v\n%s", len(nodes), err, logs.String())
	}
}

// Settled returns nil when the meshcache nodes at addrs form one settled
// cluster (see WaitSettled), else what is not settled yet.
func Settled(addrs ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	epoch := ""
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1, PoolSize: 1})
		e, err := nodeSettled(ctx, c, len(addrs))
		_ = c.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		if epoch != "" && e != epoch {
			return fmt.Errorf("%s: epoch %s, %s: epoch %s", addrs[0], epoch, a, e)
		}
		epoch = e
	}
	return nil
}

// nodeSettled checks one node and returns its current epoch.
func nodeSettled(ctx context.Context, c *redis.Client, want int) (string, error) {
	raw, err := c.Info(ctx, "cluster").Result()
	if err != nil {
		return "", fmt.Errorf("INFO cluster: %w", err)
	}
	if v := ParseInfo(raw)["cluster_settled"]; v != "1" {
		return "", fmt.Errorf("INFO cluster_settled = %q, want 1", v)
	}
	raw, err = c.ClusterInfo(ctx).Result()
	if err != nil {
		return "", fmt.Errorf("CLUSTER INFO: %w", err)
	}
	info := ParseInfo(raw)
	for field, value := range map[string]string{
		"cluster_state":       "ok",
		"cluster_known_nodes": strconv.Itoa(want),
	} {
		if info[field] != value {
			return "", fmt.Errorf("CLUSTER INFO %s = %q, want %q", field, info[field], value)
		}
	}
	return info["cluster_current_epoch"], nil
}

// ParseInfo reads "name:value" lines (INFO, CLUSTER INFO) into a map.
func ParseInfo(s string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
}
