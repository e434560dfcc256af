// Package server is meshcache's RESP front end: it accepts client
// connections (serve.go, one goroutine each), parses their commands with the
// protocol limits enforced (resp.Conn), authenticates,
// looks commands up in the command table, locks the slots of their keys in
// the store and runs them, alone or as a MULTI/EXEC block.
//
// Concurrency: one goroutine per connection (serveClient); everything in a
// Client that is not documented otherwise is touched only by that goroutine.
// The Server owns the store's Run goroutine (started by Serve) and waits for
// it and for every connection goroutine before Serve returns.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/gctune"
	"github.com/meshcache/meshcache/server/instant"
	"github.com/meshcache/meshcache/server/latency"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/server/scripts"
	"github.com/meshcache/meshcache/server/slowlog"
	"github.com/meshcache/meshcache/store"
)

// RedisVersion is the Redis version meshcache reports (HELLO, INFO): the
// one whose commands and replies it follows. Clients choose features by it.
const RedisVersion = "7.2.4"

// Version is meshcache's own version.
const Version = "0.1.0"

// Server is one node's RESP front end.
type Server struct {
	store *store.Store
	log   *slog.Logger

	// cfgMu guards cfg; the values the hot path needs are mirrored in lim.
	cfgMu sync.Mutex
	cfg   config.Config
	lim   limits

	// table is the command table (package cmdtable), built once by New;
	// read-only afterwards.
	table cmdtable.Table

	clientsMu sync.Mutex
	clients   map[uint64]*Client // guarded by clientsMu
	nclients  atomic.Int64
	nextID    atomic.Uint64

	slowlog slowlog.Log     // the slow log; safe for concurrent use
	latency latency.Monitor // the latency monitor (LATENCY); safe for concurrent use
	stats   serverStats

	// cluster is the node's cluster membership (package membership), the
	// one-node solo until SetCluster (before Serve); read-only afterwards.
	cluster membership.Cluster
	// standalone: cluster is a node alone for good (Standalone), asked
	// once by SetCluster; the server then routes nothing and notes no
	// replication positions, as a Redis server with cluster mode off.
	standalone bool
	// solo is the server's own one-node membership (node ID runID).
	solo *solo.Node
	// redirect: answer -MOVED instead of forwarding (--cluster-redirect).
	redirect bool
	// cstats counts forwarded-command calls (CLUSTER INFO).
	cstats clusterStats
	// repl is the replica-acknowledgement settings and counters and the
	// leave state (replication.go; packages replack and leave).
	repl replServer
	// blocked lines up the clients parked by blocking commands (blocking.go).
	blocked blocking.Queue
	// turns decides whose turn a released slot is owed to (store/gate.go);
	// waiterTokens numbers the waiters for the store's serving gate.
	turns        blocking.Turns
	waiterTokens atomic.Uint64
	// internal pools the clients that run commands forwarded by other nodes (executor.go).
	internal sync.Pool

	// events is the node's Pub/Sub, fan-out and client tracking (package
	// events; events.go); the store's KeyHook. Safe for concurrent use.
	events *events.Hub

	// locks is the node-local lock table behind the LOCK.* commands
	// (commands/locks.go); never forwarded or replicated. Safe for concurrent use.
	locks *lock.Table

	// scripts is the node's scripting (server/scripts): the Lua engine,
	// the scripts running now, their commands (run through scriptFront,
	// scripts.go). Safe for concurrent use.
	scripts *scripts.Scripts

	runID   string
	started time.Time

	// shutdown is set by Serve; SHUTDOWN calls it to stop the node.
	shutdownMu sync.Mutex
	shutdown   context.CancelFunc
	lnAddr     atomic.Pointer[net.TCPAddr]
	connWG     sync.WaitGroup // one per accepted connection, done by onClose
	// loops are the event loops serving client connections (serve.go),
	// set by Serve before it accepts; their goroutines are started by
	// startLoops and stopped by Serve after every connection ended.
	loops []*netloop.Loop
	// linkTurn picks the loop of the next internode connection (linkpoll.go).
	linkTurn atomic.Uint64
	// lastTable is the routing table the loops last asked about and
	// whether it names this node alone (inline.go alone).
	lastTable atomic.Pointer[tableVerdict]
	closeOnce sync.Once
	closed    chan struct{}
}

