package blocking

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTurnsNext: tables of releases of slot 1 and whom the slot is owed to
// after each. Waiters: a (first) and b on k, c on j, all of slot 1
// unless said; values says which keys hold a value of the popped type.
func TestTurnsNext(t *testing.T) {
	type release struct {
		ready  []string
		values string // keys holding a value, space separated
		setup  func(q *Queue, w map[string]*Waiter)
		want   string // the waiter owed after the release, "" nobody
	}
	cases := []struct {
		name     string
		releases []release
	}{
		{"nothing ready, nothing owed", []release{{want: ""}}},
		{"a push to k is owed to the first on k", []release{{ready: []string{"k"}, values: "k", want: "a"}}},
		{"a stays owed while its turn lasts, then b's turn", []release{
			{ready: []string{"k"}, values: "k", want: "a"},
			{values: "k", want: "a"}, // a looked (its LockFor Tx closed)
			{values: "k", setup: func(q *Queue, w map[string]*Waiter) { q.Remove(w["a"]) }, want: "b"},
			{values: "", setup: func(q *Queue, w map[string]*Waiter) { q.Remove(w["b"]) }, want: ""},
		}},
		{"a key made ready with the first turn is served after it", []release{
			{ready: []string{"k", "j"}, values: "k j", want: "a"},
			{values: "j", setup: func(q *Queue, w map[string]*Waiter) { q.Remove(w["a"]) }, want: "c"},
		}},
		{"the first blocked of the ready keys' heads goes first", []release{
			{ready: []string{"j", "k"}, values: "k j", want: "a"},
		}},
		{"a wrong type (no value of the popped type) owes nothing", []release{{ready: []string{"k"}, values: "", want: ""}}},
		{"a waiter not in Await is passed over", []release{
			{ready: []string{"k"}, values: "k", setup: func(q *Queue, w map[string]*Waiter) { w["a"].waiting.Store(false) }, want: ""},
		}},
		{"a waiter asked to unblock is passed over", []release{
			{ready: []string{"k", "j"}, values: "k j", setup: func(q *Queue, w map[string]*Waiter) { q.Unblock(w["a"].ID, Error) }, want: "c"},
		}},
		{"a waiter on keys of several slots is never owed", []release{
			{ready: []string{"k"}, values: "k", setup: func(q *Queue, w map[string]*Waiter) { w["a"].Slot = -1 }, want: ""},
		}},
		{"a reserved place holds the turn: nobody is owed", []release{
			{ready: []string{"k"}, values: "k", setup: func(q *Queue, w map[string]*Waiter) {
				r := NewWaiter(0, 1, []string{"k"})
				r.Ref, r.Slot = Ref{Origin: "B", Client: 9, Order: 1}, 1
				q.Add(r)
				q.Reserve(r, 100)
			}, want: ""},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				q  Queue
				tu Turns
			)
			w := map[string]*Waiter{}
			for i, spec := range []struct{ name, key string }{{"a", "k"}, {"b", "k"}, {"c", "j"}} {
				x := NewWaiter(uint64(i+1), int64(10*(i+1)), []string{spec.key})
				x.Slot, x.Token = 1, uint64(i+1)
				x.waiting.Store(true)
				q.Add(x)
				w[spec.name] = x
			}
			name := func(x *Waiter) string {
				for n, y := range w {
					if y == x {
						return n
					}
				}
				return ""
			}
			var prev *Waiter
			for i, r := range tc.releases {
				if r.setup != nil {
					r.setup(&q, w)
				}
				holds := func(_ *Waiter, k string) bool {
					for _, v := range strings.Fields(r.values) {
						if v == k {
							return true
						}
					}
					return false
				}
				p, next := tu.Next(&q, 1, r.ready, holds)
				assert.Equal(t, name(prev), name(p), "release %d: prev", i)
				assert.Equal(t, r.want, name(next), "release %d: owed", i)
				for n, x := range w {
					assert.Equal(t, x == next, x.Owed(), "release %d: %s owed", i, n)
				}
				prev = next
			}
		})
	}
}
