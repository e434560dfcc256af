package store

import (
	"context"
	"testing"
)

// BenchmarkGetHot reads 1000 keys (all in cache) with Run running:
// the store's own CPU cost per GET without memory stalls.
func BenchmarkGetHot(b *testing.B) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	keys, slots := benchData(1000)
	loadBench(b, s, keys, slots)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % 1000
		tx := s.Lock(slots[j])
		if _, ok, _ := tx.Get(keys[j]); !ok {
			b.Fatal("missing key")
		}
		tx.Close()
	}
}

// BenchmarkSetHot is BenchmarkGetHot for overwrites.
func BenchmarkSetHot(b *testing.B) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	keys, slots := benchData(1000)
	loadBench(b, s, keys, slots)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % 1000
		tx := s.Lock(slots[j])
		if err := tx.Put(keys[j], benchValue, 0); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}
