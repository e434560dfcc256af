package server

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

// BenchmarkPipelinedSetGet measures the front end on one connection with
// pipelines of 16 SETs and 16 GETs, as redis-benchmark -P 16 sends them.
func BenchmarkPipelinedSetGet(b *testing.B) {
	ts := startServer(b, nil)
	rc := ts.raw(b)
	var batch strings.Builder
	for i := 0; i < 16; i++ {
		batch.WriteString("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$3\r\nxxx\r\n")
		batch.WriteString("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n")
	}
	req := []byte(batch.String())
	reply := len("+OK\r\n$3\r\nxxx\r\n") * 16
	buf := make([]byte, reply)
	r := bufio.NewReader(rc.conn)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rc.conn.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}
