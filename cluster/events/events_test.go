package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestRingKeepsTheLastEventsInOrder(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := func(i int) Event {
		return Event{At: t0.Add(time.Duration(i) * time.Second), Kind: Table, Epoch: uint64(i)}
	}
	for _, tc := range []struct {
		size, recorded int
		wantFirst      int // epoch of the oldest kept; -1: none kept
	}{
		{size: 4, recorded: 0, wantFirst: -1},
		{size: 4, recorded: 1, wantFirst: 0},
		{size: 4, recorded: 4, wantFirst: 0},
		{size: 4, recorded: 5, wantFirst: 1},
		{size: 4, recorded: 11, wantFirst: 7},
		{size: 1, recorded: 3, wantFirst: 2},
		{size: 0, recorded: 2, wantFirst: 1}, // a size below 1 keeps one
	} {
		r := New(tc.size)
		for i := range tc.recorded {
			r.Record(ev(i))
		}
		got := r.Recent()
		if tc.wantFirst < 0 {
			if len(got) != 0 {
				t.Errorf("size %d, %d recorded: got %d events, want none", tc.size, tc.recorded, len(got))
			}
			continue
		}
		if want := tc.recorded - tc.wantFirst; len(got) != want {
			t.Fatalf("size %d, %d recorded: got %d events, want %d", tc.size, tc.recorded, len(got), want)
		}
		for i, e := range got {
			if e.Epoch != uint64(tc.wantFirst+i) {
				t.Errorf("size %d, %d recorded: event %d has epoch %d, want %d", tc.size, tc.recorded, i, e.Epoch, tc.wantFirst+i)
			}
		}
	}
}

func TestRingRecentIsACopy(t *testing.T) {
	r := New(2)
	r.Record(Event{Kind: Joined, Node: "a"})
	got := r.Recent()
	got[0].Node = "changed"
	if r.Recent()[0].Node != "a" {
		t.Fatal("Recent returned the ring's own storage")
	}
}

func TestMembership(t *testing.T) {
	at := time.Unix(100, 0)
	a := ring.Member{ID: "aaaaaaaaaaaa", Addr: "10.0.0.1:6379"}
	b := ring.Member{ID: "bbbb", Addr: "10.0.0.2:6379"}
	c := ring.Member{ID: "cccccccccc", Addr: "10.0.0.3:6379"}
	got := Membership([]ring.Member{a, b}, []ring.Member{a, c}, 7, at)
	require.Equal(t, []Event{
		{At: at, Kind: Joined, Node: "cccccccccc", Epoch: 7, Text: "node cccccccc at 10.0.0.3:6379 joined (epoch 7)"},
		{At: at, Kind: Left, Node: "bbbb", Epoch: 7, Text: "node bbbb at 10.0.0.2:6379 left the routing table (epoch 7)"},
	}, got)
	require.Empty(t, Membership([]ring.Member{a}, []ring.Member{a}, 8, at))
}
