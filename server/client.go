package server

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/cmdclock"
	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/prefetch"
	"github.com/meshcache/meshcache/server/replack"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/watch"
	"github.com/meshcache/meshcache/store"
)

// errClientClosed ends a connection the server chose to close (QUIT, CLIENT
// KILL, protocol error, idle timeout, query buffer limit).
var errClientClosed = resp.ErrClientClosed

// Client is the state of one connection. Fields without a note are owned
// by whoever serves the connection (serve.go): its event loop's goroutine
// (loopRead, Later) until it is handed over, then its own goroutine
// (serveFrom); CLIENT LIST and CLIENT KILL, run by other connections, read only the
// fields guarded by mu or held in atomics.
type Client struct {
	ID      uint64
	srv     *Server
	pc      *protoConn
	addr    string // remote host:port
	laddr   string // local host:port
	created time.Time

	mu      sync.Mutex // guards name, libName, libVer
	name    string
	libName string
	libVer  string

	lastCmd    atomic.Pointer[entry] // last command run, for CLIENT LIST cmd=
	lastActive atomic.Int64          // unix nanoseconds of the last command
	inMulti    atomic.Bool           // mirrors multi, for CLIENT LIST flags and multi=
	queued     atomic.Int32          // mirrors len(queue)
	resp       atomic.Int32          // 2 or 3
	noEvict    atomic.Bool           // CLIENT NO-EVICT (accepted; clients are never evicted)
	noTouch    atomic.Bool           // CLIENT NO-TOUCH
	blockedNow atomic.Bool           // parked by a blocking command, for CLIENT LIST flags=b
	readOnly   atomic.Bool           // READONLY, for CLIENT LIST flags=r
	multiMem   atomic.Int64          // the queued commands' memory as Redis counts it (multi-mem)
	argvMem    atomic.Int64          // a parked command's arguments' lengths (argv-mem)
	rbs, rbp   atomic.Int64          // the reply buffer's size and peak use (noteReplyBuffer)

	// fd is the socket's descriptor (-1: an internal client); rbsSeen
	// and rbpSeen the values last stored in rbs and rbp.
	fd               int
	rbsSeen, rbpSeen int64

	authenticated bool

	// MULTI state.
	multi    bool
	multiErr bool // a command was rejected while queueing: EXEC aborts
	queue    []queuedCmd

	// block is the state of a blocking command being run (blocking.go,
	// blocking.Run).
	block blocking.State

	// WATCH state: the store's watcher (made on first WATCH) and the slots
	// of the watched keys, which EXEC locks before checking the watcher.
	watcher    *store.Watcher
	watchSlots []uint16
	// rwatch is a watch of keys another node leads (watch_remote.go);
	// watchBroken: a forwarded EXEC's watch check failed, so EXEC aborts.
	rwatch      *watch.Remote
	watchBroken bool

	// Per-connection scratch, reused by every command so that dispatch does
	// not allocate.
	reply   resp.Reply
	call    commands.Call
	feCall  Call // the front end's view of call, for its own commands
	nameBuf [32]byte
	// lastTop is the top-level table entry the client's last command
	// named: a pipeline repeats one command, whose next lookup is then a
	// comparison instead of a map lookup (the table is read-only).
	lastTop *entry
	// ahead holds what was fetched for the next three commands of the
	// batch being run (package prefetch).
	ahead  prefetch.Window
	subBuf [32]byte
	slots  []uint16
	keyPos []int // argument indexes of the command's keys (cmdtable.Entry.Keys)
	// slotArgs are the arguments slots were computed for by run (nil: none),
	// so that noteWrite, after the handler, need not hash the keys again.
	slotArgs [][]byte
	// argsFree: the last command handled ran here to its end and holds
	// none of its arguments (callIn, argsTransient); serveClient recycles
	// a batch's input when every command of it did.
	argsFree bool

	// route is the connection's cluster routing state (route.go); nil
	// until the connection first sends a command led by another node.
	route *routeState

	// repl holds the slots and positions of the connection's writes, for
	// replica acknowledgement and WAIT (replication.go).
	repl replack.Writes
	// ack is the batch whose queued replies wait for its replicas on the
	// connection's event loop (ackloop.go).
	ack loopAck
	// fwd is the command its event loop forwarded without waiting, whose
	// reply the connection waits for (loopforward.go).
	fwd loopFwd
	// execing: EXEC is running the queued commands (WAIT answers at once).
	execing bool

	clock cmdclock.Clock // command timing (clock.go)
	// noWait: the command about to run must not wait (an event loop runs
	// it, or a cluster connection's reader: TryExecute). One that would
	// (its slots' locks are taken or owed, it would be forwarded, the
	// lease lapsed) runs nothing and sets wouldWait (decline); whoever set
	// noWait then hands it to a goroutine that may wait.
	noWait, wouldWait bool
	// ackLater: with noWait, a forwarded write may run too, its reply
	// waiting for its replicas after TryExecute returned (fwdack.go).
	ackLater bool
	ownTx    *store.Tx // the Tx its commands lock with when it is free (store.OwnTx)

	// Command counters not yet published (flushStats): the calls of the
	// command the connection repeats, and the commands it was sent.
	pendCalls     cmdstats.Pending
	pendProcessed int64

	// ev is the connection's events state (package events): its
	// subscriptions, its outbox (everything written to the connection once
	// it first subscribed or tracked) and its tracking settings.
	ev events.Client

	// CLIENT REPLY (the connection's goroutine only): replyOff drops every
	// reply until CLIENT REPLY ON; replySkip drops the reply of the command
	// being run, and skipNext sets replySkip for the command after this one
	// (CLIENT REPLY SKIP). Pushes (Pub/Sub messages, invalidations) go
	// through the outbox and are sent regardless, as Redis 7.2 does.
	replyOff, replySkip, skipNext bool

	// redacted: argument positions the command's handler marked secret
	// (AUTH, HELLO AUTH), shown "(redacted)" to monitors (monitor.go);
	// ranAway: routing ran the command on another node (forwarded,
	// split), so the monitors are fed here.
	redacted []int
	ranAway  bool
	// pipeline is the rest of the batch being run (serve.go): the
	// commands after the one running (forward batches them).
	pipeline [][][]byte

	// looped: an event loop serves the connection (serve.go); cleared
	// when it is handed to a goroutine. Read from any goroutine (tests).
	looped atomic.Bool
	// loopCmds: the commands its event loop read this round, run at the
	// round's end (loopServer.Later); nil otherwise.
	loopCmds [][][]byte
	// loopActive: when the connection's event loop last read commands
	// from it, kept only while an idle timeout is set (loopServer.Tick).
	loopActive time.Time
	// backAt: when its goroutine last gave it back to an event loop
	// (backToLoop); declined: it was handed over because a command
	// declined to run on the loop (runBatch).
	backAt   time.Time
	declined bool

	// closeAfterReply: QUIT, or CLIENT KILL of itself: close once the reply is written.
	closeAfterReply bool
	// closing: the commands still to come are dropped; closeNow: the
	// connection's goroutine closes the connection after this batch's
	// replies (closeConn).
	closing, closeNow bool
}

