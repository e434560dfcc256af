// Command failover measures how long a meshcache cluster takes to accept
// writes again for the slots of a primary killed with SIGKILL, and whether
// acknowledged writes survive the failover.
//
// It starts a 3-node cluster on loopback (default lan gossip profile, one
// replica per slot), waits until it is settled, and per trial: writes unique
// keys to the victim's slots from several goroutines through a go-redis
// ClusterClient, recording every acknowledged write; SIGKILLs the victim;
// probes one key per slot the victim led through every survivor until each
// slot accepted a write through each of them (the failover time); reads back
// every acknowledged write (lost writes); reads the survivors' logs to split
// the time into detection, the coordinator's failover step and table
// adoption; then starts a fresh node (--join) and waits for the cluster to
// settle again. Victims alternate between a non-coordinator node and the
// coordinator (the oldest member) unless -victim says otherwise.
//
//	go run ./tests/bench/failover -ack one,none -trials 5
//	go run ./tests/bench/failover -write   # also rewrite the docs/BENCHMARKS.md section
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/ring"
)

// clusterPortOffset is meshcache's default distance from the client port to
// the cluster (gossip) port.
const clusterPortOffset = 10000

// goal is issue 4's failover target with the lan profile.
const goal = 3 * time.Second

func main() {
	cfg := config{}
	flag.StringVar(&cfg.bin, "bin", "", "meshcache binary; empty = go build ./cmd/meshcache (without -race) into the temp dir")
	flag.IntVar(&cfg.trials, "trials", 5, "failovers per replica-ack mode")
	ack := flag.String("ack", "one,none", "replica-ack modes to measure, comma separated (none, one, all)")
	flag.StringVar(&cfg.victim, "victim", "alternate", "node to kill: other (not the coordinator), coordinator, or alternate")
	flag.IntVar(&cfg.base, "base", 18700, "first client port; nodes take base, base+1, ... (cluster ports +10000)")
	flag.IntVar(&cfg.writers, "writers", 8, "goroutines writing to the victim's slots")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "writing before the kill")
	flag.DurationVar(&cfg.after, "after", time.Second, "writing after the failover completed and the writers' last error")
	flag.DurationVar(&cfg.settle, "settle-timeout", 3*time.Minute, "longest wait for the cluster to settle")
	flag.DurationVar(&cfg.clientWait, "client-wait", 20*time.Second, "longest wait for the ClusterClient writers to recover")
	flag.DurationVar(&cfg.clientReload, "client-reload", time.Second,
		"go-redis ClusterStateReloadInterval: survivors forward rather than answer -MOVED, so a ClusterClient learns the new primaries only from this reload (go-redis default 60s)")
	flag.IntVar(&cfg.clientSample, "client-sample", 64, "victim slots probed through the ClusterClient")
	flag.BoolVar(&cfg.write, "write", false, "rewrite the failover section of docs/BENCHMARKS.md")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temp dir (node logs) after the run")
	flag.Parse()
	redis.SetLogger(quietLogger{}) // dial errors of the killed node are expected
	cfg.modes = strings.Split(*ack, ",")
	if err := run(&cfg); err != nil {
		slog.Error("failover", "err", err)
		os.Exit(1)
	}
}

type config struct {
	bin            string
	trials         int
	modes          []string
	victim         string
	base           int
	writers        int
	warmup, after  time.Duration
	settle         time.Duration
	clientWait     time.Duration
	clientSample   int
	clientReload   time.Duration
	write, keep    bool
	dir, root      string
	nextPort       int
	slotTag        [ring.SlotCount]string
	loadSamples    []string
	loadSamplesMux sync.Mutex
}

