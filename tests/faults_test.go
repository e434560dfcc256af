package tests

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/history"
	"github.com/meshcache/meshcache/tests/testenv"
)

// The fault tests run real processes under a writer whose acknowledged
// history is the model (history_test.go), inject a fault (SIGKILL, SIGTERM,
// joins), wait for the cluster to settle and read every key back from every
// live node. docs/DESIGN.md §5: failover, join and leave lose no acknowledged write
// and resurrect no acknowledged delete. They are the process-level
// counterpart of the docker suite tests/chaos, and run in CI.

const (
	// faultWorkers and faultPace give about 300-450 operations per second
	// in all: enough to have writes in flight at every fault without
	// saturating two cores with race-built nodes.
	faultWorkers = 4
	faultPace    = 8 * time.Millisecond
	// faultDeadline bounds each fault test as a whole.
	faultDeadline = 240 * time.Second
	// settleBound is how long a cluster may take to converge after a fault.
	settleBound = 90 * time.Second
	// drainBound is how long a node may take to drain and exit on SIGTERM.
	drainBound = 60 * time.Second
)

// faultRun is one fault test: its cluster, its writer and the nodes that
// are gone (killed or stopped), whose logs still explain a failure.
type faultRun struct {
	t      *testing.T
	ctx    context.Context
	tc     *testCluster
	w      *writer
	gone   []*node
	args   []string     // extra flags of every node
	script bool         // the writers write with Lua scripts
	last   *clusterView // the latest converged view
	before *clusterView // the converged view before the latest fault
}

// startFaultRun starts an n-node cluster (nodes started with args) and a
// writer over every node.
func startFaultRun(t *testing.T, n int, prefix string, args ...string) *faultRun {
	t.Helper()
	r := newFaultRun(t, n, args...)
	r.startWriter(prefix)
	return r
}

// newFaultRun starts an n-node cluster (nodes started with args) with no
// writer yet.
func newFaultRun(t *testing.T, n int, args ...string) *faultRun {
	t.Helper()
	ctx := testContext(t, faultDeadline)
	start := time.Now()
	tc := startCluster(t, n, args...)
	t.Logf("%d-node cluster converged in %s", n, time.Since(start).Round(time.Millisecond))
	r := &faultRun{t: t, ctx: ctx, tc: tc, args: args}
	t.Cleanup(r.killAll)
	return r
}

// startWriter starts a new writer over the live nodes.
func (r *faultRun) startWriter(prefix string) {
	r.w = startWriter(faultWorkers, faultPace, prefix, r.tc.addrs(), r.script)
	w := r.w
	r.t.Cleanup(func() { w.stop() })
}

// busiest returns the live node that leads the most slots in v.
func (r *faultRun) busiest(v *clusterView) *node {
	best := r.tc.nodes[0]
	for _, n := range r.tc.nodes[1:] {
		if v.slotCount(n.addr) > v.slotCount(best.addr) {
			best = n
		}
	}
	return best
}

// killAll SIGKILLs every node still running. Once a fault test has
// checked its data, draining the nodes one after another (their own
// cleanup, SIGTERM) would only add seconds; the SIGTERM path is tested by
// TestFaultRollingRestart.
func (r *faultRun) killAll() {
	for _, n := range r.tc.nodes {
		n.Kill()
	}
}

// kill SIGKILLs n and takes it out of the cluster and the writer's targets.
func (r *faultRun) kill(n *node, v *clusterView) {
	r.t.Helper()
	r.before = r.last
	r.t.Logf("@%s SIGKILL %s (leads %d slots) at %s", r.w.since(), n.addr, v.slotCount(n.addr), r.w)
	n.Kill()
	select {
	case <-n.Done():
	default:
		r.t.Fatalf("%s still running 10s after SIGKILL", n.addr)
	}
	r.forget(n)
}

// forget takes a node that exited out of the cluster and the targets.
func (r *faultRun) forget(n *node) {
	r.tc.remove(n)
	r.gone = append(r.gone, n)
	r.w.setTargets(r.tc.addrs())
}

// join starts a node joining through seeds and adds it to the targets.
func (r *faultRun) join(seeds string) *node {
	r.t.Helper()
	r.before = r.last
	n := r.tc.addNodeJoining(r.t, seeds, r.args...)
	r.t.Cleanup(r.killAll) // runs before the new node's own (graceful) stop
	r.w.setTargets(r.tc.addrs())
	r.t.Logf("@%s %s joined through %s at %s", r.w.since(), n.addr, seeds, r.w)
	return n
}

// settle waits until the live nodes converge and logs how long it took.
func (r *faultRun) settle(what string) *clusterView {
	r.t.Helper()
	start := time.Now()
	v := r.tc.waitConverged(r.t, len(r.tc.nodes), settleBound)
	r.t.Logf("@%s settled on %d nodes in %s (%s; epoch %s) at %s", r.w.since(), len(r.tc.nodes),
		time.Since(start).Round(time.Millisecond), what, v.epoch, r.w)
	r.last = v
	return v
}