// queuedCmd is a command queued by MULTI.
type queuedCmd struct {
	e    *entry
	args [][]byte
}

func newClient(s *Server, id uint64, pc *protoConn) *Client {
	now := time.Now()
	c := &Client{
		ID:            id,
		srv:           s,
		pc:            pc,
		addr:          pc.RemoteAddr().String(),
		laddr:         pc.LocalAddr().String(),
		created:       now,
		authenticated: !s.lim.authRequired.Load(),
	}
	c.fd = pc.FD()
	c.ev.Init(s.events, id, c.addr, (*eventsConn)(c))
	c.lastActive.Store(now.UnixNano())
	c.resp.Store(2)
	c.repl.Reset()
	return c
}

// Name returns the name set with CLIENT SETNAME or HELLO SETNAME.
func (c *Client) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

func (c *Client) setName(n string) {
	c.mu.Lock()
	c.name = n
	c.mu.Unlock()
}

// RESP3 reports whether the client switched to RESP3 with HELLO 3.
func (c *Client) RESP3() bool { return c.resp.Load() == 3 }

func (c *Client) setProto(v int) {
	c.resp.Store(int32(v))
	c.reply.SetRESP3(v == 3)
}

// kill closes the connection from any goroutine: its reads fail and its
// goroutine ends (CLIENT KILL, shutdown). Shutting the reading side first
// wakes an event loop serving it (serve.go), whose own descriptor of the
// socket outlives the Close: it reads the end and hands the connection
// to a goroutine that closes it.
func (c *Client) kill() {
	if cr, ok := c.pc.Conn.Conn.(interface{ CloseRead() error }); ok {
		_ = cr.CloseRead() // fails only when already closed
	}
	if err := c.pc.Conn.Conn.Close(); err != nil {
		c.srv.log.Debug("kill client", "id", c.ID, "err", err)
	}
}

