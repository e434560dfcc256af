package server

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/store"
)

// BenchmarkDispatch measures dispatch without sockets (lookup, key
// finding, slot locks, the handler, stats) for GET, SET and MGET of three
// keys, standalone and as a cluster of one (routing and replica
// bookkeeping on): the front end's own cost per command. "notify" is
// standalone with notify-keyspace-events KEA and nobody subscribed: SET
// pays the setting's checks only (it must cost what "standalone" does).
func BenchmarkDispatch(b *testing.B) {
	for _, mode := range []string{"standalone", "cluster", "notify"} {
		cfg := config.Default()
		if mode == "notify" {
			cfg.NotifyKeyspaceEvents, _ = notify.Parse("KEA")
		}
		s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
		if mode == "cluster" {
			s.SetCluster(membership.Of(oneNodeCluster{s.solo}))
		}
		c := &Client{srv: s, addr: "bench", laddr: "bench", created: time.Now(), authenticated: true}
		c.setProto(2)
		c.repl.Reset()
		for _, cmd := range []string{"SET {k}1 v", "GET {k}1", "MGET {k}1 {k}2 {k}3"} {
			f := strings.Fields(cmd)
			args := make([][]byte, len(f))
			for i, a := range f {
				args[i] = []byte(a)
			}
			b.Run(mode+"/"+f[0], func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					s.dispatch(c, args, false)
					c.reply.Reset()
					c.repl.Reset()
				}
			})
		}
	}
}
