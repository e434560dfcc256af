package chaos

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/tests/history"
)

func set(v string, o history.Outcome) history.Op { return history.Op{Value: v, Outcome: o} }
func del(o history.Outcome) history.Op           { return history.Op{Del: true, Outcome: o} }

var (
	absent = history.State{}
	val    = func(v string) history.State { return history.State{Present: true, Value: v} }
)

// TestJudgeAggregates checks how per-node reads add up to a verdict.
func TestJudgeAggregates(t *testing.T) {
	hs := []*history.Key{
		{Name: "ok", Ops: []history.Op{set("a", history.Acked)}},
		{Name: "lost", Ops: []history.Op{set("a", history.Acked)}},
		{Name: "stale", Ops: []history.Op{set("a", history.Acked), set("b", history.Acked)}},
		{Name: "resurrected", Ops: []history.Op{set("a", history.Acked), del(history.Acked)}},
		{Name: "readerr", Ops: []history.Op{set("a", history.Acked)}},
	}
	boom := errors.New("TRYAGAIN")
	reads := []nodeRead{
		{node: "n1", states: []history.State{val("a"), absent, val("b"), val("a"), val("a")}, errs: make([]error, 5)},
		{node: "n2", states: []history.State{val("a"), absent, val("a"), val("a"), {}}, errs: []error{nil, nil, nil, nil, boom}},
	}
	v := judge(hs, reads)
	assert.Equal(t, 5, v.keys)
	assert.Equal(t, 1, v.lost)
	assert.Equal(t, 1, v.stale)
	assert.Equal(t, 1, v.resurrected)
	assert.Equal(t, 0, v.unexpected)
	assert.Equal(t, 1, v.readErrors)
	assert.False(t, v.clean())
	assert.Len(t, v.examples, 4)
	assert.Contains(t, v.examples, "read error: readerr on n2: TRYAGAIN")
}
