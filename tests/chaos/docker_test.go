package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// runLabel labels every container and network of the suite; its value is
// the run ID, so cleanup removes exactly one test's objects.
const runLabel = "io.meshcache.chaos.run"

// nodeTimeout is the --node-timeout every node runs with: short, so that
// the suite fits its time budget, but well above the lan profile's failure
// detection (about 2 s) so that a loaded machine does not flap.
const nodeTimeout = 3 * time.Second

var runSeq atomic.Int64

// docker runs the docker CLI and returns its trimmed stdout.
func docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// node is one meshcache container. Its RESP port is published on a random
// 127.0.0.1 port, which changes when the container restarts or reconnects,
// so the client dials through hostAddr, refreshed after each such event.
type node struct {
	name string // container name, also its DNS name on the cluster network
	ip   string // fixed address on the cluster network, kept across restarts

	addr   atomic.Pointer[string] // published host address; "" while unpublished
	client *redis.Client          // plain client through the published port
}

// hostAddr returns the node's current published RESP address, or "".
func (n *node) hostAddr() string {
	if p := n.addr.Load(); p != nil {
		return *p
	}
	return ""
}

// errUnpublished is returned by the dialer while a node has no published port.
var errUnpublished = errors.New("node has no published port")

func (n *node) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	addr := n.hostAddr()
	if addr == "" {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errUnpublished}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// refreshAddr reads the node's published port from Docker, waiting up to
// 10 s for it to appear (after `docker start` or `network connect`).
func (n *node) refreshAddr(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		out, err := docker(ctx, "port", n.name, "6379/tcp")
		if err == nil {
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "127.0.0.1:") {
					addr := strings.TrimSpace(line)
					n.addr.Store(&addr)
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("published port of %s: %w (last: %v %q)", n.name, ctx.Err(), err, out)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// dockerCluster is a meshcache cluster of containers on a private network.
// Everything it creates carries runLabel=run and is removed in t.Cleanup.
type dockerCluster struct {
	t       *testing.T
	run     string
	network string
	prefix  string   // the cluster network's first three octets, with the dot
	seeds   []string // the first nodes' cluster addresses, every node's --join
	nodes   []*node
	// settled says whether the cluster reached its steady state before
	// the test began (see settle); unsettled describes it when not.
	settled   bool
	unsettled string
}

// startCluster starts n nodes that join each other by container name and
// waits until every node reports cluster_state:ok with the same epoch.
func startCluster(ctx context.Context, t *testing.T, n int) *dockerCluster {
	t.Helper()
	requireDocker(t)
	run := fmt.Sprintf("mcc%d%03d", time.Now().UnixMilli()%1e7, runSeq.Add(1))
	c := &dockerCluster{t: t, run: run, network: run}
	t.Cleanup(c.cleanup)

	// A user-defined subnet lets each node keep its address when it is
	// reconnected or restarted (the address a node gossips is fixed at
	// start). Pick a random /24 and retry if it overlaps another network.
	var prefix string
	for attempt := 0; ; attempt++ {
		prefix = fmt.Sprintf("10.%d.%d.", 200+rand.IntN(50), rand.IntN(256))
		_, err := docker(ctx, "network", "create", "--driver", "bridge", "--subnet", prefix+"0/24",
			"--label", runLabel+"="+run, c.network)
		if err == nil {
			break
		}
		require.Lessf(t, attempt, 5, "create network: %v", err)
	}

	c.prefix = prefix
	for i := range n {
		c.seeds = append(c.seeds, fmt.Sprintf("%s-n%d:16379", run, i+1))
	}
	for range n {
		require.NoError(t, c.addNode(ctx))
	}
	start := time.Now()
	require.NoError(t, c.waitConverged(ctx, c.nodes, 45*time.Second), "cluster of %d did not form", n)
	t.Logf("cluster %s: %d nodes ok in %s", run, n, time.Since(start).Round(time.Millisecond))
	c.settle(ctx, settleTimeout)
	return c
}

// addNode starts the cluster's next node (name <run>-n<i>, address .1i on
// the cluster network) joining the first nodes' seeds, and adds it to
// c.nodes.
func (c *dockerCluster) addNode(ctx context.Context) error {
	i := len(c.nodes)
	nd := &node{name: fmt.Sprintf("%s-n%d", c.run, i+1), ip: c.prefix + strconv.Itoa(11+i)}
	nd.client = redis.NewClient(&redis.Options{
		Addr: nd.name, Dialer: nd.dial, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		PoolSize: 16, MinIdleConns: 0,
	})
	c.nodes = append(c.nodes, nd)
	_, err := docker(ctx, "run", "-d", "--name", nd.name, "--hostname", nd.name,
		"--network", c.network, "--ip", nd.ip, "--label", runLabel+"="+c.run,
		"-p", "127.0.0.1::6379", image,
		"--join", strings.Join(c.seeds, ","), "--gossip", "lan", "--node-timeout", nodeTimeout.String(),
		"--replicas", "1", "--replica-ack", "one")
	if err != nil {
		return err
	}
	return nd.refreshAddr(ctx)
}

// cleanup removes the run's containers and network, dumping the nodes'
// logs first when the test failed.
func (c *dockerCluster) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, n := range c.nodes {
		_ = n.client.Close()
		if c.t.Failed() {
			if logs, err := exec.CommandContext(ctx, "docker", "logs", "--tail", "40", n.name).CombinedOutput(); err == nil {
				c.t.Logf("logs of %s (last 40 lines):\n%s", n.name, logs)
			}
		}
	}
	filter := "label=" + runLabel + "=" + c.run
	ids, err := docker(ctx, "ps", "-aq", "--filter", filter)
	if err != nil {
		c.t.Errorf("cleanup: list containers: %v", err)
	} else if ids != "" {
		list := strings.Fields(ids)
		// A paused container cannot be killed; unpause first (errors for
		// containers that are not paused are expected).
		_, _ = docker(ctx, append([]string{"unpause"}, list...)...)
		if _, err := docker(ctx, append([]string{"rm", "-f", "-v"}, list...)...); err != nil {
			c.t.Errorf("cleanup: remove containers: %v", err)
		}
	}
	nets, err := docker(ctx, "network", "ls", "-q", "--filter", filter)
	if err != nil {
		c.t.Errorf("cleanup: list networks: %v", err)
	} else if nets != "" {
		if _, err := docker(ctx, append([]string{"network", "rm"}, strings.Fields(nets)...)...); err != nil {
			c.t.Errorf("cleanup: remove network: %v", err)
		}
	}
}

// clusterInfo reads CLUSTER INFO from a node as a field map.
func clusterInfo(ctx context.Context, n *node) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := n.client.ClusterInfo(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster info %s: %w", n.name, err)
	}
	return parseFields(s), nil
}

