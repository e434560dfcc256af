package main

// The benchmark's cluster: meshcache processes started, killed and
// restarted on loopback, their settled state, and the failover timings
// read from their logs.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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
