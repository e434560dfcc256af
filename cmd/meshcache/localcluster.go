package main

// The local dev cluster: `meshcache --local-cluster 3` runs three nodes in
// this one process, each with its own store, server and cluster.Node on its
// own client and cluster ports, the later ones joining the first. It is the
// quickest way to get a cluster on a laptop (the README's first command);
// Ctrl-C or SIGTERM stops every node cleanly.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/meshcache/meshcache/server/config"
)

// localClusterFlag is the flag that turns the binary into a local dev cluster.
const localClusterFlag = "local-cluster"

// localClusterUsage documents --local-cluster in --help; the flag is not a
// setting of one node, so config.Parse does not know it.
const localClusterUsage = `  --local-cluster N
    	run a local dev cluster: N nodes in this process on ports --port .. --port+N-1
    	(7000.. when --port is not given), each joining the first; Ctrl-C stops them all
`

// localClusterBasePort is the first client port of a local dev cluster when
// --port does not name another (7000, as in Redis's create-cluster script).
const localClusterBasePort = 7000

// maxLocalClusterNodes bounds --local-cluster: each node holds its own
// store and goroutines, and this is a development tool.
const maxLocalClusterNodes = 16

// splitLocalCluster removes --local-cluster N (also -local-cluster,
// --local-cluster=N) from args and returns N, or 0 when the flag is absent,
// and the remaining arguments for config.Parse.
func splitLocalCluster(args []string) (int, []string, error) {
	n := 0
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != localClusterFlag {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return 0, nil, fmt.Errorf("flag --%s needs a number of nodes", localClusterFlag)
			}
			i++
			value = args[i]
		}
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 || v > maxLocalClusterNodes {
			return 0, nil, fmt.Errorf("flag --%s %q: want a number of nodes from 1 to %d", localClusterFlag, value, maxLocalClusterNodes)
		}
		n = v
	}
	return n, rest, nil
}

// localClusterConfigs derives the n nodes' configurations from base: node i
// listens on port+i (7000+i unless --port was given) and cluster port+i
// (port+i+10000 unless --cluster-port was given), and every node but the
// first joins the first by its cluster address. An admin address, when
// set, moves up by one port per node too.
func localClusterConfigs(base config.Config, n int) ([]config.Config, error) {
	if !base.ClusterEnabled {
		return nil, errors.New("--local-cluster runs a cluster: it needs cluster-enabled yes")
	}
	if base.Port == config.Default().Port {
		base.Port = localClusterBasePort
	}
	cfgs := make([]config.Config, n)
	var seed string
	for i := range cfgs {
		c := base
		c.Port = base.Port + i
		if base.ClusterPort != 0 {
			c.ClusterPort = base.ClusterPort + i
		}
		if base.AdminAddr != "" {
			host, port, err := net.SplitHostPort(base.AdminAddr)
			if err != nil {
				return nil, fmt.Errorf("admin-addr %q: %w", base.AdminAddr, err)
			}
			p, err := strconv.Atoi(port)
			if err != nil {
				return nil, fmt.Errorf("admin-addr %q: port: %w", base.AdminAddr, err)
			}
			c.AdminAddr = net.JoinHostPort(host, strconv.Itoa(p+i))
		}
		c.Join = append([]string(nil), base.Join...)
		if i == 0 {
			seed = net.JoinHostPort(clusterHost(c.Bind), strconv.Itoa(c.EffectiveClusterPort()))
		} else {
			c.Join = append([]string{seed}, c.Join...)
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("local cluster node %d: %w", i, err)
		}
		cfgs[i] = c
	}
	return cfgs, nil
}

// clusterHost is the host other local nodes dial for a node bound to bind:
// a wildcard bind is reached on loopback.
func clusterHost(bind string) string {
	if ip := net.ParseIP(bind); ip != nil && ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return bind
}

// runLocalCluster runs every node of cfgs in this process until ctx is
// cancelled (Ctrl-C, SIGTERM) or one of them stops (an error, or SHUTDOWN
// sent to it), then stops them all and returns the highest exit code.
//
// Each node runs in a goroutine owned by this function, under its own
// context. Nodes are stopped one at a time, the last started first, so that
// each leaves the gossip while the others still listen: stopping them all
// at once would leave every node waiting out its leave timeout for peers
// that are leaving too.
func runLocalCluster(ctx context.Context, cfgs []config.Config, logger *slog.Logger) int {
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	addrs := make([]string, len(cfgs))
	for i, c := range cfgs {
		addrs[i] = c.Addr()
	}
	logger.Info("local cluster starting", "nodes", len(cfgs), "addrs", strings.Join(addrs, ","),
		"try", fmt.Sprintf("redis-cli -c -p %d", cfgs[0].Port))

	codes := make([]int, len(cfgs))
	stops := make([]context.CancelFunc, len(cfgs))
	done := make([]chan struct{}, len(cfgs))
	for i, c := range cfgs {
		nodeCtx, stop := context.WithCancel(context.Background())
		stops[i], done[i] = stop, make(chan struct{})
		l := logger.With("node", i)
		l.Info("local cluster node", "addr", c.Addr(), "cluster_addr",
			net.JoinHostPort(clusterHost(c.Bind), strconv.Itoa(c.EffectiveClusterPort())))
		go func() {
			defer close(done[i])
			codes[i] = serveNode(withoutDrain(nodeCtx), c, l) // all stop: nobody to hand slots to
			// One node stopping stops the rest: a partial dev cluster
			// (a port in use, say) would only confuse.
			stopAll()
		}()
	}
	<-ctx.Done()
	for i := len(cfgs) - 1; i >= 0; i-- {
		stops[i]()
		<-done[i]
	}
	code := slices.Max(codes)
	if code == 0 {
		logger.Info("local cluster stopped")
	}
	return code
}