// parseFields parses "name:value" lines (CLUSTER INFO, INFO).
func parseFields(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m
}

// waitConverged waits until every node in nodes reports cluster_state:ok
// and all report the same epoch, polling every 250 ms.
func (c *dockerCluster) waitConverged(ctx context.Context, nodes []*node, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var last string
	for {
		epochs := map[string]bool{}
		ok := true
		var states []string
		for _, n := range nodes {
			info, err := clusterInfo(ctx, n)
			if err != nil {
				ok = false
				states = append(states, err.Error())
				continue
			}
			states = append(states, fmt.Sprintf("%s: state=%s epoch=%s size=%s known=%s", n.name,
				info["cluster_state"], info["cluster_current_epoch"], info["cluster_size"], info["cluster_known_nodes"]))
			if info["cluster_state"] != "ok" {
				ok = false
			}
			epochs[info["cluster_current_epoch"]] = true
		}
		last = strings.Join(states, "; ")
		if ok && len(epochs) == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not converged after %s: %s", d, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// replFields are the INFO replication fields replStats sums over nodes.
var replFields = []string{"replica_peers", "slots_led", "slots_replicated", "slots_replica_syncing",
	"slots_degraded", "replica_ack_waits", "replica_ack_timeouts", "replica_ack_degraded", "slots_lost"}

// replStats sums INFO replication's numeric fields over nodes; a field
// the binary does not report is absent from the map.
func (c *dockerCluster) replStats(ctx context.Context, nodes []*node) (map[string]int, error) {
	sum := map[string]int{}
	for _, n := range nodes {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := n.client.Info(cctx, "replication").Result()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("info replication %s: %w", n.name, err)
		}
		f := parseFields(s)
		for _, name := range replFields {
			if v, ok := f[name]; ok {
				k, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("info replication %s: %s:%q: %w", n.name, name, v, err)
				}
				sum[name] += k
			}
		}
	}
	return sum, nil
}

