package server

import (
	"log/slog"
	"testing"
	"time"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/scripting"
	"github.com/meshcache/meshcache/store"
)

// BenchmarkEvalsha measures EVALSHA of a one-call script (INCR of its
// key) through dispatch, without sockets: the scripting path's own cost
// (issue 15's throughput target is side by side with redis-server).
func BenchmarkEvalsha(b *testing.B) {
	cfg := config.Default()
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	c := &Client{srv: s, addr: "bench", laddr: "bench", created: time.Now(), authenticated: true}
	c.setProto(2)
	c.repl.Reset()
	body := "return redis.call('INCR', KEYS[1])"
	s.dispatch(c, [][]byte{[]byte("SCRIPT"), []byte("LOAD"), []byte(body)}, false)
	c.reply.Reset()
	args := [][]byte{[]byte("EVALSHA"), []byte(scripting.SHA1Hex([]byte(body))), []byte("1"), []byte("counter")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.dispatch(c, args, false)
		if c.reply.Bytes()[0] != ':' {
			b.Fatalf("%q", c.reply.Bytes())
		}
		c.reply.Reset()
	}
}