func run(cfg *config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.trials < 1 {
		return errors.New("-trials must be at least 1")
	}
	switch cfg.victim {
	case "other", "coordinator", "alternate":
	default:
		return fmt.Errorf("-victim %q: want other, coordinator or alternate", cfg.victim)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cfg.root = root
	cfg.dir, err = os.MkdirTemp("", "failoverbench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if cfg.keep {
		fmt.Fprintf(os.Stderr, "logs in %s\n", cfg.dir)
	} else {
		defer os.RemoveAll(cfg.dir)
	}
	if cfg.bin == "" {
		cfg.bin = filepath.Join(cfg.dir, "meshcache")
		fmt.Fprintln(os.Stderr, "building meshcache")
		b := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "./cmd/meshcache")
		b.Dir, b.Stdout, b.Stderr = root, os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	fillSlotTags(&cfg.slotTag)
	// Ports: 3 + trials nodes per mode, each on fresh ports, checked up front.
	need := len(cfg.modes) * (3 + cfg.trials)
	for p := cfg.base; p < cfg.base+need; p++ {
		for _, port := range []int{p, p + clusterPortOffset} {
			if answers(port) {
				return fmt.Errorf("port %d already answers; refusing to measure next to a stray server", port)
			}
		}
	}
	cfg.nextPort = cfg.base
	go sampleLoad(ctx, cfg)

	var reports []modeReport
	for _, mode := range cfg.modes {
		r, err := runMode(ctx, cfg, mode)
		if err != nil {
			return fmt.Errorf("replica-ack %s: %w", mode, err)
		}
		reports = append(reports, r)
	}
	load := cfg.loadSummary()
	md := markdown(cfg, reports, load)
	fmt.Println(md)
	if cfg.write {
		if err := writeSection(filepath.Join(root, "docs", "BENCHMARKS.md"), md); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote the failover section of docs/BENCHMARKS.md")
	}
	return nil
}

// quietLogger drops go-redis's internal log lines: the benchmark kills
// nodes on purpose, and the writers count their own errors.
type quietLogger struct{}

// Printf discards the line.
func (quietLogger) Printf(context.Context, string, ...any) {}

// node is one meshcache process.
type node struct {
	idx      int
	port     int
	id       string
	started  time.Time
	cmd      *exec.Cmd
	logPath  string
	done     chan struct{}
	killedAt time.Time
}

func (n *node) addr() string        { return "127.0.0.1:" + strconv.Itoa(n.port) }
func (n *node) clusterAddr() string { return "127.0.0.1:" + strconv.Itoa(n.port+clusterPortOffset) }

// cluster is the set of processes of one mode's run, oldest first.
type cluster struct {
	cfg   *config
	mode  string
	alive []*node
	all   []*node
}

// start launches a node joining the given cluster addresses (none: seed).
func (c *cluster) start(ctx context.Context, join []string) (*node, error) {
	n := &node{idx: len(c.all), port: c.cfg.nextPort, done: make(chan struct{})}
	c.cfg.nextPort++
	n.logPath = filepath.Join(c.cfg.dir, fmt.Sprintf("%s-node%d.log", c.mode, n.idx))
	logf, err := os.Create(n.logPath)
	if err != nil {
		return nil, fmt.Errorf("node log: %w", err)
	}
	defer logf.Close()
	args := []string{"--port", strconv.Itoa(n.port), "--bind", "127.0.0.1", "--replicas", "1",
		"--replica-ack", c.mode, "--log-level", "info"}
	if len(join) > 0 {
		args = append(args, "--join", strings.Join(join, ","))
	}
	// Not CommandContext: cleanup kills every node explicitly and waits.
	n.cmd = exec.Command(c.cfg.bin, args...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node %d: %w", n.idx, err)
	}
	n.started = time.Now()
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	c.all = append(c.all, n)
	c.alive = append(c.alive, n)
	rc := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2})
	defer rc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := rc.ClusterMyID(ctx).Result()
		if err == nil {
			n.id = id
			return n, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("node %d on :%d never answered CLUSTER MYID: %w", n.idx, n.port, err)
		}
		select {
		case <-n.done:
			return nil, fmt.Errorf("node %d exited at start, see %s", n.idx, n.logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill SIGKILLs a node and waits until the process is gone.
func (c *cluster) kill(n *node) error {
	n.killedAt = time.Now()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill node %d: %w", n.idx, err)
	}
	<-n.done
	c.alive = slices.DeleteFunc(c.alive, func(x *node) bool { return x == n })
	return nil
}

// stopAll kills every process this cluster started.
func (c *cluster) stopAll() {
	for _, n := range c.all {
		select {
		case <-n.done:
		default:
			_ = n.cmd.Process.Signal(syscall.SIGKILL)
			<-n.done
		}
	}
	c.alive = nil
}

// settled reports whether every live node sees a healthy, still cluster.
func (c *cluster) settled(ctx context.Context) (bool, string) {
	for _, n := range c.alive {
		rc := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2, MaxRetries: -1})
		ci, err1 := rc.ClusterInfo(ctx).Result()
		ic, err2 := rc.Info(ctx, "cluster").Result()
		ir, err3 := rc.Info(ctx, "replication").Result()
		rc.Close()
		if err := errors.Join(err1, err2, err3); err != nil {
			return false, fmt.Sprintf("node %d: %v", n.idx, err)
		}
		want := map[string]string{
			"cluster_state": "ok", "cluster_known_nodes": strconv.Itoa(len(c.alive)),
			"cluster_slots_migrating": "0", "cluster_slots_importing": "0",
			"slots_replica_syncing": "0", "slots_degraded": "0",
		}
		got := parseInfo(ci + "\n" + ic + "\n" + ir)
		for k, v := range want {
			if got[k] != v {
				return false, fmt.Sprintf("node %d: %s=%q, want %q", n.idx, k, got[k], v)
			}
		}
	}
	return true, ""
}

