package lease

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/ring"
)

const (
	a ring.NodeID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	b ring.NodeID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	c ring.NodeID = "cccccccccccccccccccccccccccccccccccccccc"
	d ring.NodeID = "dddddddddddddddddddddddddddddddddddddddd"
	e ring.NodeID = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
)

const ms = time.Millisecond

// TestExpiry is the lease decision, answers in, expiry out, for a node a
// holding the table of epoch 7 issued by c, at now = 1000 ms with a lease
// of 300 ms.
func TestExpiry(t *testing.T) {
	t.Parallel()
	three := []ring.NodeID{a, b, c}
	five := []ring.NodeID{a, b, c, d, e}
	at := func(sent time.Duration) Answer { return Answer{Sent: sent, Table: true, Epoch: 7, Issuer: c} }
	with := func(an Answer, f func(*Answer)) Answer { f(&an); return an }
	for _, tc := range []struct {
		name    string
		members []ring.NodeID
		answers map[ring.NodeID]Answer
		until   time.Duration
		ok      bool
	}{
		{"no table members", nil, nil, 0, false},
		{"a one-node table: self is the majority", []ring.NodeID{a}, nil, 1300 * ms, true},
		{"no answer yet (just adopted a 3-node table)", three, nil, 0, false},
		{"one of two others answered: a majority of 3", three, map[ring.NodeID]Answer{b: at(900 * ms)}, 1200 * ms, true},
		{"both answered: the newer send time counts", three, map[ring.NodeID]Answer{b: at(900 * ms), c: at(950 * ms)}, 1250 * ms, true},
		{"an old answer ends the lease in the past", three, map[ring.NodeID]Answer{b: at(100 * ms)}, 400 * ms, true},
		{"five members: the second newest other answer counts", five,
			map[ring.NodeID]Answer{b: at(990 * ms), c: at(800 * ms), d: at(700 * ms), e: at(950 * ms)}, 1250 * ms, true},
		{"five members, only one other answered: a minority", five, map[ring.NodeID]Answer{b: at(990 * ms)}, 0, false},
		{"ties: two others answered the same round", five, map[ring.NodeID]Answer{b: at(900 * ms), c: at(900 * ms)}, 1200 * ms, true},
		{"a member with a newer epoch: this node is stale", three,
			map[ring.NodeID]Answer{b: with(at(990*ms), func(x *Answer) { x.Epoch = 8 })}, 0, false},
		{"a member with the same epoch from a higher issuer is newer", three,
			map[ring.NodeID]Answer{b: with(at(990*ms), func(x *Answer) { x.Issuer = d })}, 0, false},
		{"a member with an older table counts (the push has not reached it)", three,
			map[ring.NodeID]Answer{b: with(at(990*ms), func(x *Answer) { x.Epoch = 6 })}, 1290 * ms, true},
		{"an older build reports no table: it counts", three,
			map[ring.NodeID]Answer{b: {Sent: 990 * ms}}, 1290 * ms, true},
		{"one member on a newer table: stale, whatever the others answered", five,
			map[ring.NodeID]Answer{b: with(at(990*ms), func(x *Answer) { x.Epoch = 9 }), c: at(800 * ms), d: at(850 * ms)}, 0, false},
		{"back from a partition, a member as stale as this node lends it no majority (issue 18, cause 3)", three,
			map[ring.NodeID]Answer{b: with(at(990*ms), func(x *Answer) { x.Epoch = 8 }), c: at(980 * ms)}, 0, false},
		{"answers of non-members are ignored", three, map[ring.NodeID]Answer{d: at(990 * ms), e: at(990 * ms)}, 0, false},
	} {
		until, ok := Expiry(tc.members, a, 7, c, tc.answers, 1000*ms, 300*ms)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.until, until, tc.name)
	}
}

// TestExpiryNotAMember: a node the table does not name (a joiner) holds
// the lease only on a majority of the members' answers.
func TestExpiryNotAMember(t *testing.T) {
	t.Parallel()
	members := []ring.NodeID{b, c, d}
	answers := map[ring.NodeID]Answer{b: {Sent: 500 * ms}}
	_, ok := Expiry(members, a, 1, b, answers, 1000*ms, 300*ms)
	assert.False(t, ok, "one of three is no majority when self is not a member")
	answers[c] = Answer{Sent: 400 * ms}
	until, ok := Expiry(members, a, 1, b, answers, 1000*ms, 300*ms)
	assert.True(t, ok)
	assert.Equal(t, 700*ms, until)
}

func TestHeld(t *testing.T) {
	t.Parallel()
	assert.True(t, Held(1200*ms, true, 1000*ms))
	assert.False(t, Held(1200*ms, true, 1200*ms), "the lease ends at its expiry")
	assert.False(t, Held(1200*ms, false, 1000*ms))
}

// TestDuration pins the lease to the profiles' timings (DESIGN §5): it
// ends well before the earliest promotion, ProbeTimeout +
// SuspicionMult*ProbeInterval after the cut.
func TestDuration(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		interval, timeout time.Duration
		mult              int
		want              time.Duration
	}{
		{400 * ms, 200 * ms, 3, 600 * ms},                       // lan
		{200 * ms, 100 * ms, 3, 300 * ms},                       // local
		{5 * time.Second, 3 * time.Second, 6, 15 * time.Second}, // wan
	} {
		l := Duration(p.interval, p.mult)
		assert.Equal(t, p.want, l)
		promotion := p.timeout + time.Duration(p.mult)*p.interval
		assert.Less(t, l+ProbeEvery(l), promotion, "the lease ends before the earliest promotion with a probe round to spare")
		assert.Equal(t, l/3, ProbeEvery(l))
	}
}
