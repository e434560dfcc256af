package store

import (
	"strconv"
	"testing"
)

// BenchmarkSAdd adds members to one big set (new members, then known
// ones, as redis-benchmark's SADD does once its range is covered).
func BenchmarkSAdd(b *testing.B) {
	s := New(Config{})
	key := []byte("myset")
	members := make([][]byte, 100000)
	for i := range members {
		members[i] = []byte("element:" + strconv.Itoa(i))
	}
	slot := keySlot("myset")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := s.Lock(slot)
		if _, err := tx.SAdd(key, members[i%len(members)]); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

// BenchmarkSPop pops single members from a big set, refilling it when empty.
func BenchmarkSPop(b *testing.B) {
	s := New(Config{})
	key := []byte("myset")
	slot := keySlot("myset")
	fill := func() {
		tx := s.Lock(slot)
		for i := 0; i < 100000; i++ {
			if _, err := tx.SAdd(key, []byte("element:"+strconv.Itoa(i))); err != nil {
				b.Fatal(err)
			}
		}
		tx.Close()
	}
	fill()
	head, each := func(int) {}, func([]byte) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := s.Lock(slot)
		found, err := tx.SPop(key, 1, head, each)
		tx.Close()
		if err != nil {
			b.Fatal(err)
		}
		if !found {
			b.StopTimer()
			fill()
			b.StartTimer()
		}
	}
}
