package resp

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkReadBatch parses pipelined SETs and GETs as redis-benchmark -P 16
// sends them, from memory (no system call): ns/op is per command.
func BenchmarkReadBatch(b *testing.B) {
	var pipeline strings.Builder
	for range 8 {
		pipeline.WriteString("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$32\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n")
		pipeline.WriteString("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n")
	}
	var in, out atomic.Int64
	c := NewConn(&loopConn{data: []byte(pipeline.String())}, openLimits, &in, &out, slog.New(slog.DiscardHandler))
	b.ReportAllocs()
	for n := 0; n < b.N; {
		batch, err := c.ReadBatch()
		if err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
}
