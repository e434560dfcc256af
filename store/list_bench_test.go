package store

import (
	"testing"
)

// BenchmarkListPush is LPUSH of one 3-byte element (redis-benchmark's
// default value size) onto a growing list.
func BenchmarkListPush(b *testing.B) {
	s := New(Config{})
	k := []byte("mylist")
	v := [][]byte{[]byte("xxx")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tx := lockKeys(s, "mylist")
		if _, err := tx.ListPush(k, v, true, false); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

// BenchmarkListPop is RPOP from a list refilled as it empties.
func BenchmarkListPop(b *testing.B) {
	s := New(Config{})
	k := []byte("mylist")
	v := [][]byte{[]byte("xxx")}
	fill := func() {
		tx := lockKeys(s, "mylist")
		for i := 0; i < 100_000; i++ {
			if _, err := tx.ListPush(k, v, true, false); err != nil {
				b.Fatal(err)
			}
		}
		tx.Close()
	}
	fill()
	left := 100_000
	sink := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if left == 0 {
			b.StopTimer()
			fill()
			left = 100_000
			b.StartTimer()
		}
		tx := lockKeys(s, "mylist")
		if _, err := tx.ListPop(k, 1, false, nil, func(e []byte) { sink += len(e) }); err != nil {
			b.Fatal(err)
		}
		tx.Close()
		left--
	}
	_ = sink
}

// BenchmarkListRange100 is LRANGE mylist 0 99 on a 10k-element list.
func BenchmarkListRange100(b *testing.B) {
	s := New(Config{})
	k := []byte("mylist")
	tx := lockKeys(s, "mylist")
	for i := 0; i < 10_000; i++ {
		if _, err := tx.ListPush(k, [][]byte{[]byte("xxx")}, true, false); err != nil {
			b.Fatal(err)
		}
	}
	tx.Close()
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := lockKeys(s, "mylist")
		if err := tx.ListRange(k, 0, 99, func(int) {}, func(e []byte) { n += len(e) }); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
	_ = n
}
