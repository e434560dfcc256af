// Package commandstest runs command families for their tests the way the
// front end runs them: look the command up, check its arity, lock the
// slots of its keys (from the key specs), call the handler, on a real
// store and lock table. A Host serves the families a test names, directly
// (Run, Do, Exec) or over RESP on a loopback port (StartServer) for a
// go-redis client. The front end's own checks (AUTH, MULTI, OOM, routing)
// are tested in package server.
//
// Only tests import it: package commands' own tests import it from the
// external package commands_test, since it imports package commands.
package commandstest

import (
	"bufio"
	"bytes"
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
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// A Family is a command group as the front end registers it
// (commands.StringCommands, zset.Commands ...).
type Family = func() []*commands.Command

// Host is the commands.Host of the tests: a table of the families it was
// made with.
type Host struct {
	maxBulkLen int64
	table      map[string]*commands.Command
	// Led, when set, is the slots this node leads (Leads); nil: every slot.
	Led func(slot uint16) bool
	// Alone makes the host standalone (Standalone): Redis's cluster mode
	// off. False: a cluster node.
	Alone bool
}

// NewHost returns a Host serving families; maxBulkLen is its
// proto-max-bulk-len (0: the default).
func NewHost(maxBulkLen int64, families ...Family) *Host {
	h := &Host{maxBulkLen: maxBulkLen, table: map[string]*commands.Command{}}
	for _, f := range families {
		for _, c := range f() {
			h.table[c.Name] = c
		}
	}
	return h
}

// Commands returns every command of the host's families, in name order.
func (h *Host) Commands() []*commands.Command {
	return slices.SortedFunc(maps.Values(h.table), func(a, b *commands.Command) int {
		return strings.Compare(a.Name, b.Name)
	})
}

// ProtoMaxBulkLen is commands.Host's.
func (h *Host) ProtoMaxBulkLen() int64 { return h.maxBulkLen }

// HLLSparseMaxBytes is commands.Host's: Redis's default.
func (h *Host) HLLSparseMaxBytes() int64 { return 3000 }

// Command is commands.Host's.
func (h *Host) Command(name string) *commands.Command { return h.table[strings.ToLower(name)] }

// Leads is commands.Host's (see Led).
func (h *Host) Leads(slot uint16) bool { return h.Led == nil || h.Led(slot) }

// Standalone is commands.Host's (see Alone).
func (h *Host) Standalone() bool { return h.Alone }

// Exec runs one command as the front end would and returns its Call (to
// see Blocked), or nil when the command did not reach a handler (unknown
// or wrong arity: the error is written to reply). FLUSHALL, the front
// end's, is answered here so that a test can start on an empty keyspace.
func (h *Host) Exec(st *store.Store, locks *lock.Table, reply *resp.Reply, args [][]byte) *commands.Call {
	name := strings.ToLower(string(args[0]))
	if name == "flushall" {
		st.Flush()
		reply.OK()
		return nil
	}
	cmd := h.table[name]
	if cmd == nil {
		reply.Error(fmt.Sprintf("ERR unknown command '%s'", args[0]))
		return nil
	}
	if !cmd.ArityOK(len(args)) {
		reply.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
		return nil
	}
	call := &commands.Call{Args: args, Reply: reply, Store: st, Locks: locks, Host: h}
	if keys, ok := cmd.GetKeys(args, nil); ok && len(keys) > 0 {
		slots := make([]uint16, 0, len(keys))
		for _, k := range keys {
			slots = append(slots, ring.KeySlot(args[k.Pos]))
		}
		call.Tx = st.LockSlots(slots)
		defer call.Tx.Close()
	}
	cmd.Handler(call)
	return call
}

// Run runs one command as the front end would (see Exec).
func (h *Host) Run(st *store.Store, locks *lock.Table, reply *resp.Reply, args [][]byte) {
	h.Exec(st, locks, reply, args)
}

// Do runs one command given as strings (see Exec) and returns its raw reply.
func (h *Host) Do(st *store.Store, locks *lock.Table, args ...string) string {
	var r resp.Reply
	h.Run(st, locks, &r, Args(args...))
	return string(r.Bytes())
}

// Args returns args as a command's argument vector.
func Args(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// ReplPair is a primary store whose effects are recorded and a replica
// store to apply them to, for the tests that replay a family's effects.
type ReplPair struct {
	Primary, Replica *store.Store
	Effects          []store.Effect // what the primary emitted, in order
	host             *Host
	locks            *lock.Table
}

// NewReplPair returns a ReplPair running families.
func NewReplPair(families ...Family) *ReplPair {
	p := &ReplPair{Primary: store.New(store.Config{}), Replica: store.New(store.Config{}),
		host: NewHost(0, families...), locks: lock.NewTable(lock.TableConfig{})}
	p.Primary.SetEffectSink(func(_ uint16, es []store.Effect) {
		for _, e := range es {
			p.Effects = append(p.Effects, e.Clone())
		}
	})
	return p
}

// Run runs a command on st (the primary, the replica or another store) as
// the front end would, and returns its raw reply.
func (p *ReplPair) Run(st *store.Store, args ...string) string {
	return p.host.Do(st, p.locks, args...)
}

// StartServer serves families on a free loopback port over an empty store
// and returns its address; it stops when the test ends.
func StartServer(t testing.TB, families ...Family) string {
	t.Helper()
	h := NewHost(0, families...)
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
				h.Run(st, locks, reply, cmd.Args)
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

// Client returns a go-redis client of the given protocol for addr, closed
// when the test ends.
func Client(t testing.TB, addr string, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Clients returns a RESP2 and a RESP3 client for addr, by "resp2" and "resp3".
func Clients(t testing.TB, addr string) map[string]*redis.Client {
	t.Helper()
	out := map[string]*redis.Client{}
	for _, proto := range []int{2, 3} {
		out["resp"+strconv.Itoa(proto)] = Client(t, addr, proto)
	}
	return out
}

// RunTable runs each named case with both protocols on a fresh server of
// families, starting each case on an empty keyspace.
func RunTable(t *testing.T, cases map[string][]testenv.Step, families ...Family) {
	for proto, c := range Clients(t, StartServer(t, families...)) {
		for name, steps := range cases {
			t.Run(proto+"/"+name, func(t *testing.T) {
				ctx := Ctx(t)
				require.NoError(t, c.Do(ctx, "FLUSHALL").Err())
				testenv.RunSteps(t, ctx, c, proto, steps)
			})
		}
	}
}

// Ctx is a context bounded by a generous timeout, cancelled when the test ends.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// UsedMemory reads used_memory from the INFO memory of c's server
// (redis-server), for the tests that compare memory with it.
func UsedMemory(t testing.TB, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(Ctx(t), "memory").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

// FuzzArgs is the command and argument vector a fuzz input names: the
// command cmds[which % len(cmds)] and raw split at NUL bytes (no argument
// when raw is empty).
func FuzzArgs(cmds []*commands.Command, which uint16, raw []byte) (*commands.Command, [][]byte) {
	cmd := cmds[int(which)%len(cmds)]
	args := [][]byte{[]byte(cmd.Name)}
	if len(raw) > 0 {
		args = append(args, bytes.Split(raw, []byte{0})...)
	}
	return cmd, args
}

// RequireOneReply fails t unless reply, what args answered, is exactly
// one well-formed RESP reply.
func RequireOneReply(t testing.TB, args [][]byte, reply []byte) {
	t.Helper()
	var out []byte
	require.NoError(t, testenv.ReadReply(bufio.NewReader(bytes.NewReader(reply)), &out), "%q: malformed reply %q", args, reply)
	require.Equal(t, len(reply), len(out), "%q: more than one reply: %q", args, reply)
}