// limits mirrors the config.Config values read on every command or read from the
// network, so that the hot path does not take cfgMu.
type limits struct {
	authRequired    atomic.Bool
	maxClients      atomic.Int64
	protoMaxBulkLen atomic.Int64
	hllSparseMax    atomic.Int64
	queryBufLimit   atomic.Int64
	timeout         atomic.Int64 // nanoseconds; 0 = none
	slowerThan      atomic.Int64 // microseconds; negative = off
	latencyOver     atomic.Int64 // latency-monitor-threshold, ms; 0 = off
	slowlogMaxLen   atomic.Int64
	maxMemory       atomic.Int64
	lfu             atomic.Bool // an LFU policy is in force (OBJECT FREQ)
}

// serverStats are the node counters of INFO stats; CONFIG RESETSTAT zeroes them.
type serverStats struct {
	connectionsReceived atomic.Int64
	rejectedConnections atomic.Int64
	commandsProcessed   atomic.Int64
	netInputBytes       atomic.Int64
	netOutputBytes      atomic.Int64
	unexpectedErrors    atomic.Int64 // handler panics

	// The instantaneous rates of commandsProcessed, netInputBytes and
	// netOutputBytes (INFO), sampled by sampleRates.
	opsRate, inRate, outRate instant.Meter
}

// sampleRates samples the counters behind INFO's instantaneous rates
// every instant.Every until ctx is done (Serve owns its goroutine).
func (s *Server) sampleRates(ctx context.Context) {
	tick := time.NewTicker(instant.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st := &s.stats
			st.opsRate.Sample(now, st.commandsProcessed.Load())
			st.inRate.Sample(now, st.netInputBytes.Load())
			st.outRate.Sample(now, st.netOutputBytes.Load())
		}
	}
}

// New returns a server for cfg over st. The store must not be running yet:
// Serve runs st.Run and stops it when it returns.
func New(cfg config.Config, st *store.Store, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{
		store:   st,
		log:     logger,
		cfg:     cfg,
		clients: make(map[uint64]*Client),
		started: time.Now(),
		closed:  make(chan struct{}),
		locks:   lock.NewTable(lock.TableConfig{}),
	}
	s.scripts = scripts.New(scriptFront{s}, st, logger, s.closed)
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed run id would be harmless.
		logger.Error("run id", "err", err)
	}
	s.runID = hex.EncodeToString(id[:])
	s.events = events.New(logger, (*eventsClients)(s), ring.NodeID(s.runID))
	s.solo = solo.New(ring.NodeID(s.runID), s.soloAddr)
	s.SetCluster(membership.Cluster{}) // alone until given a cluster
	s.applyLimits(&cfg)
	s.redirect = cfg.ClusterRedirect
	st.SetMaxMemory(cfg.MaxMemory)
	st.SetPolicy(cfg.EvictionPolicy())
	st.SetEncodings(cfg.Encodings)
	s.table.Build(commandGroups)
	st.SetKeyHook(s.events)
	st.SetReleaseHook(func(tx *store.Tx, ready []string) { s.turns.Release(&s.blocked, tx, ready) })
	st.SetLatencyHook(s.noteStoreLatency) // latencycmd.go
	return s
}

