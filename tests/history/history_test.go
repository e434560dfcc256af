package history

import (
	"errors"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
)

func set(v string, o Outcome) Op { return Op{Value: v, Outcome: o} }
func del(o Outcome) Op           { return Op{Del: true, Outcome: o} }

var (
	absent = State{}
	val    = func(v string) State { return State{Present: true, Value: v} }
)

// TestModelClassify checks the model on every kind of history.
func TestModelClassify(t *testing.T) {
	tests := []struct {
		name string
		ops  []Op
		got  State
		want Class
	}{
		{"acked set read", []Op{set("a", Acked)}, val("a"), OK},
		{"acked set missing", []Op{set("a", Acked)}, absent, Lost},
		{"acked overwrite shows older", []Op{set("a", Acked), set("b", Acked)}, val("a"), Lost},
		{"acked overwrite read", []Op{set("a", Acked), set("b", Acked)}, val("b"), OK},
		{"acked del absent", []Op{set("a", Acked), del(Acked)}, absent, OK},
		{"acked del resurrected", []Op{set("a", Acked), del(Acked)}, val("a"), Resurrected},
		{"unknown set either way: applied", []Op{set("a", Acked), set("b", Unknown)}, val("b"), OK},
		{"unknown set either way: not applied", []Op{set("a", Acked), set("b", Unknown)}, val("a"), OK},
		{"unknown del either way: applied", []Op{set("a", Acked), del(Unknown)}, absent, OK},
		{"unknown del either way: not applied", []Op{set("a", Acked), del(Unknown)}, val("a"), OK},
		{"failed set never applies", []Op{set("a", Acked), set("b", Failed)}, val("b"), Unexpected},
		{"failed set ignored", []Op{set("a", Acked), set("b", Failed)}, val("a"), OK},
		{"failed del ignored", []Op{set("a", Acked), del(Failed)}, val("a"), OK},
		{"failed del does not excuse a missing key", []Op{set("a", Acked), del(Failed)}, absent, Lost},
		{"never acked, absent", []Op{set("a", Failed)}, absent, OK},
		{"never acked unknown, present", []Op{set("a", Unknown)}, val("a"), OK},
		{"foreign value", []Op{set("a", Acked)}, val("zzz"), Unexpected},
		{"acked after failed", []Op{set("a", Failed), set("b", Acked)}, val("b"), OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Key{Name: "k", Ops: tt.ops}
			assert.Equal(t, tt.want, h.Classify(tt.got), h.Describe())
		})
	}
}

// TestClassifyErrors checks which client errors count as not applied.
func TestClassifyErrors(t *testing.T) {
	assert.Equal(t, Acked, Classify(nil))
	assert.Equal(t, Failed, Classify(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route")}))
	assert.Equal(t, Failed, Classify(redis.ErrPoolTimeout))
	assert.Equal(t, Unknown, Classify(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}))
	assert.Equal(t, Unknown, Classify(errors.New("CLUSTERDOWN The cluster is down")))
}
