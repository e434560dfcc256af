package commands

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// The families' tests run their commands over RESP, on a real store and
// lock table, the way the front end runs them: look the command up, check
// its arity, lock the slots of its keys (from the key specs), call the
// handler. A go-redis client talks to it as to meshcache. The front end's
// own checks (AUTH, MULTI, OOM, routing) are tested in package server.

// families are the command groups of this package.
func families() []*Command {
	var out []*Command
	for _, g := range []func() []*Command{StringCommands, KeyCommands, HashCommands, ListCommands, SortCommands, SetCommands, ZSetCommands, GeoCommands, LockCommands, BitCommands, LCSCommands, HyperLogLogCommands, DumpCommands} {
		out = append(out, g()...)
	}
	return out
}

// replPair is a primary store whose effects are recorded and a replica
// store to apply them to, for the tests that replay a family's effects;
// run runs a command on either store as the front end would.
type replPair struct {
	primary, replica *store.Store
	effects          []store.Effect // what the primary emitted, in order
	run              func(st *store.Store, args ...string) string
}

func newReplPair() *replPair {
	h := newTestHost(0)
	p := &replPair{primary: store.New(store.Config{}), replica: store.New(store.Config{})}
	p.primary.SetEffectSink(func(_ uint16, es []store.Effect) {
		for _, e := range es {
			p.effects = append(p.effects, e.Clone())
		}
	})
	locks := lock.NewTable(lock.TableConfig{})
	p.run = func(st *store.Store, args ...string) string {
		var r resp.Reply
		var bargs [][]byte
		for _, a := range args {
			bargs = append(bargs, []byte(a))
		}
		h.run(st, locks, &r, bargs)
		return string(r.Bytes())
	}
	return p
}

// testHost is the Host of the harness: a table of this package's commands.
type testHost struct {
	maxBulkLen int64
	table      map[string]*Command
	// led, when set, is the slots this node leads (Leads); nil: every slot.
	led func(slot uint16) bool
}

func newTestHost(maxBulkLen int64) *testHost {
	h := &testHost{maxBulkLen: maxBulkLen, table: map[string]*Command{}}
	for _, c := range families() {
		h.table[c.Name] = c
	}
	return h
}

func (h *testHost) ProtoMaxBulkLen() int64 { return h.maxBulkLen }

func (h *testHost) HLLSparseMaxBytes() int64 { return 3000 }

func (h *testHost) Command(name string) *Command { return h.table[strings.ToLower(name)] }

func (h *testHost) Commands() []*Command {
	all := slices.Collect(maps.Values(h.table))
	slices.SortFunc(all, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	return all
}

func (h *testHost) Leads(slot uint16) bool { return h.led == nil || h.led(slot) }

// run runs one command as the front end would. FLUSHALL, the front end's,
// is answered here so that each case starts on an empty keyspace.
func (h *testHost) run(st *store.Store, locks *lock.Table, reply *resp.Reply, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	if name == "flushall" {
		st.Flush()
		reply.OK()
		return
	}
	cmd := h.table[name]
	if cmd == nil {
		reply.Error(fmt.Sprintf("ERR unknown command '%s'", args[0]))
		return
	}
	if !cmd.ArityOK(len(args)) {
		reply.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
		return
	}
	call := &Call{Args: args, Reply: reply, Store: st, Locks: locks, Host: h}
	if keys, ok := cmd.GetKeys(args, nil); ok && len(keys) > 0 {
		slots := make([]uint16, 0, len(keys))
		for _, k := range keys {
			slots = append(slots, ring.KeySlot(args[k.Pos]))
		}
		call.Tx = st.LockSlots(slots)
		defer call.Tx.Close()
	}
	cmd.Handler(call)
}

// startDataServer serves this package's commands on a free loopback port
// over an empty store and returns its address; it stops when the test ends.
func startDataServer(t *testing.T) string {
	t.Helper()
	h := newTestHost(0)
	st := store.New(store.Config{})
	locks := lock.NewTable(lock.TableConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by the test: stops when ln closes (Cleanup below)
		defer wg.Done()
		_ = redcon.Serve(ln, func(conn redcon.Conn, cmd redcon.Command) {
			reply, _ := conn.Context().(*resp.Reply)
			if reply == nil {
				reply = &resp.Reply{}
				conn.SetContext(reply)
			}
			if strings.EqualFold(string(cmd.Args[0]), "hello") {
				hello(reply, cmd.Args)
			} else {
				h.run(st, locks, reply, cmd.Args)
			}
			conn.WriteRaw(reply.Bytes())
			reply.Reset()
		}, nil, nil)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// hello answers HELLO [2|3], as go-redis sends it on connect.
func hello(r *resp.Reply, args [][]byte) {
	proto := int64(2)
	if len(args) > 1 {
		proto, _ = strconv.ParseInt(string(args[1]), 10, 64)
	}
	if proto != 2 && proto != 3 {
		r.Error("NOPROTO unsupported protocol version")
		return
	}
	r.SetRESP3(proto == 3)
	r.Map(3)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString("7.2.4")
	r.BulkString("proto")
	r.Int(proto)
}

// testServer is startDataServer's server, for the LOCK.* tests.
type testServer struct{ addr string }

func startServer(t *testing.T) *testServer { return &testServer{addr: startDataServer(t)} }

// client returns a go-redis client of the given protocol for ts.
func (ts *testServer) client(t *testing.T, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx is a context bounded by a generous timeout, cancelled when the test ends.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
