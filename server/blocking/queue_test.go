package blocking

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// woken reports whether w has a token, taking it.
func woken(w *Waiter) bool {
	select {
	case <-w.Wake():
		return true
	default:
		return false
	}
}

func TestQueueOrderIsFirstBlocked(t *testing.T) {
	var q Queue
	late := NewWaiter(1, 300, []string{"a"})
	early := NewWaiter(2, 100, []string{"a", "b"})
	mid := NewWaiter(3, 200, []string{"b"})
	for _, w := range []*Waiter{late, early, mid} {
		q.Add(w)
	}
	q.Add(late) // again: stays where it is
	assert.EqualValues(t, 3, q.Len())
	assert.True(t, q.First(early), "first in both lines")
	assert.False(t, q.First(late))
	assert.False(t, q.First(mid))

	q.Remove(early)
	assert.True(t, woken(late), "the new first of line a gets a token")
	assert.True(t, woken(mid), "the new first of line b gets a token")
	assert.True(t, q.First(late))
	assert.True(t, q.First(mid))

	q.Remove(mid)
	assert.False(t, woken(late), "line a did not change its first")
	q.Remove(mid) // again: no effect
	assert.EqualValues(t, 1, q.Len())
}

func TestQueueUnblock(t *testing.T) {
	var q Queue
	w := NewWaiter(7, 1, []string{"k"})
	internal := NewWaiter(0, 2, []string{"k"})
	q.Add(w)
	q.Add(internal)
	assert.False(t, q.Unblock(0, Timeout), "internal clients have no ID")
	assert.False(t, q.Unblock(8, Timeout), "no such client")
	assert.True(t, q.Unblock(7, Error))
	assert.True(t, woken(w))
	assert.Equal(t, Error, w.Reason())
	assert.False(t, q.Unblock(7, Timeout), "already asked")
	q.Remove(w)
	assert.False(t, q.Unblock(7, Timeout), "gone")
	assert.True(t, woken(internal), "first in line after w left")
}

func TestWaiting(t *testing.T) {
	var q Queue
	assert.False(t, q.Waiting([]string{"a"}), "empty")
	w := NewWaiter(1, 10, []string{"a", "b"})
	q.Add(w)
	assert.True(t, q.Waiting([]string{"x", "b"}))
	assert.False(t, q.Waiting([]string{"x"}))
	q.Remove(w)
	assert.False(t, q.Waiting([]string{"a", "b"}))
}

// TestTurn: a waiter runs again only when first in line for the first of
// its keys that holds a value; with none holding one, when first anywhere.
func TestTurn(t *testing.T) {
	var q Queue
	ahead := NewWaiter(1, 10, []string{"l2"})
	w := NewWaiter(2, 20, []string{"l2", "l3"})
	q.Add(ahead)
	q.Add(w)
	holding := map[string]bool{}
	holds := func(k string) bool { return holding[k] }
	assert.True(t, q.Turn(w, holds), "nothing to pop: first on l3")
	holding["l2"], holding["l3"] = true, true
	assert.False(t, q.Turn(w, holds), "l2 is popped first, and ahead is first there")
	assert.True(t, q.Turn(ahead, holds))
	holding["l2"] = false
	assert.True(t, q.Turn(w, holds), "l3 is popped first now")
	q.Remove(ahead)
	holding["l2"] = true
	assert.True(t, q.Turn(w, holds))
}