// check reads hs back from every live node and requires that nothing
// acknowledged was lost or resurrected; on failure it prints the examples
// and the tail of every node's log, the dead ones included.
func (r *faultRun) check(hs []*history.Key, v *clusterView, what string) {
	r.t.Helper()
	start := time.Now()
	where := func(key string) string {
		s := "primary " + v.ownerOf(key)
		if r.before != nil {
			s += ", before the last fault " + r.before.ownerOf(key)
		}
		return s
	}
	verdict, err := checkHistories(r.ctx, r.tc.addrs(), hs, where)
	require.NoError(r.t, err, "read back %s", what)
	r.t.Logf("check %s: %s in %s", what, verdict, time.Since(start).Round(time.Millisecond))
	if verdict.clean() {
		return
	}
	for _, e := range verdict.examples {
		r.t.Log("  ", e)
	}
	var logs strings.Builder
	for _, n := range append(slices.Clone(r.tc.nodes), r.gone...) {
		fmt.Fprintf(&logs, "--- %s (last 40 lines) ---\n%s\n", n.addr, logTail(n.Out(), 40))
	}
	r.t.Log(logs.String())
	promise := "docs/DESIGN.md §5: failover, join and leave lose no acknowledged write " + what
	assert.Zero(r.t, verdict.lost, "acknowledged writes lost; %s", promise)
	assert.Zero(r.t, verdict.resurrected, "acknowledged deletes resurrected; %s", promise)
	assert.Zero(r.t, verdict.stale, "live nodes disagree after convergence; %s", promise)
	assert.Zero(r.t, verdict.unexpected, "values the history cannot explain; %s", promise)
	assert.Zero(r.t, verdict.readErrors, "reads failed after convergence; %s", promise)
}

// logTail returns the last n lines of s.
func logTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestFaultKillPrimary SIGKILLs the node leading the most slots of three
// under writes, then, once a new node has joined and re-replication is
// done, SIGKILLs another (issue 4.7): no acknowledged write is lost by
// either failure.
func TestFaultKillPrimary(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := startFaultRun(t, 3, "fkp1")
	v := r.settle("at start")
	sleepCtx(r.ctx, 2*time.Second)
	r.kill(r.busiest(v), v)
	v = r.settle("after the first SIGKILL")
	sleepCtx(r.ctx, time.Second)
	first := r.w.stop()
	r.check(first, v, "after the first SIGKILL")

	r.startWriter("fkp2")
	r.join(r.tc.seeds())
	v = r.settle("after the join (re-replicated)")
	sleepCtx(r.ctx, time.Second)
	r.kill(r.busiest(v), v)
	v = r.settle("after the second SIGKILL")
	sleepCtx(r.ctx, time.Second)
	second := r.w.stop()
	r.check(append(slices.Clone(first), second...), v, "after the second SIGKILL")
}

// TestFaultKillPrimaryScripted SIGKILLs the node leading the most slots of
// three while every write is a Lua script (EVALSHA, through every node):
// the scripts' writes replicate as effects, so none acknowledged is lost
// by failover (issue 15).
func TestFaultKillPrimaryScripted(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := newFaultRun(t, 3)
	r.script = true
	r.startWriter("fks")
	v := r.settle("at start")
	sleepCtx(r.ctx, 2*time.Second)
	r.kill(r.busiest(v), v)
	v = r.settle("after the SIGKILL")
	sleepCtx(r.ctx, time.Second)
	hs := r.w.stop()
	require.Positive(t, r.w.acked.Load(), "no scripted write was acknowledged: %s", r.w)
	r.check(hs, v, "after a SIGKILL under scripted writes")
}

// TestFaultJoinsUnderWrites grows a cluster 1 -> 2 -> 3 under writes and
// deletes (issue 5.5): the handoffs lose and resurrect nothing.
func TestFaultJoinsUnderWrites(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := startFaultRun(t, 1, "fjw")
	r.settle("at start")
	sleepCtx(r.ctx, 2*time.Second)
	r.join(r.tc.seed())
	r.settle("after the 2nd node joined")
	sleepCtx(r.ctx, time.Second)
	r.join(r.tc.seed())
	v := r.settle("after the 3rd node joined")
	sleepCtx(r.ctx, time.Second)
	r.check(r.w.stop(), v, "after joins 1 -> 2 -> 3")
}

// TestFaultRollingRestart stops every node of three in turn with SIGTERM
// (drain and leave) and starts a fresh node joining the survivors, waiting
// for the cluster between nodes, under writes (issue 5.5). Each node must
// drain and exit 0 on its own, and nothing acknowledged is lost.
func TestFaultRollingRestart(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := startFaultRun(t, 3, "frr")
	v := r.settle("at start")
	sleepCtx(r.ctx, 2*time.Second)
	for _, n := range slices.Clone(r.tc.nodes) {
		r.before = v
		t.Logf("@%s SIGTERM %s (leads %d slots) at %s", r.w.since(), n.addr, v.slotCount(n.addr), r.w)
		start := time.Now()
		err := n.Signal(syscall.SIGTERM, drainBound)
		drained := time.Since(start).Round(time.Millisecond)
		select {
		case <-n.Done():
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				assert.Fail(t, "a node must drain and exit 0 on SIGTERM",
					"%s exited with %v after %s:\n%s", n.addr, err, drained, logTail(n.Out(), 60))
			} else {
				require.NoError(t, err, "SIGTERM %s", n.addr)
			}
		default:
			assert.Fail(t, "a node must drain and exit on SIGTERM",
				"%s still running %s after SIGTERM (%v); SIGKILLing it:\n%s", n.addr, drainBound, err, logTail(n.Out(), 60))
			n.Kill()
		}
		t.Logf("@%s %s exited after %s", r.w.since(), n.addr, drained)
		r.forget(n)
		r.join(r.tc.seeds())
		v = r.settle("after restarting " + n.addr)
	}
	sleepCtx(r.ctx, time.Second)
	r.check(r.w.stop(), v, "after a rolling restart")
}