// allSettled reports whether every node answers INFO cluster with
// cluster_settled:1.
func (c *dockerCluster) allSettled(ctx context.Context) bool {
	for _, n := range c.nodes {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := n.client.Info(cctx, "cluster").Result()
		cancel()
		if err != nil || parseFields(s)["cluster_settled"] != "1" {
			return false
		}
	}
	return true
}

// replNote renders the replica-ack counters summed over nodes.
func (c *dockerCluster) replNote(ctx context.Context, nodes []*node) string {
	st, err := c.replStats(ctx, nodes)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("replica acks: %d waits, %d timeouts, %d degraded (acked with no replica in sync)",
		st["replica_ack_waits"], st["replica_ack_timeouts"], st["replica_ack_degraded"])
}

// live returns the nodes other than those listed.
func (c *dockerCluster) live(except ...*node) []*node {
	var out []*node
outer:
	for _, n := range c.nodes {
		for _, e := range except {
			if n == e {
				continue outer
			}
		}
		out = append(out, n)
	}
	return out
}

// kill sends SIGKILL to a node's container.
func (c *dockerCluster) kill(ctx context.Context, n *node) error {
	_, err := docker(ctx, "kill", "--signal", "KILL", n.name)
	n.addr.Store(new(string))
	return err
}

// stop stops a node with SIGTERM, waiting up to grace before SIGKILL.
func (c *dockerCluster) stop(ctx context.Context, n *node, grace time.Duration) error {
	_, err := docker(ctx, "stop", "-t", strconv.Itoa(int(grace.Seconds())), n.name)
	n.addr.Store(new(string))
	return err
}

// exitCode returns the exit status of a stopped container's process (137
// means SIGKILL: docker stop's grace ran out).
func (c *dockerCluster) exitCode(ctx context.Context, n *node) (int, error) {
	out, err := docker(ctx, "inspect", "--format", "{{.State.ExitCode}}", n.name)
	if err != nil {
		return 0, err
	}
	code, err := strconv.Atoi(out)
	if err != nil {
		return 0, fmt.Errorf("exit code of %s: %q: %w", n.name, out, err)
	}
	return code, nil
}

// logTail returns the last lines of a container's log (the node logs to
// stderr).
func (c *dockerCluster) logTail(ctx context.Context, n *node, lines int) string {
	out, err := exec.CommandContext(ctx, "docker", "logs", "--tail", strconv.Itoa(lines), n.name).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("docker logs %s: %v", n.name, err)
	}
	return string(out)
}

// start starts a stopped node's container again (a new, empty node with
// the same name and address) and refreshes its published port.
func (c *dockerCluster) start(ctx context.Context, n *node) error {
	if _, err := docker(ctx, "start", n.name); err != nil {
		return err
	}
	return n.refreshAddr(ctx)
}

// pause freezes every process of a node (SIGSTOP-like, via the cgroup
// freezer); unpause thaws them.
func (c *dockerCluster) pause(ctx context.Context, n *node) error {
	_, err := docker(ctx, "pause", n.name)
	return err
}

func (c *dockerCluster) unpause(ctx context.Context, n *node) error {
	_, err := docker(ctx, "unpause", n.name)
	return err
}

// disconnect cuts a node off the cluster network. It keeps running, but
// with only a loopback interface: nothing reaches it from the host either
// (reach it with probe).
func (c *dockerCluster) disconnect(ctx context.Context, n *node) error {
	_, err := docker(ctx, "network", "disconnect", c.network, n.name)
	n.addr.Store(new(string))
	return err
}

// connect reattaches a disconnected node with its original address.
func (c *dockerCluster) connect(ctx context.Context, n *node) error {
	if _, err := docker(ctx, "network", "connect", "--ip", n.ip, c.network, n.name); err != nil {
		return err
	}
	return n.refreshAddr(ctx)
}

var probeCopied sync.Map // container name -> struct{}