// TestQueueReservations runs tables of steps on a queue of one key and
// checks its line after each: forwarded waiters (r1, r2: Refs of another
// node's clients) keep their place between chunks (reserved: *), are
// taken back by their next chunk, expire, and are cancelled; l1 and l2
// are local clients.
func TestQueueReservations(t *testing.T) {
	type step struct {
		op    string // add, reserve, cancel, expire, remove, chunk (a new chunk of a Ref: a new Waiter)
		who   string
		at    int64  // reserve/cancel: until; expire: now
		line  string // the line of key k after the step
		added bool   // add/chunk: Add's result
		next  int64  // expire: the earliest time left
		woken string // the waiter that got a token, "" for none
		n     int64  // Len after the step
	}
	order := map[string]int64{"r1": 10, "l1": 20, "r2": 30, "l2": 40}
	ref := func(who string) Ref {
		if who[0] != 'r' {
			return Ref{}
		}
		return Ref{Origin: "B", Client: uint64(order[who]), Order: order[who]}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"a reservation keeps the place and its chunk takes it back", []step{
			{op: "add", who: "r1", line: "r1", added: true, n: 1},
			{op: "add", who: "l1", line: "r1 l1", added: true, n: 2},
			{op: "reserve", who: "r1", at: 100, line: "r1* l1", n: 2},
			{op: "chunk", who: "r1", line: "r1 l1", added: true, n: 2},
			{op: "expire", at: 200, line: "r1 l1", n: 2},
		}},
		{"a chunk that blocked first goes ahead of later local clients", []step{
			{op: "add", who: "l2", line: "l2", added: true, n: 1},
			{op: "add", who: "l1", line: "l1 l2", added: true, n: 2},
			{op: "chunk", who: "r1", line: "r1 l1 l2", added: true, n: 3},
		}},
		{"an unclaimed reservation expires and passes the turn on", []step{
			{op: "add", who: "r1", line: "r1", added: true, n: 1},
			{op: "add", who: "l1", line: "r1 l1", added: true, n: 2},
			{op: "reserve", who: "r1", at: 100, line: "r1* l1", n: 2},
			{op: "expire", at: 99, line: "r1* l1", next: 100, n: 2},
			{op: "expire", at: 100, line: "l1", woken: "l1", n: 1},
		}},
		{"a local waiter cannot be reserved: it is removed", []step{
			{op: "add", who: "l1", line: "l1", added: true, n: 1},
			{op: "add", who: "l2", line: "l1 l2", added: true, n: 2},
			{op: "reserve", who: "l1", at: 100, line: "l2", woken: "l2", n: 1},
		}},
		{"cancel drops a reservation and refuses the chunk on its way", []step{
			{op: "add", who: "r1", line: "r1", added: true, n: 1},
			{op: "add", who: "r2", line: "r1 r2", added: true, n: 2},
			{op: "reserve", who: "r1", at: 100, line: "r1* r2", n: 2},
			{op: "cancel", who: "r1", at: 500, line: "r2", woken: "r2", n: 1},
			{op: "chunk", who: "r1", line: "r2", added: false, n: 1},
			{op: "expire", at: 200, line: "r2", next: 500, n: 1},
			{op: "expire", at: 500, line: "r2", n: 1},
			{op: "chunk", who: "r1", line: "r1 r2", added: true, n: 2},
		}},
		{"cancel of a waiting chunk tells it to leave; it leaves as a waiter does", []step{
			{op: "add", who: "r1", line: "r1", added: true, n: 1},
			{op: "add", who: "l1", line: "r1 l1", added: true, n: 2},
			{op: "cancel", who: "r1", at: 500, line: "r1 l1", woken: "r1", n: 2},
			{op: "reserve", who: "r1", at: 100, line: "l1", woken: "l1", n: 1},
		}},
		{"cancel before any chunk arrived", []step{
			{op: "cancel", who: "r2", at: 500, line: "", n: 0},
			{op: "chunk", who: "r2", line: "", added: false, n: 0},
		}},
		{"a second chunk while the first still waits: the first is told to leave", []step{
			{op: "add", who: "r1", line: "r1", added: true, n: 1},
			{op: "chunk", who: "r1", line: "r1 r1", added: true, woken: "r1", n: 2},
			{op: "remove", who: "r1", line: "r1", woken: "r1", n: 1}, // the first leaves; the second is first now
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var q Queue
			live := map[string]*Waiter{} // the newest Waiter of each name
			var old []*Waiter            // every Waiter made, to collect tokens
			name := map[*Waiter]string{}
			for i, st := range tc.steps {
				w := live[st.who]
				switch st.op {
				case "add", "chunk":
					prev := w
					w = NewWaiter(0, order[st.who], []string{"k"})
					if st.who[0] == 'l' {
						w.ID = uint64(order[st.who])
					}
					w.Ref = ref(st.who)
					live[st.who], name[w] = w, st.who
					old = append(old, w)
					assert.Equal(t, st.added, q.Add(w), "step %d", i)
					if prev != nil && st.op == "chunk" && st.line == "r1 r1" {
						live[st.who] = prev // the step after removes the first
					}
				case "reserve":
					q.Reserve(w, st.at)
				case "cancel":
					q.Cancel(ref(st.who), Gone, st.at)
				case "expire":
					assert.Equal(t, st.next, q.Expire(st.at), "step %d: next", i)
				case "remove":
					q.Remove(w)
				}
				var line []string
				for _, x := range q.keys["k"] {
					s := name[x]
					if x.reserved {
						s += "*"
					}
					line = append(line, s)
				}
				assert.Equal(t, st.line, strings.Join(line, " "), "step %d (%s %s): line", i, st.op, st.who)
				var got []string
				for _, x := range old {
					if woken(x) {
						got = append(got, name[x])
					}
				}
				assert.Equal(t, st.woken, strings.Join(got, " "), "step %d (%s %s): woken", i, st.op, st.who)
				assert.Equal(t, st.n, q.Len(), "step %d: Len", i)
			}
		})
	}
}
