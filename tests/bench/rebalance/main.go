// Command rebalance measures a node joining a loaded meshcache cluster: it
// starts two nodes on loopback, loads N keys, measures client latency under
// a steady rate-limited load (idle), then starts a third node with the same
// load running and measures the time until the cluster is settled again,
// the snapshot bytes moved (INFO cluster_slot_transfer_bytes, summed over
// the nodes) and so MB/s, the keys on each node and the client latency
// during the rebalance. At the end it reads every key back and checks it
// holds its last acknowledged value. With -write it rewrites its section of
// docs/BENCHMARKS.md. Run it from the repository root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/redis/go-redis/v9"
)

// config holds the command's flags.
type config struct {
	bin, rate, doc, rev  string
	batch                int
	port, keys, valLen   int
	ops, workers         int
	setRatio             float64
	idle, stable, settle time.Duration
	write, keep          bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "meshcache binary; empty = go build ./cmd/meshcache into the temp dir")
	flag.IntVar(&cfg.port, "port", 17600, "client port of the first node; the others use the next ports, cluster ports are +10000")
	flag.IntVar(&cfg.keys, "keys", 1_000_000, "keys to load before the join")
	flag.IntVar(&cfg.valLen, "value", 100, "value size in bytes")
	flag.StringVar(&cfg.rev, "rev", "", "what the binary was built from, for the report; empty = git describe of the working tree")
	flag.StringVar(&cfg.rate, "rate", "", "--migration-rate of the nodes (bytes/s or with a unit); empty = the node default")
	flag.IntVar(&cfg.batch, "batch", 0, "--migration-batch of the nodes (slots moving at once); 0 = the node default")
	flag.IntVar(&cfg.ops, "ops", 2000, "client load: requests per second, all workers together")
	flag.IntVar(&cfg.workers, "workers", 8, "client load: goroutines, one request in flight each")
	flag.Float64Var(&cfg.setRatio, "set-ratio", 0.2, "client load: fraction of requests that are SETs (the rest GETs)")
	flag.DurationVar(&cfg.idle, "idle", 10*time.Second, "length of the idle latency measurement")
	flag.DurationVar(&cfg.stable, "stable", 3*time.Second, "how long the settled view must hold to count (coordinator batches)")
	flag.DurationVar(&cfg.settle, "settle-timeout", 10*time.Minute, "give up if the rebalance takes longer")
	flag.BoolVar(&cfg.write, "write", false, "rewrite the rebalance section of -doc")
	flag.StringVar(&cfg.doc, "doc", "docs/BENCHMARKS.md", "benchmarks document for -write")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temp dir with the node logs")
	flag.Parse()
	if err := run(cfg); err != nil {
		slog.Error("rebalance", "err", err)
		os.Exit(1)
	}
}

// result is everything the report shows.
type result struct {
	cfg              config
	loadBefore       string
	loadAfter        string
	loadTime         time.Duration
	idle, during     latency
	idleRes, duringR loadResult
	rebalance        time.Duration
	movedBytes       int64
	transfers        int64
	transferFails    int64
	nodes            []nodeFigures
	missing, wrong   int64
	timeline         []bucket
	// CPU of all nodes, in cores: over the idle phase, and over the
	// rebalance window (the join to the figures after the settled view).
	idleCores, windowCores float64
	window                 time.Duration
}

