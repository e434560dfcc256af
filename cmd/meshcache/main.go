// Command meshcache runs one meshcache node: a distributed in-memory cache
// that speaks the Redis protocol.
//
// Settings come from flags, MESHCACHE_<NAME> environment variables, a
// redis.conf style file (--config) and defaults, in that order of
// precedence; see --help. The node joins the cluster named by --join (by
// the seeds' cluster ports); without --join it is a one-node cluster. With
// --cluster-enabled no it runs no cluster layer at all (no cluster port, no
// gossip): a standalone node with Redis's cluster-mode-off semantics. SIGINT
// and SIGTERM stop it cleanly: the node drains while it still serves (hands
// every slot it leads to another node, at most leave.DrainTimeout), leaves
// the gossip, then the listener and every connection are closed and every
// goroutine is waited for. A second signal during the drain stops the
// process at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/leave"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run starts the node and returns the process exit code.
func run(args []string) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheckMain(args[1:])
	}
	if len(args) > 0 && args[0] == "status" {
		return statusMain(args[1:])
	}
	nodes, args, err := splitLocalCluster(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshcache:", err)
		return 2
	}
	cfg, err := config.Parse(args, os.LookupEnv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(os.Stderr, localClusterUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshcache:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	slog.SetDefault(logger)

	// The signal context is the owner's context: cancelling it (SIGINT,
	// SIGTERM) stops the server, which stops the store and waits for its
	// goroutines before Serve returns. SHUTDOWN stops it the same way.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if nodes > 0 {
		cfgs, err := localClusterConfigs(cfg, nodes)
		if err != nil {
			fmt.Fprintln(os.Stderr, "meshcache:", err)
			return 2
		}
		return runLocalCluster(ctx, cfgs, logger)
	}
	if !cfg.ClusterEnabled {
		return serveStandalone(ctx, cfg, logger)
	}
	return serveNode(ctx, cfg, logger)
}

// serveStandalone runs a node with cluster-enabled no: the store, the
// server on its own one-node membership (standalone: keys of any slots
// meet in one command or transaction, nothing is routed or replicated)
// and the admin port; no cluster port, no gossip. It serves until ctx is
// cancelled or SHUTDOWN and returns the process exit code. There is
// nothing to drain: a signal stops it at once.
func serveStandalone(ctx context.Context, cfg config.Config, logger *slog.Logger) int {
	st := store.New(cfg.StoreConfig())
	srv := server.New(cfg, st, logger)
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		logger.Error("listen", "addr", cfg.Addr(), "err", err)
		return 1
	}
	stopAdmin, err := startAdmin(cfg.AdminAddr, srv, srv.Solo(), logger)
	if err != nil {
		_ = ln.Close()
		logger.Error("admin port", "err", err)
		return 1
	}
	defer stopAdmin() // after the server has stopped
	logger.Info("meshcache starting standalone (cluster-enabled no)", "version", server.Version,
		"addr", ln.Addr().String(), "id", srv.Solo().ID())
	if err := srv.Serve(ctx, ln); err != nil {
		logger.Error("server stopped", "err", err)
		return 1
	}
	logger.Info("meshcache stopped")
	return 0
}

// serveNode runs one node (store, server, cluster node, admin port) until
// ctx is cancelled or SHUTDOWN, then leaves the cluster and stops it;
// it returns the process exit code. The local dev cluster runs several.
func serveNode(ctx context.Context, cfg config.Config, logger *slog.Logger) int {
	st := store.New(cfg.StoreConfig())
	srv := server.New(cfg, st, logger)
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		logger.Error("listen", "addr", cfg.Addr(), "err", err)
		return 1
	}
	ccfg, err := clusterConfig(cfg, ln.Addr().(*net.TCPAddr))
	ccfg.Store = st // replicate, transfer and hand off this node's data
	if err != nil {
		_ = ln.Close()
		logger.Error("cluster configuration", "err", err)
		return 2
	}
	// The server is the node's Executor (it runs the commands other nodes
	// forward here); the node is the server's Cluster (routing table,
	// forwarding, membership).
	node, err := cluster.New(ccfg, srv, logger)
	if err != nil {
		_ = ln.Close()
		logger.Error("cluster node", "err", err)
		return 1
	}
	srv.SetCluster(membership.Of(node))
	stopAdmin, err := startAdmin(cfg.AdminAddr, srv, node, logger)
	if err != nil {
		_ = ln.Close()
		_ = node.Close() // not started: releases the cluster port
		logger.Error("admin port", "err", err)
		return 1
	}
	defer stopAdmin() // after the server and the cluster node have stopped
	// The node's life is not ctx's: on a signal it must keep running to
	// drain; Leave (or Close) ends it.
	if err := node.Start(context.Background()); err != nil {
		_ = ln.Close()
		logger.Error("start cluster node", "err", err)
		return 1
	}
	defer node.Close() // idempotent; Leave below closes it first
	if len(cfg.Join) == 0 {
		// A node started alone is a one-node cluster: let it issue its
		// own first table before clients connect, so its first commands
		// are served rather than answered with CLUSTERDOWN.
		awaitFirstTable(ctx, node, firstTableTimeout, logger)
	}
	logger.Info("meshcache starting", "version", server.Version, "addr", ln.Addr().String(), "id", node.ID(),
		"cluster_addr", node.ClusterAddr(), "join", cfg.Join, "replicas", cfg.Replicas,
		"replica_ack", cfg.ReplicaAck, "gossip", cfg.Gossip, "node_timeout", cfg.EffectiveNodeTimeout())
	// Serve runs until SHUTDOWN or CLUSTER LEAVE (which drain first, see
	// server/leave), an error, or the signal below.
	serveCtx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }() // owned here: joined below
	var serveErr error
	select {
	case <-ctx.Done():
		// SIGINT/SIGTERM: drain while still serving, so clients keep
		// being answered (forwarded) while the slots move, then stop.
		stopSignals(ctx)
		dctx, cancel := context.WithTimeout(context.Background(), leave.DrainTimeout)
		if noDrain(ctx) {
			cancel() // leave at once, handing nothing off
		} else {
			logger.Info("signal received: draining before shutdown (a second signal stops at once)", "timeout", leave.DrainTimeout)
		}
		if err := srv.Leave(dctx); err != nil {
			logger.Warn("leave cluster", "err", err)
		}
		cancel()
		stopServe()
		serveErr = <-served
	case serveErr = <-served:
	}
	// Serving stopped: make sure the node left the gossip gracefully, so
	// peers see a departure rather than a failure (a no-op after a drain).
	lctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	if err := srv.Leave(lctx); err != nil {
		logger.Warn("leave cluster", "err", err)
	}
	if serveErr != nil {
		logger.Error("server stopped", "err", serveErr)
		return 1
	}
	logger.Info("meshcache stopped")
	return 0
}

