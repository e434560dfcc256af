package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
)

// batchConn hands the server one pipeline in a single read, then blocks
// until closed; it counts the server's writes.
type batchConn struct {
	inputConn
	mu     sync.Mutex
	writes int
	got    chan struct{} // closed once want bytes were written
	want   int
}

func (c *batchConn) Read(p []byte) (int, error) {
	if c.r.Len() > 0 {
		return c.r.Read(p)
	}
	<-c.closed
	return 0, net.ErrClosed
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	n, err := c.out.Write(p)
	if c.out.Len() >= c.want && c.want > 0 {
		close(c.got)
		c.want = 0
	}
	return n, err
}

// TestBatchRepliesOneWrite: the replies of the commands one read brought
// leave with one write, in order.
func TestBatchRepliesOneWrite(t *testing.T) {
	var in, want strings.Builder
	for i := range 16 {
		fmt.Fprintf(&in, "*3\r\n$3\r\nSET\r\n$2\r\nk%d\r\n$2\r\nv%d\r\n*2\r\n$3\r\nGET\r\n$2\r\nk%d\r\n", i%10, i%10, i%10)
		fmt.Fprintf(&want, "+OK\r\n$2\r\nv%d\r\n", i%10)
	}
	in.WriteString("PING\r\n")
	want.WriteString("+PONG\r\n")
	cfg := config.Default()
	srv := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	conn := &batchConn{inputConn: inputConn{r: bytes.NewReader([]byte(in.String())), closed: make(chan struct{})},
		got: make(chan struct{}), want: want.Len()}
	ln := &pipeListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
	ln.conns <- conn
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	select {
	case <-conn.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no replies")
	}
	cancel()
	require.NoError(t, <-done)
	conn.mu.Lock()
	defer conn.mu.Unlock()
	assert.Equal(t, want.String(), conn.out.String())
	assert.Equal(t, 1, conn.writes, "writes for one batch")
}

// TestHotPathNoAllocs: running a batch of pipelined SETs and GETs, replies
// queued for the write included, allocates nothing per command.
func TestHotPathNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("under the race detector sync.Pool drops items at random, so the store's Tx pool allocates")
	}
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			cfg := config.Default()
			s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
			if mode == "cluster" {
				s.SetCluster(membership.Of(oneNodeCluster{s.solo}))
			}
			pc := newProtoConn(&inputConn{r: bytes.NewReader(nil), closed: make(chan struct{})}, s)
			c := &Client{srv: s, pc: pc, addr: "test", laddr: "test", created: time.Now(), authenticated: true}
			pc.lim.client = c
			c.setProto(2)
			c.repl.Reset()
			var batch [][][]byte
			for i := range 8 {
				key := fmt.Appendf(nil, "key:%d", i)
				batch = append(batch, [][]byte{[]byte("SET"), key, []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")},
					[][]byte{[]byte("get"), key})
			}
			run := func() {
				for i, args := range batch {
					c.pipeline = batch[i+1:]
					s.handle(c, args)
				}
				c.pipeline = nil
				c.pc.Drop()
			}
			run() // the keys exist, the buffers have grown
			assert.Zero(t, testing.AllocsPerRun(200, run), "allocations per batch of %d commands", len(batch))
		})
	}
}

// TestArgsOutliveTheirBatch: arguments are slices of the input buffer,
// which is never written again once handed out: a MULTI queue filled over
// many reads (several input slabs) still holds every value at EXEC.
func TestArgsOutliveTheirBatch(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.raw(t)
	rc.send(t, "MULTI\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	const n = 200
	val := func(i int) string { return fmt.Sprintf("%03d%s", i, strings.Repeat("v", 300)) }
	for i := range n {
		rc.send(t, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$4\r\nk%03d\r\n$%d\r\n%s\r\n", i, len(val(i)), val(i)))
		require.Equal(t, "+QUEUED\r\n", rc.line(t))
	}
	rc.send(t, "EXEC\r\n")
	require.Equal(t, fmt.Sprintf("*%d\r\n", n), rc.line(t))
	for range n {
		require.Equal(t, "+OK\r\n", rc.line(t))
	}
	for i := range n {
		rc.send(t, fmt.Sprintf("GET k%03d\r\n", i))
		require.Equal(t, fmt.Sprintf("$%d\r\n", len(val(i))), rc.line(t))
		require.Equal(t, val(i)+"\r\n", rc.line(t))
	}
}

// TestRepliesBeforeParkedCommand: the replies of the commands pipelined
// before a blocking command arrive while it waits, as on Redis (they used
// to wait for the blocking command's own reply).
func TestRepliesBeforeParkedCommand(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.raw(t)
	rc.send(t, "SET k v\r\nBLPOP list 0\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t), "SET's reply while BLPOP waits")
	pusher := ts.raw(t)
	pusher.send(t, "RPUSH list x\r\n")
	require.Equal(t, ":1\r\n", pusher.line(t))
	for _, want := range []string{"*2\r\n", "$4\r\n", "list\r\n", "$1\r\n", "x\r\n"} {
		require.Equal(t, want, rc.line(t))
	}
}
