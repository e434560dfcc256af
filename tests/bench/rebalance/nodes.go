package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterPortOffset is meshcache's default distance from the client port
// to the cluster (gossip and internode) port.
const clusterPortOffset = 10000

// node is one meshcache process started by the benchmark.
type node struct {
	port   int
	logf   string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	err    error         // the exit status, valid after done
	client *redis.Client // plain client for INFO and DBSIZE
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// exited reports whether the process has ended.
func (n *node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// checkPortsFree fails if anything answers on the client or cluster port
// of any of the nodes the benchmark will start: it must not touch, or be
// confused by, servers it did not start.
func checkPortsFree(base, count int) error {
	for i := range count {
		for _, p := range []int{base + i, base + i + clusterPortOffset} {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), 300*time.Millisecond)
			if err == nil {
				c.Close()
				return fmt.Errorf("port %d already answers; pick another -port", p)
			}
		}
	}
	return nil
}

// startNode starts meshcache on port with its log in dir; join, when not
// empty, is the cluster address of a seed; rate and batch, when set, are
// its --migration-rate and --migration-batch. The process dies with the
// benchmark (Pdeathsig) even if the benchmark is killed outright.
func startNode(bin, dir string, port int, join, rate string, batch int) (*node, error) {
	n := &node{port: port, logf: filepath.Join(dir, "node-"+strconv.Itoa(port)+".log"), done: make(chan struct{})}
	out, err := os.Create(n.logf)
	if err != nil {
		return nil, fmt.Errorf("node %d log: %w", port, err)
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
	if join != "" {
		args = append(args, "--join", join)
	}
	if rate != "" {
		args = append(args, "--migration-rate", rate)
	}
	if batch > 0 {
		args = append(args, "--migration-batch", strconv.Itoa(batch))
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.Dir = dir
	n.cmd.Stdout, n.cmd.Stderr = out, out
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start node %d: %w", port, err)
	}
	go func() { // reaps the process; ends when it exits
		n.err = n.cmd.Wait()
		out.Close()
		close(n.done)
	}()
	n.client = redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	return n, nil
}

// stop kills the process. Not SIGTERM: a meshcache node drains on
// SIGTERM, handing its slots to the nodes still up, which would move the
// whole keyspace again on every shutdown of a throwaway cluster.
func (n *node) stop() {
	n.client.Close()
	if n.exited() {
		return
	}
	if err := n.cmd.Process.Kill(); err != nil {
		slog.Warn("kill node", "addr", n.addr(), "err", err)
	}
	<-n.done
}

// info returns the name:value fields of CLUSTER INFO (cmd == "cluster")
// or INFO with the given sections.
func info(ctx context.Context, c *redis.Client, cluster bool, sections ...string) (map[string]string, error) {
	var raw string
	var err error
	if cluster {
		raw, err = c.ClusterInfo(ctx).Result()
	} else {
		raw, err = c.Info(ctx, sections...).Result()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: info %v: %w", c.Options().Addr, sections, err)
	}
	m := make(map[string]string)
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// waitServing waits until n answers CLUSTER INFO with cluster_state ok
// (for a seed: it has issued its first routing table). Starting a joiner
// before that lets both nodes issue an epoch-1 table of their own, which
// they were seen not to reconcile.
func waitServing(ctx context.Context, n *node, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if n.exited() {
			return fmt.Errorf("%s exited: %v (log %s)", n.addr(), n.err, n.logf)
		}
		ci, err := info(ctx, n.client, true)
		if err == nil && ci["cluster_state"] == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not serving within %v: %w (last: %v, state %q)", n.addr(), timeout, ctx.Err(), err, ci["cluster_state"])
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// nodeState is what settled() needs of one node.
type nodeState struct {
	epoch     string
	slotsLed  int
	xferBytes int64
}

// settledNode checks one node against a settled cluster of want nodes:
// CLUSTER INFO ok with want known nodes and every slot assigned, nothing
// migrating, importing, transferring or replica-syncing, no degraded slot,
// and some slots led (membership runs ahead of the routing table).
func settledNode(ctx context.Context, n *node, want int) (nodeState, error) {
	if n.exited() {
		return nodeState{}, fmt.Errorf("%s exited: %v (log %s)", n.addr(), n.err, n.logf)
	}
	ci, err := info(ctx, n.client, true)
	if err != nil {
		return nodeState{}, err
	}
	for field, value := range map[string]string{
		"cluster_state":          "ok",
		"cluster_known_nodes":    strconv.Itoa(want),
		"cluster_slots_assigned": "16384",
	} {
		if ci[field] != value {
			return nodeState{}, fmt.Errorf("%s: CLUSTER INFO %s = %q, want %q", n.addr(), field, ci[field], value)
		}
	}
	in, err := info(ctx, n.client, false, "replication", "cluster")
	if err != nil {
		return nodeState{}, err
	}
	for _, field := range []string{"slots_replica_syncing", "slots_degraded", "cluster_slots_migrating",
		"cluster_slots_importing", "cluster_slot_transfers_running"} {
		if in[field] != "0" {
			return nodeState{}, fmt.Errorf("%s: INFO %s = %q, want 0", n.addr(), field, in[field])
		}
	}
	st := nodeState{epoch: ci["cluster_current_epoch"]}
	if st.slotsLed, err = strconv.Atoi(in["slots_led"]); err != nil || st.slotsLed == 0 {
		return nodeState{}, fmt.Errorf("%s: slots_led = %q, want > 0", n.addr(), in["slots_led"])
	}
	if st.xferBytes, err = strconv.ParseInt(in["cluster_slot_transfer_bytes"], 10, 64); err != nil {
		return nodeState{}, fmt.Errorf("%s: cluster_slot_transfer_bytes %q: %w", n.addr(), in["cluster_slot_transfer_bytes"], err)
	}
	return st, nil
}

// waitSettled polls the nodes until all are settled (settledNode) on one
// epoch and that epoch has held for stable: the coordinator moves slots in
// batches, and between two batches every counter can read 0. It returns
// the time the final stable view was first seen.
func waitSettled(ctx context.Context, nodes []*node, stable, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var since time.Time
	epoch := ""
	var lastErr error
	for {
		now := time.Now()
		e, err := clusterEpoch(ctx, nodes)
		switch {
		case err != nil:
			lastErr, since, epoch = err, time.Time{}, ""
		case e != epoch:
			since, epoch = now, e
		case now.Sub(since) >= stable:
			return since, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("cluster of %d not settled within %v: %w (last: %v)", len(nodes), timeout, ctx.Err(), lastErr)
		case <-time.After(settlePoll):
		}
	}
}

// settlePoll is how often waitSettled reads the nodes' INFO.
const settlePoll = 200 * time.Millisecond

// clusterEpoch returns the epoch all nodes are settled on.
func clusterEpoch(ctx context.Context, nodes []*node) (string, error) {
	epochs := make([]string, 0, len(nodes))
	for _, n := range nodes {
		st, err := settledNode(ctx, n, len(nodes))
		if err != nil {
			return "", err
		}
		epochs = append(epochs, st.epoch)
	}
	if len(slices.Compact(slices.Clone(epochs))) != 1 {
		return "", fmt.Errorf("nodes on different epochs %v", epochs)
	}
	return epochs[0], nil
}

// nodeFigures is what the report shows of one node after the rebalance.
type nodeFigures struct {
	addr      string
	slotsLed  int
	keys      int64
	xferBytes int64
	xferDone  int64
	xferFail  int64
	handoffs  int64
	gcCycles  int64   // Go GC cycles since start
	gcPauseNs int64   // their stop-the-world pauses, total
	cpu       float64 // CPU seconds (user + sys) since start
}

// sub returns f's counters minus those of before (the same node earlier);
// slots and keys stay f's.
func (f nodeFigures) sub(before nodeFigures) nodeFigures {
	f.xferBytes -= before.xferBytes
	f.xferDone -= before.xferDone
	f.xferFail -= before.xferFail
	f.handoffs -= before.handoffs
	f.gcCycles -= before.gcCycles
	f.gcPauseNs -= before.gcPauseNs
	f.cpu -= before.cpu
	return f
}

// figures reads a node's slots, keys, transfer, GC and CPU counters.
func figures(ctx context.Context, n *node) (nodeFigures, error) {
	in, err := info(ctx, n.client, false, "replication", "cluster", "memory", "cpu")
	if err != nil {
		return nodeFigures{}, err
	}
	f := nodeFigures{addr: n.addr()}
	ints := map[string]*int64{
		"cluster_slot_transfer_bytes":   &f.xferBytes,
		"cluster_slot_transfers_done":   &f.xferDone,
		"cluster_slot_transfers_failed": &f.xferFail,
		"cluster_slots_handed_off":      &f.handoffs,
		"go_gc_cycles":                  &f.gcCycles,
		"go_gc_pause_total_ns":          &f.gcPauseNs,
	}
	var errs []error
	for k, p := range ints {
		v, err := strconv.ParseInt(in[k], 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: INFO %s = %q: %w", n.addr(), k, in[k], err))
		}
		*p = v
	}
	if f.cpu, err = cpuSeconds(n, in); err != nil {
		errs = append(errs, err)
	}
	if f.slotsLed, err = strconv.Atoi(in["slots_led"]); err != nil {
		errs = append(errs, fmt.Errorf("%s: INFO slots_led = %q: %w", n.addr(), in["slots_led"], err))
	}
	if f.keys, err = n.client.DBSize(ctx).Result(); err != nil {
		errs = append(errs, fmt.Errorf("%s: dbsize: %w", n.addr(), err))
	}
	return f, errors.Join(errs...)
}

// cpuOf returns the CPU seconds (user + sys) all nodes have used since they
// started, and when it read them.
func cpuOf(ctx context.Context, nodes []*node) (float64, time.Time, error) {
	var sum float64
	for _, n := range nodes {
		in, err := info(ctx, n.client, false, "cpu")
		if err != nil {
			return 0, time.Time{}, err
		}
		cpu, err := cpuSeconds(n, in)
		if err != nil {
			return 0, time.Time{}, err
		}
		sum += cpu
	}
	return sum, time.Now(), nil
}

// cpuSeconds sums INFO's used_cpu_user and used_cpu_sys.
func cpuSeconds(n *node, in map[string]string) (float64, error) {
	var sum float64
	for _, k := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := strconv.ParseFloat(in[k], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: INFO %s = %q: %w", n.addr(), k, in[k], err)
		}
		sum += v
	}
	return sum, nil
}