// TestFaultJoinWhileNodeDies starts a 4th node and, right after, SIGKILLs
// the busiest of the original three (issue 5.5): the join and the failover
// overlap, and nothing acknowledged is lost.
func TestFaultJoinWhileNodeDies(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := startFaultRun(t, 3, "fjd")
	v := r.settle("at start")
	victim := r.busiest(v)
	sleepCtx(r.ctx, 2*time.Second)
	r.join(r.tc.seeds())
	r.kill(victim, v)
	v = r.settle("after the join and the SIGKILL")
	sleepCtx(r.ctx, time.Second)
	r.check(r.w.stop(), v, "after a join while a node died")
}

// TestFaultModel checks how per-node reads add up to a verdict (the
// per-read rules are tested in package history).
func TestFaultModel(t *testing.T) {
	set := func(v string, o history.Outcome) history.Op { return history.Op{Value: v, Outcome: o} }
	del := func(o history.Outcome) history.Op { return history.Op{Del: true, Outcome: o} }
	absent := history.State{}
	val := func(v string) history.State { return history.State{Present: true, Value: v} }
	hs := []*history.Key{
		{Name: "ok", Ops: []history.Op{set("a", history.Acked)}},
		{Name: "lost", Ops: []history.Op{set("a", history.Acked)}},
		{Name: "stale", Ops: []history.Op{set("a", history.Acked), set("b", history.Acked)}},
		{Name: "resurrected", Ops: []history.Op{set("a", history.Acked), del(history.Acked)}},
		{Name: "retired", Ops: []history.Op{set("a", history.Acked), del(history.Unknown)}},
	}
	reads := []nodeRead{
		{node: "n1", states: []history.State{val("a"), absent, val("b"), val("a"), absent}, errs: make([]error, 5)},
		{node: "n2", states: []history.State{val("a"), absent, val("a"), val("a"), absent}, errs: make([]error, 5)},
	}
	v := judge(hs, reads, func(string) string { return "n1" })
	assert.Equal(t, verdict{keys: 5, retired: 1, nodes: 2, lost: 1, stale: 1, resurrected: 1}, verdict{
		keys: v.keys, retired: v.retired, nodes: v.nodes, lost: v.lost, stale: v.stale, resurrected: v.resurrected,
		unexpected: v.unexpected, readErrors: v.readErrors})
	assert.Len(t, v.examples, 3)
	assert.False(t, v.clean())
}

// TestFaultPlannedFailover sends CLUSTER FAILOVER, with redis-cli, to a
// node of three under writes (issue 4.4): it becomes the primary of every
// slot it replicated, and nothing acknowledged is lost or resurrected.
func TestFaultPlannedFailover(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	r := startFaultRun(t, 3, "fpf")
	r.settle("at start")
	sleepCtx(r.ctx, 2*time.Second)
	x := r.tc.nodes[1]
	c := redis.NewClient(&redis.Options{Addr: x.addr})
	t.Cleanup(func() { _ = c.Close() })
	// Cluster clients see one role per node (DESIGN §6), so the slots x
	// replicates are counted by its INFO, not listed by CLUSTER SLOTS.
	info, err := c.Info(r.ctx, "replication").Result()
	require.NoError(t, err)
	fields := testenv.ParseInfo(info)
	led, err1 := strconv.Atoi(fields["slots_led"])
	replicated, err2 := strconv.Atoi(fields["slots_replicated"])
	require.NoError(t, errors.Join(err1, err2), "INFO replication: %s", info)
	require.Positive(t, replicated)

	out, err := exec.CommandContext(r.ctx, "redis-cli", "-p", fmt.Sprint(x.port), "CLUSTER", "FAILOVER").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "OK", strings.TrimSpace(string(out)))
	r.t.Logf("@%s CLUSTER FAILOVER on %s (leads %d slots, replicates %d) at %s", r.w.since(), x.addr, led, replicated, r.w)
	require.Eventually(t, func() bool {
		v, err := r.tc.view(len(r.tc.nodes))
		return err == nil && v.slotCount(x.addr) >= led+replicated
	}, settleBound, 100*time.Millisecond, "%s leads every slot it replicated", x.addr)
	v := r.settle("after CLUSTER FAILOVER")
	sleepCtx(r.ctx, time.Second)
	r.check(r.w.stop(), v, "after CLUSTER FAILOVER")
}
