package chaos

import (
	"errors"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
)

func set(v string, o outcome) opRecord { return opRecord{value: v, outcome: o} }
func del(o outcome) opRecord           { return opRecord{del: true, outcome: o} }

var (
	absent = keyState{}
	val    = func(v string) keyState { return keyState{present: true, value: v} }
)

// TestModelClassify checks the model on every kind of history; it runs
// without Docker.
func TestModelClassify(t *testing.T) {
	tests := []struct {
		name string
		ops  []opRecord
		got  keyState
		want readClass
	}{
		{"acked set read", []opRecord{set("a", acked)}, val("a"), readOK},
		{"acked set missing", []opRecord{set("a", acked)}, absent, readLost},
		{"acked overwrite shows older", []opRecord{set("a", acked), set("b", acked)}, val("a"), readLost},
		{"acked overwrite read", []opRecord{set("a", acked), set("b", acked)}, val("b"), readOK},
		{"acked del absent", []opRecord{set("a", acked), del(acked)}, absent, readOK},
		{"acked del resurrected", []opRecord{set("a", acked), del(acked)}, val("a"), readResurrected},
		{"unknown set either way: applied", []opRecord{set("a", acked), set("b", unknown)}, val("b"), readOK},
		{"unknown set either way: not applied", []opRecord{set("a", acked), set("b", unknown)}, val("a"), readOK},
		{"unknown del either way: applied", []opRecord{set("a", acked), del(unknown)}, absent, readOK},
		{"unknown del either way: not applied", []opRecord{set("a", acked), del(unknown)}, val("a"), readOK},
		{"failed set never applies", []opRecord{set("a", acked), set("b", failed)}, val("b"), readUnexpected},
		{"failed set ignored", []opRecord{set("a", acked), set("b", failed)}, val("a"), readOK},
		{"failed del ignored", []opRecord{set("a", acked), del(failed)}, val("a"), readOK},
		{"failed del does not excuse a missing key", []opRecord{set("a", acked), del(failed)}, absent, readLost},
		{"never acked, absent", []opRecord{set("a", failed)}, absent, readOK},
		{"never acked unknown, present", []opRecord{set("a", unknown)}, val("a"), readOK},
		{"foreign value", []opRecord{set("a", acked)}, val("zzz"), readUnexpected},
		{"acked after failed", []opRecord{set("a", failed), set("b", acked)}, val("b"), readOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &keyHistory{key: "k", ops: tt.ops}
			assert.Equal(t, tt.want, h.classify(tt.got), h.describe())
		})
	}
}

// TestJudgeAggregates checks how per-node reads add up to a verdict.
func TestJudgeAggregates(t *testing.T) {
	hs := []*keyHistory{
		{key: "ok", ops: []opRecord{set("a", acked)}},
		{key: "lost", ops: []opRecord{set("a", acked)}},
		{key: "stale", ops: []opRecord{set("a", acked), set("b", acked)}},
		{key: "resurrected", ops: []opRecord{set("a", acked), del(acked)}},
		{key: "readerr", ops: []opRecord{set("a", acked)}},
	}
	boom := errors.New("TRYAGAIN")
	reads := []nodeRead{
		{node: "n1", states: []keyState{val("a"), absent, val("b"), val("a"), val("a")}, errs: make([]error, 5)},
		{node: "n2", states: []keyState{val("a"), absent, val("a"), val("a"), {}}, errs: []error{nil, nil, nil, nil, boom}},
	}
	v := judge(hs, reads)
	assert.Equal(t, 5, v.keys)
	assert.Equal(t, 1, v.lost)
	assert.Equal(t, 1, v.stale)
	assert.Equal(t, 1, v.resurrected)
	assert.Equal(t, 0, v.unexpected)
	assert.Equal(t, 1, v.readErrors)
	assert.False(t, v.clean())
	assert.Len(t, v.examples, 3)
}

// TestClassifyErrors checks which client errors count as not applied.
func TestClassifyErrors(t *testing.T) {
	assert.Equal(t, acked, classify(nil))
	assert.Equal(t, failed, classify(&net.OpError{Op: "dial", Net: "tcp", Err: errUnpublished}))
	assert.Equal(t, failed, classify(redis.ErrPoolTimeout))
	assert.Equal(t, unknown, classify(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}))
	assert.Equal(t, unknown, classify(errors.New("CLUSTERDOWN The cluster is down")))
}