// probe runs one command inside a node's container against its own RESP
// port and returns the probe's output line ("error: ..." for an error
// reply, "neterror: ..." when the node did not answer).
func (c *dockerCluster) probe(ctx context.Context, n *node, args ...string) (string, error) {
	if _, done := probeCopied.Load(n.name); !done {
		if _, err := docker(ctx, "cp", probeBinary, n.name+":/probe"); err != nil {
			return "", err
		}
		probeCopied.Store(n.name, struct{}{})
	}
	cmd := exec.CommandContext(ctx, "docker", append([]string{"exec", n.name, "/probe", "-timeout", "2s"}, args...)...)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return "", fmt.Errorf("docker exec probe on %s: %w", n.name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// slotsLed counts the slots each node leads in from's routing table
// (CLUSTER NODES), by container name.
func (c *dockerCluster) slotsLed(ctx context.Context, from *node) (map[string]int, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := from.client.ClusterNodes(cctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster nodes from %s: %w", from.name, err)
	}
	byIP := map[string]string{}
	for _, n := range c.nodes {
		byIP[n.ip] = n.name
	}
	led := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		host, _, _ := strings.Cut(f[1], ":")
		name := byIP[host]
		if name == "" {
			name = f[1]
		}
		for _, r := range f[8:] {
			lo, hi, isRange := strings.Cut(r, "-")
			a, err1 := strconv.Atoi(lo)
			b := a
			var err2 error
			if isRange {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 == nil && err2 == nil {
				led[name] += b - a + 1
			}
		}
	}
	return led, nil
}

// layout renders the slots each node leads, as from sees them.
func (c *dockerCluster) layout(ctx context.Context, from *node) string {
	led, err := c.slotsLed(ctx, from)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, n := range c.nodes {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(n.name, c.run+"-"), led[n.name]))
	}
	return "slots led " + strings.Join(parts, " ")
}

// settleTimeout bounds how long startCluster waits for a fresh cluster to
// spread its slots and build every replica.
const settleTimeout = 120 * time.Second

// settle waits up to d for the steady state the guarantees are about:
// every node reports cluster_settled:1 (its routing table is the target
// placement, no slot migrates: the join's handoffs are done, so a fault
// does not land in the middle of a rebalance), every node leads slots, no
// slot is degraded (each has a replica in sync) and no replica is still
// syncing. A cluster that does not get there still runs the test, with the
// state logged.
func (c *dockerCluster) settle(ctx context.Context, d time.Duration) {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	for {
		led, err := c.slotsLed(ctx, c.nodes[0])
		done := err == nil
		for _, n := range c.nodes {
			done = done && led[n.name] > 0
		}
		st, err := c.replStats(ctx, c.nodes)
		done = done && err == nil && st["slots_degraded"] == 0 && st["slots_replica_syncing"] == 0
		done = done && c.allSettled(ctx)
		if done || time.Now().After(deadline) || ctx.Err() != nil {
			verb := "settled"
			if !done {
				verb = "NOT settled"
				c.unsettled = fmt.Sprintf("NOT settled after %s (%s, %d slots degraded, %d replica slots syncing)",
					time.Since(start).Round(time.Second), c.layout(ctx, c.nodes[0]), st["slots_degraded"], st["slots_replica_syncing"])
			}
			c.settled = done
			c.t.Logf("cluster %s after %s: %s; replication %v", verb, time.Since(start).Round(100*time.Millisecond),
				c.layout(ctx, c.nodes[0]), st)
			return
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// busiest returns the node that leads the most slots in nodes[0]'s table:
// the fault that hits it puts the most acknowledged writes at stake.
func (c *dockerCluster) busiest(ctx context.Context) *node {
	led, err := c.slotsLed(ctx, c.nodes[0])
	best := c.nodes[0]
	if err != nil {
		return best
	}
	for _, n := range c.nodes {
		if led[n.name] > led[best.name] {
			best = n
		}
	}
	return best
}

// states renders CLUSTER INFO's state and epoch of each node.
func (c *dockerCluster) states(ctx context.Context, nodes []*node) string {
	var parts []string
	for _, n := range nodes {
		info, err := clusterInfo(ctx, n)
		if err != nil {
			parts = append(parts, err.Error())
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s epoch %s", strings.TrimPrefix(n.name, c.run+"-"),
			info["cluster_state"], info["cluster_current_epoch"]))
	}
	return strings.Join(parts, ", ")
}
