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
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
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