func run(cfg config) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Minute)
	defer cancel()
	if err := checkPortsFree(cfg.port, 3); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rebalance-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if cfg.keep || err != nil {
			slog.Info("node logs kept", "dir", dir)
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil {
			slog.Warn("remove temp dir", "dir", dir, "err", rerr)
		}
	}()
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "meshcache")
		build := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "./cmd/meshcache")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/meshcache (run from the repository root): %w\n%s", err, out)
		}
	}
	if cfg.rev == "" {
		out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output()
		if err != nil {
			return fmt.Errorf("git describe (or pass -rev): %w", err)
		}
		cfg.rev = strings.TrimSpace(string(out))
	}
	res := result{cfg: cfg, loadBefore: loadavg()}

	var nodes []*node
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	seed := "127.0.0.1:" + strconv.Itoa(cfg.port+clusterPortOffset)
	for i := range 2 {
		join := ""
		if i > 0 {
			join = seed
		}
		n, err := startNode(cfg.bin, dir, cfg.port+i, join, cfg.rate, cfg.batch)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		if err := waitServing(ctx, n, time.Minute); err != nil {
			return err
		}
	}
	if _, err := waitSettled(ctx, nodes, cfg.stable, 2*time.Minute); err != nil {
		return fmt.Errorf("two-node cluster: %w", err)
	}
	slog.Info("two nodes settled", "dir", dir)

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr(), nodes[1].addr()}, Protocol: 2,
		PoolSize: 16, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second})
	defer cc.Close()
	ks := &keyspace{n: cfg.keys, valLen: cfg.valLen, ver: make([]uint32, cfg.keys), maybe: make([]uint32, cfg.keys)}
	start := time.Now()
	if err := ks.load(ctx, cc, 4); err != nil {
		return err
	}
	res.loadTime = time.Since(start)
	slog.Info("loaded", "keys", cfg.keys, "seconds", res.loadTime.Seconds())

	idleFrom, idleAt, err := cpuOf(ctx, nodes)
	if err != nil {
		return err
	}
	// The idle phase polls the nodes as the settle check of the rebalance
	// phase does (INFO every 200 ms), so that both phases carry the same
	// observer and the ratio measures the rebalance alone.
	ictx, icancel := context.WithTimeout(ctx, cfg.idle)
	polled := make(chan struct{})
	go func() { // the idle phase's poller; ends with ictx
		defer close(polled)
		for ictx.Err() == nil {
			_, _ = clusterEpoch(ictx, nodes)
			select {
			case <-ictx.Done():
			case <-time.After(settlePoll):
			}
		}
	}()
	res.idleRes = ks.clientLoad(ictx, cc, cfg.workers, cfg.ops, cfg.setRatio)
	icancel()
	<-polled
	if ctx.Err() != nil {
		return fmt.Errorf("idle phase: %w", ctx.Err())
	}
	res.idle = summarize(res.idleRes.samples, time.Time{})
	slog.Info("idle measured", "requests", res.idle.count, "p99", res.idle.p99)

	var before []nodeFigures
	for _, n := range nodes {
		f, err := figures(ctx, n)
		if err != nil {
			return err
		}
		before = append(before, f)
	}
	idleTo, joinAt, err := cpuOf(ctx, nodes)
	if err != nil {
		return err
	}
	res.idleCores = (idleTo - idleFrom) / joinAt.Sub(idleAt).Seconds()
	dctx, dcancel := context.WithCancel(ctx)
	loadDone := make(chan loadResult, 1)
	go func() { loadDone <- ks.clientLoad(dctx, cc, cfg.workers, cfg.ops, cfg.setRatio) }()
	joined := time.Now()
	n3, err := startNode(cfg.bin, dir, cfg.port+2, seed, cfg.rate, cfg.batch)
	if err == nil {
		nodes = append(nodes, n3)
		var settledAt time.Time
		if settledAt, err = waitSettled(ctx, nodes, cfg.stable, cfg.settle); err == nil {
			res.rebalance = settledAt.Sub(joined)
			dcancel()
			res.duringR = <-loadDone
			res.during = summarize(res.duringR.samples, settledAt)
			res.timeline = timeline(res.duringR.samples, joined, settledAt)
		}
	}
	dcancel()
	if err != nil {
		<-loadDone
		return fmt.Errorf("join of a third node: %w", err)
	}
	slog.Info("rebalanced", "seconds", res.rebalance.Seconds(), "p99", res.during.p99)
	windowTo, windowAt, err := cpuOf(ctx, nodes)
	if err != nil {
		return err
	}
	res.window = windowAt.Sub(joinAt)
	res.windowCores = (windowTo - idleTo) / res.window.Seconds()

	for i, n := range nodes {
		f, err := figures(ctx, n)
		if err != nil {
			return err
		}
		if i < len(before) {
			f = f.sub(before[i])
		}
		res.nodes = append(res.nodes, f)
		res.movedBytes += f.xferBytes
		res.transfers += f.xferDone
		res.transferFails += f.xferFail
	}
	if res.missing, res.wrong, err = ks.verify(ctx, cc, 4); err != nil {
		return err
	}
	res.loadAfter = loadavg()

	report := res.markdown()
	fmt.Print(report)
	if cfg.write {
		if err := writeSection(cfg.doc, report); err != nil {
			return err
		}
	}
	if res.missing+res.wrong > 0 || res.idleRes.errs+res.duringR.errs > 0 {
		return fmt.Errorf("%d keys missing, %d wrong, %d client errors (logs in %s)",
			res.missing, res.wrong, res.idleRes.errs+res.duringR.errs, dir)
	}
	return nil
}