// applyLimits mirrors cfg into s.lim.
func (s *Server) applyLimits(cfg *config.Config) {
	s.lim.authRequired.Store(cfg.RequirePass != "")
	s.lim.maxClients.Store(int64(cfg.MaxClients))
	s.lim.protoMaxBulkLen.Store(cfg.ProtoMaxBulkLen)
	s.lim.hllSparseMax.Store(cfg.HLLSparseMaxBytes)
	s.lim.queryBufLimit.Store(cfg.ClientQueryBufferLimit)
	s.lim.timeout.Store(int64(time.Duration(cfg.Timeout) * time.Second))
	s.lim.slowerThan.Store(cfg.SlowlogLogSlowerThan)
	s.lim.latencyOver.Store(cfg.LatencyMonitorThreshold)
	s.lim.slowlogMaxLen.Store(int64(cfg.SlowlogMaxLen))
	s.scripts.SetBusyThreshold(cfg.BusyReplyThreshold)
	s.lim.maxMemory.Store(cfg.MaxMemory)
	s.lim.lfu.Store(strings.HasSuffix(cfg.MaxMemoryPolicy, "-lfu"))
	s.events.SetOutputLimits(cfg.OutputLimits)
	s.events.SetNotify(cfg.NotifyKeyspaceEvents)
	s.events.SetTrackingMaxKeys(cfg.TrackingTableMaxKeys)
	s.applyRepl(cfg)
}

// Config returns a copy of the current configuration.
func (s *Server) Config() config.Config {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	c := s.cfg
	c.Join = append([]string(nil), c.Join...)
	return c
}

// Addr returns the address Serve listens on, or nil before it started.
func (s *Server) Addr() net.Addr {
	if a := s.lnAddr.Load(); a != nil {
		return a
	}
	return nil
}

// ListenAndServe listens on the configured bind address and port and serves
// until ctx is done or SHUTDOWN; see Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	cfg := s.Config()
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr(), err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts clients on ln until ctx is done, SHUTDOWN is run or Close
// is called. It runs the store's background work (store.Run) for as long as
// it serves. On the way out it closes ln and every connection and waits for
// their goroutines and the store's; it returns nil after a clean stop.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.shutdownMu.Lock()
	s.shutdown = cancel
	s.shutdownMu.Unlock()
	s.repl.serveCtx.Store(&ctx)
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		s.lnAddr.Store(a)
	}

	var bg sync.WaitGroup
	bg.Add(6)
	go func() { // owns the instantaneous rates' sampling (INFO): stops with ctx
		defer bg.Done()
		s.sampleRates(ctx)
	}()
	go func() { // owns the Pub/Sub fan-out and its peer senders (package events): stops with ctx
		defer bg.Done()
		s.events.Run(ctx)
	}()
	go func() { // owns store.Run: stops with ctx
		defer bg.Done()
		s.store.Run(ctx)
	}()
	go func() { // owns the GC tuner (server/gctune): stops with ctx
		defer bg.Done()
		gctune.Run(ctx)
	}()
	go func() { // fetches the function libraries once this node joins (server/scripts): stops with ctx
		defer bg.Done()
		s.scripts.SyncFunctions(ctx)
	}()
	go func() { // closes the listener when the server must stop
		defer bg.Done()
		select {
		case <-ctx.Done():
		case <-s.closed:
			cancel()
		}
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("close listener", "err", err)
		}
	}()

	s.loops = s.startLoops(s.Config().EventLoops)
	if len(s.loops) > 0 {
		s.cluster.PollLinks((*loopServer)(s))
	}
	s.log.Info("serving clients", "addr", ln.Addr().String(), "event_loops", len(s.loops))
	err := s.acceptLoop(ln)
	cancel()
	s.scripts.StopAll() // a running script would hold its connection's goroutine
	s.clientsMu.Lock()
	for _, c := range s.clients {
		c.kill()
	}
	s.clientsMu.Unlock()
	s.connWG.Wait()
	// The node's connections dialed from now on get a goroutine each; those
	// on the loops fail their calls as the loops stop, and redial.
	s.cluster.PollLinks(nil)
	for _, l := range s.loops {
		l.Stop() // every client connection ended: no loop holds one
	}
	bg.Wait()
	if err != nil {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	s.log.Info("stopped serving clients", "addr", ln.Addr().String())
	return nil
}

