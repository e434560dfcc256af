package server

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/store"
)

// slotRecorder is a WritePrefetcher that remembers the slots it was asked
// to fetch ahead.
type slotRecorder struct {
	mu    sync.Mutex
	slots []uint16
}

func (r *slotRecorder) PrefetchWrite(slot uint16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.slots = append(r.slots, slot)
}

func (r *slotRecorder) take() []uint16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.slots
	r.slots = nil
	return s
}

// TestPrefetchWrites checks what a round and a pipeline fetch ahead of
// the node's replication state (loopRead, prefetch.Window.Ahead,
// WritePrefetcher): the slot of a round's one write, the slots of a
// pipeline's later writes, and nothing for reads.
func TestPrefetchWrites(t *testing.T) {
	if !netloop.Supported {
		t.Skip("no event loop on this system")
	}
	cfg := config.Default()
	cfg.Port, cfg.EventLoops = 0, 1
	srv := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	rec := &slotRecorder{}
	srv.SetCluster(membership.Cluster{WritePrefetcher: rec})
	ts := serveTest(t, srv)
	conn, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer conn.Close()
	r := bufio.NewReader(conn)
	// pipeline sends n commands ("SET key:i v" or "GET key:i") in one
	// write, reads their replies and returns their keys' slots.
	pipeline := func(cmd string, n int) map[uint16]bool {
		var b strings.Builder
		slots := map[uint16]bool{}
		for i := range n {
			key := fmt.Sprintf("key:%d", i)
			slots[ring.KeySlot([]byte(key))] = true
			if cmd == "SET" {
				fmt.Fprintf(&b, "SET %s v\r\n", key)
			} else {
				fmt.Fprintf(&b, "GET %s\r\n", key)
			}
		}
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		_, err := conn.Write([]byte(b.String()))
		require.NoError(t, err)
		lines := n // +OK
		if cmd == "GET" {
			lines = 2 * n // $1, v
		}
		for range lines {
			_, err := r.ReadString('\n')
			require.NoError(t, err)
		}
		return slots
	}
	// One command a round: the round fetches its slot as it reads it
	// (loopRead), once the client's last command was a SET too (prefetch.OneKey).
	pipeline("SET", 1)
	rec.take()
	for _, key := range []string{"k1", "another", "{x}y"} {
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		_, err := fmt.Fprintf(conn, "SET %s v\r\n", key)
		require.NoError(t, err)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "+OK\r\n", line)
		require.Equal(t, []uint16{ring.KeySlot([]byte(key))}, rec.take(), "the round's one SET, %s", key)
	}
	setSlots := pipeline("SET", 32)
	got := rec.take()
	require.NotEmpty(t, got, "a pipeline of writes fetched nothing ahead")
	for _, sl := range got {
		require.True(t, setSlots[sl], "fetched slot %d, which no SET of the pipeline has", sl)
	}
	pipeline("GET", 32)
	require.Empty(t, rec.take(), "a pipeline of reads fetched replication state ahead")
}