// loadavg returns the first three fields of /proc/loadavg, or "n/a".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

// markdown renders the section of docs/BENCHMARKS.md, markers excluded.
func (r *result) markdown() string {
	var b strings.Builder
	c := r.cfg
	rate := c.rate
	if rate == "" {
		rate = fmt.Sprintf("%dmb (node default)", cluster.DefaultMigrationRate>>20)
	}
	if c.batch > 0 {
		rate += fmt.Sprintf(", migration batch %d", c.batch)
	} else {
		rate += fmt.Sprintf(", migration batch %d (node default)", cluster.DefaultMigrationBatch)
	}
	if lan, err := cluster.ProfileByName("lan"); err == nil {
		rate += fmt.Sprintf(", steps at least %s apart (lan default)", lan.MigrationInterval)
	}
	fmt.Fprintf(&b, "## Rebalance\n\n")
	fmt.Fprintf(&b, "Goal (issue 5): client p99 while a node joins and slots move to it stays within 2x of idle.\n")
	fmt.Fprintf(&b, "Measured by `go run ./tests/bench/rebalance` (%s, meshcache %s, %d cores, %s, loopback): a 2-node cluster\n",
		time.Now().UTC().Format("2006-01-02"), c.rev, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "(replicas 1, replica-ack one, `lan` gossip, migration rate %s) loaded with %d keys of %d-byte\n", rate, c.keys, c.valLen)
	fmt.Fprintf(&b, "values in %.1f s, then a third node joins. Client load in both phases: go-redis ClusterClient, %d workers,\n", r.loadTime.Seconds(), c.workers)
	fmt.Fprintf(&b, "%d requests/s in all, %.0f%% SET / %.0f%% GET on random loaded keys; both phases poll every node's INFO\n", c.ops, 100*c.setRatio, 100*(1-c.setRatio))
	fmt.Fprintf(&b, "every %s (the settle check). Load average (1, 5, 15 min)\n", settlePoll)
	fmt.Fprintf(&b, "before: %s, after: %s; every process shares the machine's cores.\n\n", r.loadBefore, r.loadAfter)

	mbs := 0.0
	if r.rebalance > 0 {
		mbs = float64(r.movedBytes) / 1e6 / r.rebalance.Seconds()
	}
	fmt.Fprintf(&b, "| rebalance time s | bytes moved | MB/s | slot transfers | failed | keys lost | keys wrong | client errors | stale reads |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %.1f | %d | %.1f | %d | %d | %d | %d | %d | %d |\n\n", r.rebalance.Seconds(), r.movedBytes, mbs,
		r.transfers, r.transferFails, r.missing, r.wrong, r.idleRes.errs+r.duringR.errs, r.idleRes.stale+r.duringR.stale)

	fmt.Fprintf(&b, "| client load | requests | req/s | p50 ms | p99 ms | p99.9 ms | max ms | GET p99 ms | SET p99 ms | p99 from due ms | max from due ms |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		l    latency
	}{{"idle", r.idle}, {"during rebalance", r.during}} {
		l := row.l
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.name, l.count, l.opsPerSec,
			ms(l.p50), ms(l.p99), ms(l.p999), ms(l.max), ms(l.getP99), ms(l.setP99), ms(l.dueP99), ms(l.dueMax))
	}
	ratio := 0.0
	if r.idle.p99 > 0 {
		ratio = float64(r.during.p99) / float64(r.idle.p99)
	}
	verdict := "met"
	if ratio > 2 {
		verdict = "not met"
	}
	fmt.Fprintf(&b, "\np99 during / idle: %.2fx (goal <= 2x: %s).\n\n", ratio, verdict)

	fmt.Fprintf(&b, "| node | slots led | keys led (DBSIZE: the slots it leads) | transfer bytes sent | slot transfers done | slots handed off | CPU s | GC cycles | GC pauses ms |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for i, n := range r.nodes {
		name := n.addr
		if i == len(r.nodes)-1 {
			name += " (joined)"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %.1f | %d | %.1f |\n", name, n.slotsLed, n.keys, n.xferBytes,
			n.xferDone, n.handoffs, n.cpu, n.gcCycles, float64(n.gcPauseNs)/1e6)
	}
	fmt.Fprintf(&b, "\nCPU of all nodes: %.2f cores idle; %.2f cores over the %.1f s from the join to these figures, %.1f CPU s above the idle rate.\n",
		r.idleCores, r.windowCores, r.window.Seconds(), (r.windowCores-r.idleCores)*r.window.Seconds())
	fmt.Fprintf(&b, "\nClient latency second by second from the join (requests due in that second):\n\n")
	fmt.Fprintf(&b, "| second | requests | p99 ms | max ms | max from due ms |\n|---|---|---|---|---|\n")
	for _, t := range r.timeline {
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s |\n", t.second, t.count, ms(t.p99), ms(t.max), ms(t.dueMax))
	}
	fmt.Fprintf(&b, "\n")
	fmt.Fprintf(&b, `Rebalance time runs from starting the third node to the first moment every node reports
cluster_state ok, 3 known nodes, slots led, nothing migrating, importing, transferring or
replica-syncing, no degraded slot, all on one epoch that then held for %v. Bytes moved are the
growth of the summed cluster_slot_transfer_bytes (snapshot bytes sent, to new primaries and new
replicas). The node table's counters (bytes, transfers, handoffs, CPU, GC) are growth from just
before the join to just after that %v window. Latency is measured by the client from sending each
request (p50-max) and from when it was due by the fixed rate ("from due": includes waiting behind
the worker's previous request, so a stall is not hidden by the requests it kept from being sent);
exact percentiles of all samples. Stale reads are GETs that did not return the worker's own last
acknowledged SET of the key; keys lost/wrong come from reading all %d keys back at the end.
`, c.stable, c.stable, c.keys)
	return b.String()
}

const (
	beginMarker = "<!-- rebalance:begin -->"
	endMarker   = "<!-- rebalance:end -->"
)

// writeSection replaces the text between the rebalance markers of path,
// or appends the markers and the section at the end. It re-reads the file
// right before writing, as other benchmarks may have changed their own
// sections meanwhile, and replaces the file in one rename.
func writeSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s := string(old)
	body := beginMarker + "\n" + section + endMarker
	b, e := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	switch {
	case b >= 0 && e > b:
		s = s[:b] + body + s[e+len(endMarker):]
	case b >= 0 || e >= 0:
		return errors.New(path + ": rebalance markers out of order or one missing")
	default:
		s = strings.TrimRight(s, "\n") + "\n\n" + body + "\n"
	}
	tmp := path + ".rebalance.tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