// startLoops starts n event loops (serve.go) and returns them; fewer
// (none) when the system has none or one fails to start, in which case
// the connections they would have served get goroutines. Each loop's
// goroutine runs Run until Serve stops it (Loop.Stop) once every
// connection has ended.
func (s *Server) startLoops(n int) []*netloop.Loop {
	if n <= 0 || !netloop.Supported {
		return nil
	}
	loops := make([]*netloop.Loop, 0, n)
	for range n {
		l, err := netloop.New((*loopServer)(s))
		if err != nil {
			s.log.Warn("event loop not started; serving clients with goroutines", "err", err)
			break
		}
		loops = append(loops, l)
		go func() { // the loop's goroutine: ends with l.Stop (Serve)
			if err := l.Run(); err != nil {
				s.log.Error("event loop failed", "err", err)
			}
		}()
	}
	return loops
}

// Close stops Serve (as cancelling its context does). It does not wait;
// Serve returns once everything has stopped.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// requestShutdown stops the server from a command (SHUTDOWN).
func (s *Server) requestShutdown() {
	s.shutdownMu.Lock()
	stop := s.shutdown
	s.shutdownMu.Unlock()
	if stop != nil {
		stop()
	}
	_ = s.Close()
}

// accept registers a new connection and returns its client, or turns it
// away above maxclients (nil). acceptLoop calls it.
func (s *Server) accept(nc net.Conn) *Client {
	s.stats.connectionsReceived.Add(1)
	if s.nclients.Load() >= s.lim.maxClients.Load() {
		s.stats.rejectedConnections.Add(1)
		// Best effort, as Redis: the client is closed whether or not it reads this.
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := nc.Write([]byte("-ERR max number of clients reached\r\n")); err != nil {
			s.log.Debug("reject client", "addr", nc.RemoteAddr(), "err", err)
		}
		_ = nc.Close()
		return nil
	}
	pc := newProtoConn(nc, s)
	c := newClient(s, s.nextID.Add(1), pc)
	pc.lim.client = c
	s.nclients.Add(1)
	s.connWG.Add(1)
	s.clientsMu.Lock()
	s.clients[c.ID] = c
	s.clientsMu.Unlock()
	return c
}

// onClose unregisters a connection; its goroutine calls it once, as it
// ends, after closing the connection.
func (s *Server) onClose(c *Client, err error) {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, errClientClosed) {
		s.log.Debug("client closed", "id", c.ID, "addr", c.addr, "err", err)
	}
	c.release()
	s.clientsMu.Lock()
	delete(s.clients, c.ID)
	s.clientsMu.Unlock()
	s.nclients.Add(-1)
	s.connWG.Done()
}

// clientList returns the connected clients ordered by ID.
func (s *Server) clientList() []*Client {
	s.clientsMu.Lock()
	list := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		list = append(list, c)
	}
	s.clientsMu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// ProtoMaxBulkLen is proto-max-bulk-len (commands.Host).
func (s *Server) ProtoMaxBulkLen() int64 { return s.lim.protoMaxBulkLen.Load() }

// Leads reports whether this node leads slot now (commands.Host): the
// slots keyspace-wide commands (DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL,
// FLUSHDB, INFO keyspace) act on.
func (s *Server) Leads(slot uint16) bool {
	_, here := s.cluster.Route(slot)
	return here
}

// Standalone reports --cluster-enabled no (commands.Host).
func (s *Server) Standalone() bool { return s.standalone }

// HLLSparseMaxBytes is hll-sparse-max-bytes (commands.Host).
func (s *Server) HLLSparseMaxBytes() int64 { return s.lim.hllSparseMax.Load() }

// Commands returns every top-level command, in name order (commands.Host).
func (s *Server) Commands() []*commands.Command {
	all := make([]*commands.Command, len(s.table.Sorted))
	for i, e := range s.table.Sorted {
		all[i] = e.Command
	}
	return all
}

// Command returns the command or "container|sub" named name, nil if none
// (commands.Host).
func (s *Server) Command(name string) *commands.Command {
	if e := s.table.LookupName(name); e != nil {
		return e.Command
	}
	return nil
}