func (c *cluster) waitSettled(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(c.cfg.settle)
	var why string
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		var ok bool
		if ok, why = c.settled(ctx); ok {
			// Settled twice in a row, a second apart: the coordinator may be
			// between two steps.
			time.Sleep(time.Second)
			if ok, why = c.settled(ctx); ok {
				return time.Since(start), nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return 0, fmt.Errorf("cluster did not settle within %s: %s", c.cfg.settle, why)
}

// trial is one failover's figures.
type trial struct {
	victimKind    string
	victimSlots   int
	failover      time.Duration // kill until every victim slot accepted a write through every survivor
	client        time.Duration // the same through the writers' ClusterClient; -1 = not within -client-wait
	writeErrs     int           // writes that got an error (not acknowledged)
	acked, lost   int
	detect, issue time.Duration // from the logs: declared dead, failover table issued
	adopt         time.Duration // the last survivor adopted the failover table
	probeRound    time.Duration // the final probe round's length: the resolution
	probeErr      string        // the last error a probe got
	clientStuck   string        // the writers' last error when they did not recover
	settle        time.Duration
}

type modeReport struct {
	mode   string
	trials []trial
}

func runMode(ctx context.Context, cfg *config, mode string) (modeReport, error) {
	rep := modeReport{mode: mode}
	c := &cluster{cfg: cfg, mode: mode}
	defer c.stopAll()
	seed, err := c.start(ctx, nil)
	if err != nil {
		return rep, err
	}
	for range 2 {
		if _, err := c.start(ctx, []string{seed.clusterAddr()}); err != nil {
			return rep, err
		}
	}
	fmt.Fprintf(os.Stderr, "replica-ack %s: waiting for the cluster to settle\n", mode)
	if _, err := c.waitSettled(ctx); err != nil {
		return rep, c.withLogs(err)
	}
	for i := range cfg.trials {
		kind := cfg.victim
		if kind == "alternate" {
			kind = []string{"other", "coordinator"}[i%2]
		}
		t, err := runTrial(ctx, c, i, kind)
		if err != nil {
			return rep, c.withLogs(fmt.Errorf("trial %d: %w", i+1, err))
		}
		fmt.Fprintf(os.Stderr, "replica-ack %s trial %d (%s): failover %s, through ClusterClient %s, acked %d, write errors %d, lost %d, dead after %s, table issued %s, adopted %s, last probe round %s, last probe error %q, ClusterClient error %q, settled in %s\n",
			mode, i+1, kind, ms(t.failover), ms(t.client), t.acked, t.writeErrs, t.lost, ms(t.detect), ms(t.issue), ms(t.adopt),
			ms(t.probeRound), t.probeErr, t.clientStuck, t.settle.Round(100*time.Millisecond))
		rep.trials = append(rep.trials, t)
	}
	return rep, nil
}

func runTrial(ctx context.Context, c *cluster, idx int, kind string) (trial, error) {
	t := trial{victimKind: kind}
	// The coordinator is the oldest live member: the first of c.alive.
	victim := c.alive[0]
	if kind == "other" {
		victim = c.alive[1+idx%(len(c.alive)-1)]
	}
	slots, err := ledSlots(ctx, c.alive[0].addr(), victim.id)
	if err != nil {
		return t, err
	}
	if len(slots) == 0 {
		return t, fmt.Errorf("victim node %d leads no slot", victim.idx)
	}
	t.victimSlots = len(slots)
	var addrs []string
	for _, n := range c.alive {
		addrs = append(addrs, n.addr())
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Protocol: 2, MaxRedirects: 8,
		ClusterStateReloadInterval: c.cfg.clientReload,
		DialTimeout:                time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	defer cc.Close()

	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var wg sync.WaitGroup
	states := make([]*writerState, c.cfg.writers)
	for w := range c.cfg.writers {
		states[w] = &writerState{}
		wg.Go(func() { writer(wctx, cc, c.cfg, slots, fmt.Sprintf("t%d:w%d", idx, w), states[w]) })
	}
	select {
	case <-time.After(c.cfg.warmup):
	case <-ctx.Done():
		return t, ctx.Err()
	}
	if err := c.kill(victim); err != nil {
		return t, err
	}
	kill := victim.killedAt
	var probes []*redis.Client
	for _, n := range c.alive {
		rc := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2, MaxRetries: -1,
			ReadTimeout: time.Second, WriteTimeout: time.Second, PoolSize: 2})
		defer rc.Close()
		probes = append(probes, rc)
	}
	// The same probe through the writers' ClusterClient, which learnt the
	// slot map before the kill: what an application sees.
	var ccRes probeResult
	var ccErr error
	var ccWG sync.WaitGroup
	ccWG.Go(func() {
		ccRes, ccErr = clientProbe(ctx, cc, c.cfg, sample(slots, c.cfg.clientSample), c.cfg.clientWait)
	})
	pr, err := probe(ctx, probes, c.cfg, slots, 60*time.Second)
	ccWG.Wait()
	if err != nil {
		return t, err
	}
	t.failover, t.probeRound, t.probeErr = pr.done.Sub(kill), pr.round, pr.lastErr
	if ccErr != nil {
		t.client, t.clientStuck = -1, ccErr.Error()
	} else {
		t.client = ccRes.done.Sub(kill)
	}
	select {
	case <-time.After(c.cfg.after):
	case <-ctx.Done():
		return t, ctx.Err()
	}
	stopWriters()
	wg.Wait()
	var acked []string
	for _, st := range states {
		acked = append(acked, st.acked...)
		t.writeErrs += st.errors
	}
	t.acked = len(acked)
	t.lost, err = countLost(ctx, probes[0], acked)
	if err != nil {
		return t, err
	}
	t.detect, t.issue, t.adopt, err = logTimes(c.alive, kill)
	if err != nil {
		return t, err
	}
	// Replace the victim by a fresh node joining every survivor.
	var join []string
	for _, n := range c.alive {
		join = append(join, n.clusterAddr())
	}
	if _, err := c.start(ctx, join); err != nil {
		return t, err
	}
	if t.settle, err = c.waitSettled(ctx); err != nil {
		return t, err
	}
	return t, nil
}

// writerState is what one writer saw: its acknowledged keys (the value is
// the key itself) and its errors.
type writerState struct {
	acked  []string
	errors int
}

// writer SETs unique keys in random victim slots until ctx ends.
func writer(ctx context.Context, cc *redis.ClusterClient, cfg *config, slots []uint16, prefix string, st *writerState) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for seq := 0; ctx.Err() == nil; seq++ {
		key := fmt.Sprintf("{%s}:%s:%d", cfg.slotTag[slots[rng.IntN(len(slots))]], prefix, seq)
		if err := cc.Set(ctx, key, key, 0).Err(); err == nil {
			st.acked = append(st.acked, key)
			continue
		}
		if ctx.Err() != nil {
			break // the reply was cut by the stop: not acknowledged
		}
		st.errors++
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// probeResult is when the last probe was acknowledged, how long that
// final pipelined round took (the measurement's resolution), and the last
// error a probe got before.
type probeResult struct {
	done    time.Time
	round   time.Duration
	lastErr string
}

// probe writes one key per slot through every client, retrying the slots
// that failed, until each slot was accepted through each client; it returns
// when the last of them was acknowledged.
func probe(ctx context.Context, clients []*redis.Client, cfg *config, slots []uint16, limit time.Duration) (probeResult, error) {
	deadline := time.Now().Add(limit)
	var mu sync.Mutex
	var res probeResult
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for i, rc := range clients {
		wg.Go(func() {
			pending := slices.Clone(slots)
			for len(pending) > 0 {
				if time.Now().After(deadline) {
					errs[i] = fmt.Errorf("%d of %d victim slots still refuse writes through client %d after %s: %s",
						len(pending), len(slots), i, limit, res.lastErr)
					return
				}
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
				start := time.Now()
				p := rc.Pipeline()
				cmds := make([]*redis.StatusCmd, len(pending))
				for j, s := range pending {
					k := "{" + cfg.slotTag[s] + "}:probe"
					cmds[j] = p.Set(ctx, k, k, 0)
				}
				_, _ = p.Exec(ctx) // per-command errors are read below
				now := time.Now()
				next := pending[:0]
				var roundErr error
				for j, s := range pending {
					if err := cmds[j].Err(); err != nil {
						next = append(next, s)
						roundErr = err
					}
				}
				mu.Lock()
				if roundErr != nil {
					res.lastErr = roundErr.Error()
				}
				if len(next) == 0 && now.After(res.done) {
					res.done, res.round = now, now.Sub(start)
				}
				mu.Unlock()
				pending = next
				if len(pending) > 0 {
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// clientProbe writes one key per sampled slot through the ClusterClient,
// one goroutine per slot with single commands (go-redis retries them and
// reloads its slot map), until every slot accepted a write.
func clientProbe(ctx context.Context, cc *redis.ClusterClient, cfg *config, slots []uint16, limit time.Duration) (probeResult, error) {
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var mu sync.Mutex
	var res probeResult
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Go(func() {
			k := "{" + cfg.slotTag[s] + "}:ccprobe"
			for {
				err := cc.Set(pctx, k, k, 0).Err()
				now := time.Now()
				mu.Lock()
				if err == nil && now.After(res.done) {
					res.done = now
				}
				if err != nil {
					res.lastErr = err.Error()
				}
				mu.Unlock()
				if err == nil || pctx.Err() != nil {
					return
				}
				select {
				case <-pctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
	if pctx.Err() != nil {
		return res, fmt.Errorf("sampled victim slots still refuse writes through the ClusterClient after %s: %s", limit, res.lastErr)
	}
	return res, nil
}

// sample returns at most n of the slots, evenly spread.
func sample(slots []uint16, n int) []uint16 {
	if len(slots) <= n {
		return slots
	}
	out := make([]uint16, 0, n)
	for i := range n {
		out = append(out, slots[i*len(slots)/n])
	}
	return out
}

// countLost reads every acknowledged key back and counts the missing or
// wrong ones.
func countLost(ctx context.Context, rc *redis.Client, keys []string) (int, error) {
	lost := 0
	for i := 0; i < len(keys); i += 1000 {
		chunk := keys[i:min(i+1000, len(keys))]
		var cmds []*redis.StringCmd
		var err error
		for attempt := range 5 {
			p := rc.Pipeline()
			cmds = cmds[:0]
			for _, k := range chunk {
				cmds = append(cmds, p.Get(ctx, k))
			}
			if _, err = p.Exec(ctx); err == nil || errors.Is(err, redis.Nil) {
				err = nil
				break
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			return 0, fmt.Errorf("read back acknowledged writes: %w", err)
		}
		for j, cmd := range cmds {
			if v, err := cmd.Result(); err != nil || v != chunk[j] {
				lost++
			}
		}
	}
	return lost, nil
}

// ledSlots returns the slots whose primary is the given node, from CLUSTER
// SLOTS as seen by addr.
func ledSlots(ctx context.Context, addr, id string) ([]uint16, error) {
	rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer rc.Close()
	//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read, so the benchmark reads it too
	ranges, err := rc.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster slots: %w", err)
	}
	var out []uint16
	for _, r := range ranges {
		if len(r.Nodes) > 0 && r.Nodes[0].ID == id {
			for s := r.Start; s <= r.End; s++ {
				out = append(out, uint16(s))
			}
		}
	}
	return out, nil
}

// logTimes reads the survivors' logs for the failover after kill: the first
// "member changed ... alive=false", the coordinator's failover table, and
// the last survivor's adoption of that table's epoch.
func logTimes(survivors []*node, kill time.Time) (detect, issue, adopt time.Duration, err error) {
	var failEpoch string
	type adoption struct {
		epoch string
		at    time.Time
	}
	var adoptions []adoption
	for _, n := range survivors {
		f, err := os.Open(n.logPath)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("node log: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			kv := parseLogLine(sc.Text())
			at, err := time.Parse(time.RFC3339Nano, kv["time"])
			if err != nil || at.Before(kill) {
				continue
			}
			d := at.Sub(kill)
			switch {
			case kv["msg"] == "member changed" && kv["alive"] == "false":
				if detect == 0 || d < detect {
					detect = d
				}
			case kv["msg"] == "coordinator issued routing table" && kv["step"] == "failover":
				if issue == 0 {
					issue, failEpoch = d, kv["epoch"]
				}
			case kv["msg"] == "routing table adopted":
				adoptions = append(adoptions, adoption{kv["epoch"], at})
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return 0, 0, 0, fmt.Errorf("read node log: %w", err)
		}
	}
	for _, a := range adoptions {
		if a.epoch == failEpoch && a.at.Sub(kill) > adopt {
			adopt = a.at.Sub(kill)
		}
	}
	return detect, issue, adopt, nil
}

// parseLogLine splits a slog text line into its keys and values.
func parseLogLine(line string) map[string]string {
	kv := map[string]string{}
	for line != "" {
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			break
		}
		k := strings.TrimSpace(line[:eq])
		line = line[eq+1:]
		var v string
		if strings.HasPrefix(line, `"`) {
			end := 1
			for end < len(line) && (line[end] != '"' || line[end-1] == '\\') {
				end++
			}
			v, _ = strconv.Unquote(line[:min(end+1, len(line))])
			line = line[min(end+1, len(line)):]
		} else {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				sp = len(line)
			}
			v, line = line[:sp], line[sp:]
		}
		kv[k] = v
		line = strings.TrimLeft(line, " ")
	}
	return kv
}

// withLogs appends the tail of every node's log to err.
func (c *cluster) withLogs(err error) error {
	var b strings.Builder
	for _, n := range c.all {
		data, rerr := os.ReadFile(n.logPath)
		if rerr != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- %s (last lines)\n%s", filepath.Base(n.logPath), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return fmt.Errorf("%w%s", err, b.String())
}

func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m
}

// fillSlotTags finds, for every slot, a short hash tag that maps to it.
func fillSlotTags(tags *[ring.SlotCount]string) {
	left := ring.SlotCount
	for i := 0; left > 0; i++ {
		tag := strconv.Itoa(i)
		s := ring.KeySlotString(tag)
		if tags[s] == "" {
			tags[s] = tag
			left--
		}
	}
}

// answers reports whether something accepts TCP connections on the port.
func answers(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the meshcache module")
	}
	return filepath.Dir(mod), nil
}

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
