package replack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/resp"
)

// TestPolicyBatch: what a batch's replies wait for, by replica-ack and
// by what the replicas have applied.
func TestPolicyBatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mode    config.AckMode
		write   bool     // the batch wrote slot 1 (at offset 5)
		applied []uint64 // slot 1's synced replicas
		want    int
		waits   int64
	}{
		{"none", config.AckNone, true, []uint64{0, 0}, 0, 0},
		{"one", config.AckOne, true, []uint64{0, 0}, 1, 1},
		{"all", config.AckAll, true, []uint64{5, 0}, wantAll, 1},
		{"one, applied already", config.AckOne, true, []uint64{5, 0}, 0, 0},
		{"all, applied already", config.AckAll, true, []uint64{5, 5}, 0, 0},
		{"nothing written", config.AckAll, false, []uint64{0}, 0, 0},
	} {
		var p Policy
		p.Set(tc.mode, 0, time.Second)
		n := newNode(1)
		n.offset[1], n.applied[1] = 5, tc.applied
		w := fresh()
		if tc.write {
			w.NoteSlot(1)
		}
		pos, want := p.Batch(w, n)
		assert.Equal(t, tc.want, want, tc.name)
		if want > 0 {
			assert.Equal(t, []cluster.SlotOffset{{Slot: 1, Offset: 5}}, pos, tc.name)
		} else {
			assert.Empty(t, pos, tc.name)
		}
		assert.Equal(t, Counts{Waits: tc.waits}, p.Counts(), tc.name)
	}
}

// TestPolicyDone: a failed wait is counted and its replies may not
// leave; either way what every replica applied is dropped.
func TestPolicyDone(t *testing.T) {
	var p Policy
	p.Set(config.AckOne, 2, time.Second)
	assert.Equal(t, config.AckOne, p.Mode())
	assert.Equal(t, 2, p.MinReplicas())
	assert.Equal(t, time.Second, p.Timeout())
	n := newNode(1)
	n.offset[1], n.applied[1] = 5, []uint64{0}
	w := fresh()
	w.NoteSlot(1)
	_, want := p.Batch(w, n)
	assert.Equal(t, 1, want)
	assert.False(t, p.Done(w, n, errors.New("timeout")))
	assert.Equal(t, 1, w.Unsettled(), "not applied: WAIT still waits for it")
	n.applied[1] = []uint64{5}
	assert.True(t, p.Done(w, n, nil))
	assert.Equal(t, 0, w.Unsettled())
	p.Refuse()
	assert.Equal(t, Counts{Waits: 1, Timeouts: 1, Refused: 1}, p.Counts())
}

// waitConn is a WAIT call's connection.
type waitConn struct{ wc WaitCall }

func (c waitConn) WaitCall() WaitCall { return c.wc }

// TestWaitCommand: WAIT's answers: 0 on a standalone node, at once inside
// a transaction or a script, the replicas that applied the writes (after
// its timeout when fewer than asked for), and Redis's errors for bad
// arguments. The serving context bounds a WAIT that would block for good.
func TestWaitCommand(t *testing.T) {
	wait := Commands()[0]
	assert.Equal(t, "wait", wait.Name)
	n := newNode(1)
	n.offset[1], n.applied[1] = 3, []uint64{3, 0}
	for _, tc := range []struct {
		name       string
		args       []string
		atOnce     bool
		standalone bool
		want       string
		blocks     time.Duration // at least
	}{
		{"standalone", []string{"1", "0"}, false, true, ":0\r\n", 0},
		{"one applied", []string{"1", "0"}, false, false, ":1\r\n", 0},
		{"at once", []string{"2", "0"}, true, false, ":1\r\n", 0},
		{"times out", []string{"2", "30"}, false, false, ":1\r\n", 30 * time.Millisecond},
		{"not a number", []string{"x", "0"}, false, false, "-" + resp.ErrNotInteger + "\r\n", 0},
		{"negative timeout", []string{"1", "-1"}, false, false, "-ERR timeout is negative\r\n", 0},
	} {
		w := fresh()
		w.NoteSlot(1)
		var r resp.Reply
		args := [][]byte{[]byte("WAIT")}
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		serving, stop := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		wait.Handler(&commands.Call{Args: args, Reply: &r, Conn: waitConn{WaitCall{Writes: w, Node: n, Ctx: serving,
			AtOnce: tc.atOnce, Standalone: tc.standalone}}})
		took := time.Since(start)
		stop()
		assert.Equal(t, tc.want, string(r.Bytes()), tc.name)
		assert.GreaterOrEqual(t, took, tc.blocks, tc.name)
		assert.Less(t, took, tc.blocks+2*time.Second, tc.name)
	}
}