// firstTableTimeout bounds how long a lone node waits for its own first
// routing table before it serves clients anyway.
const firstTableTimeout = 5 * time.Second

// awaitFirstTable waits until node holds a routing table, ctx ends, or
// timeout passes (then it logs and returns: clients get CLUSTERDOWN until
// a table arrives).
func awaitFirstTable(ctx context.Context, node *cluster.Node, timeout time.Duration, logger *slog.Logger) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for node.Table() == nil {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			logger.Warn("no routing table yet; serving anyway", "waited", timeout)
			return
		case <-tick.C:
		}
	}
}

// leaveTimeout bounds the leave after serving stopped on its own (an
// error): there are no clients left to drain for.
const leaveTimeout = 5 * time.Second

// noDrainKey marks a node context whose end stops the node without
// draining (withoutDrain).
type noDrainKey struct{}

// withoutDrain returns ctx marked so that serveNode, when ctx ends, leaves
// the cluster at once instead of handing its slots to other nodes: the
// local dev cluster stops every node together, so there is nobody to hand
// them to, and draining one by one would only make Ctrl-C slow.
func withoutDrain(ctx context.Context) context.Context {
	return context.WithValue(ctx, noDrainKey{}, true)
}

func noDrain(ctx context.Context) bool {
	v, _ := ctx.Value(noDrainKey{}).(bool)
	return v
}

// stopSignals restores the default signal handling once ctx (the signal
// context) is done, so that a second SIGINT or SIGTERM kills the process
// during the drain. signal.NotifyContext's stop function is not reachable
// here; resetting the two signals has the same effect.
func stopSignals(ctx context.Context) {
	if ctx.Err() != nil {
		signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	}
}

// clusterConfig derives the cluster node's configuration from the server's:
// the gossip and internode port binds on the client bind address; the
// addresses gossiped to peers (and shown by CLUSTER NODES/SLOTS) use a
// concrete IP even when the bind address is a wildcard.
func clusterConfig(cfg config.Config, client *net.TCPAddr) (cluster.Config, error) {
	host := cfg.Bind
	advertise := host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		advertise = advertiseIP()
	}
	cport := cfg.ClusterPort
	if cport == 0 && cfg.Port != 0 {
		cport = cfg.EffectiveClusterPort()
	} // port 0 (tests): the cluster port is a free one too
	cc := cluster.Config{
		ClientAddr:  net.JoinHostPort(advertise, strconv.Itoa(client.Port)),
		BindAddr:    net.JoinHostPort(host, strconv.Itoa(cport)),
		Join:        cfg.Join,
		Profile:     cfg.Gossip,
		Replicas:    cfg.Replicas,
		NodeTimeout: cfg.NodeTimeout,

		MigrationRate:     cfg.MigrationRate,
		MigrationBatch:    cfg.MigrationBatch,
		MigrationInterval: cfg.MigrationInterval,

		FailoverEmptyAfter: cfg.FailoverEmptyAfter,
	}
	if advertise != host && cport != 0 {
		cc.AdvertiseAddr = net.JoinHostPort(advertise, strconv.Itoa(cport))
	}
	if cfg.ClusterKey != "" {
		key, err := cluster.ParseKey(cfg.ClusterKey)
		if err != nil {
			return cc, err
		}
		cc.Key = key
	}
	return cc, nil
}

// advertiseIP picks the address to announce when bound to a wildcard: the
// first non-loopback IPv4 address of an interface that is up, else loopback.
func advertiseIP() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "127.0.0.1"
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