// release drops connection state held in the store when the connection ends.
func (c *Client) release() {
	c.ev.Release()
	if c.watcher != nil {
		c.srv.store.Unwatch(c.watcher)
		c.watcher = nil
	}
	c.queue = nil
}

// discardMulti leaves MULTI and forgets the queue and the watched keys.
func (c *Client) discardMulti() {
	c.multi = false
	c.multiErr = false
	for i := range c.queue {
		c.queue[i] = queuedCmd{}
	}
	c.queue = c.queue[:0]
	c.inMulti.Store(false)
	c.queued.Store(0)
	c.multiMem.Store(0)
	c.unwatch()
}

func (c *Client) unwatch() {
	if c.watcher != nil {
		c.srv.store.Unwatch(c.watcher)
	}
	c.watchSlots = c.watchSlots[:0]
	c.rwatch = nil
	c.watchBroken = false
}

// info appends the client's CLIENT LIST / CLIENT INFO line to dst
// (package clientinfo). self is the client running the command, with args
// its command: its own state is read exactly, other clients' from atomics;
// which values approximate Redis's is in docs/DESIGN.md §6.
func (c *Client) info(dst []byte, now time.Time, self bool, args [][]byte) []byte {
	c.mu.Lock()
	name, libName, libVer := c.name, c.libName, c.libVer
	c.mu.Unlock()
	sub, psub, ssub := c.ev.SubCounts()
	track, bcast, broken, redir := c.ev.TrackInfo()
	i := clientinfo.Info{
		ID: c.ID, Addr: c.addr, LAddr: c.laddr, FD: c.fd, Name: name,
		Age:  int64(now.Sub(c.created) / time.Second),
		Idle: (now.UnixNano() - c.lastActive.Load()) / int64(time.Second),
		Flags: clientinfo.Flags{Monitor: c.ev.Monitor(), PubSub: sub+psub+ssub > 0, Multi: c.inMulti.Load(),
			Blocked: c.blockedNow.Load(), Tracking: track, BrokenRed: broken, BCast: bcast,
			ReadOnly: c.readOnly.Load(), NoEvict: c.noEvict.Load(), NoTouch: c.noTouch.Load()},
		Sub: sub, PSub: psub, SSub: ssub, Multi: -1,
		MultiMem: c.multiMem.Load(), ArgvMem: c.argvMem.Load(),
		RBS: c.rbs.Load(), RBP: c.rbp.Load(),
		Readable: c.pc != nil, Redir: redir, RESP: int(c.resp.Load()),
		User: "default", LibName: libName, LibVer: libVer,
	}
	if i.Flags.Multi {
		i.Multi = int(c.queued.Load())
	}
	if e := c.lastCmd.Load(); e != nil {
		i.Cmd = e.Name
	}
	if c.pc != nil {
		i.QBuf, i.QBufFree = c.pc.Pending(), c.pc.Free()
		if self {
			// Redis's query buffer holds the running command and the
			// ones pipelined behind it until the command ends.
			i.QBuf += clientinfo.RequestSize(args)
			for _, next := range c.pipeline {
				i.QBuf += clientinfo.RequestSize(next)
			}
		}
	}
	if self {
		i.ArgvMem = clientinfo.ArgvMem(args)
	}
	if o := c.ev.OutboxAnyGoroutine(); o != nil {
		i.OMem = int64(o.Queued())
	}
	i.Derive(int64(unsafe.Sizeof(*c)))
	return i.Append(dst)
}

// clientType is the client's type for CLIENT LIST TYPE: pubsub while it
// has a subscription, else normal (a monitor too, as Redis).
func (c *Client) clientType() clientinfo.Type {
	if c.ev.Subscribed() {
		return clientinfo.PubSub
	}
	return clientinfo.Normal
}

// noteReplyBuffer records the reply buffer's size and peak for CLIENT
// LIST (rbs, rbp): atomics written only when they change.
func (c *Client) noteReplyBuffer(used int) {
	if n := int64(cap(c.reply.Bytes())); n != c.rbsSeen {
		c.rbsSeen = n
		c.rbs.Store(n)
	}
	if u := int64(used); u > c.rbpSeen {
		c.rbpSeen = u
		c.rbp.Store(u)
	}
}
