package blocking

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestAnswerCancel: the primary drops a cancelled chunk's reservation and
// refuses a chunk of that Ref still on its way.
func TestAnswerCancel(t *testing.T) {
	var q Queue
	ref := Ref{Origin: "B", Client: 9, Order: 10}
	w := NewWaiter(0, ref.Order, []string{"k"})
	w.Ref = ref
	require.True(t, q.Add(w))
	q.Reserve(w, time.Now().Add(time.Minute).UnixNano())

	assert.Nil(t, q.AnswerCancel([][][]byte{{[]byte("GET"), []byte("k")}}, time.Minute), "no cancel batch")
	assert.Equal(t, [][]byte{[]byte("+OK\r\n")}, q.AnswerCancel(CancelBatch(ref, Gone), time.Minute))
	assert.EqualValues(t, 0, q.Len(), "the reservation is dropped")
	assert.Equal(t, Gone, q.Cancelled(ref))
	next := NewWaiter(0, ref.Order, []string{"k"})
	next.Ref = ref
	assert.False(t, q.Add(next), "a chunk still on its way is refused")
	assert.Equal(t, [][]byte{[]byte("-ERR bad block reference\r\n")}, q.AnswerCancel(CancelBatch(ref, None), time.Minute))
}

// forwarder records the cancel batches sent (SendCancel).
type forwarder struct{ sent chan [][][]byte }

func (f forwarder) ForwardBatch(_ context.Context, _ ring.NodeID, _ bool, cmds [][][]byte) ([][]byte, error) {
	f.sent <- cmds
	return [][]byte{[]byte("+OK\r\n")}, nil
}

// TestWatchChunk: the origin cancels a forwarded call whose client left
// and tells the primary; CLIENT UNBLOCK finds the client by its proxy and
// sends the unblock on; stop ends the watch without a word.
func TestWatchChunk(t *testing.T) {
	var q Queue
	f := forwarder{sent: make(chan [][][]byte, 1)}
	ref := Ref{Origin: "A", Client: 7, Order: 10}
	send := func(r Reason) { require.NoError(t, SendCancel(f, "B", ref, r, time.Second)) }
	expect := func(want Reason) {
		t.Helper()
		select {
		case cmds := <-f.sent:
			got, reason, cancel, ok := ParseCancel(cmds)
			assert.True(t, cancel && ok)
			assert.Equal(t, ref, got)
			assert.Equal(t, want, reason)
		case <-time.After(5 * time.Second):
			t.Fatal("no cancel sent")
		}
	}

	bs := &State{Order: ref.Order}
	gone := make(chan struct{})
	cancelled := make(chan struct{})
	q.WatchChunk(bs, ref.Client, gone, "B", func() { close(cancelled) }, send)
	assert.Equal(t, ring.NodeID("B"), bs.Owner)
	require.NotNil(t, bs.Proxy)
	close(gone)
	expect(Gone)
	<-cancelled

	bs = &State{Order: ref.Order}
	stop := q.WatchChunk(bs, ref.Client, nil, "B", func() { t.Error("cancelled") }, send)
	assert.True(t, q.Unblock(ref.Client, Error), "CLIENT UNBLOCK finds the proxy")
	expect(Error)
	stop()

	bs = &State{Order: ref.Order}
	q.WatchChunk(bs, ref.Client, nil, "B", func() { t.Error("cancelled") }, send)()
	select {
	case <-f.sent:
		t.Error("a cancel after stop")
	case <-time.After(50 * time.Millisecond):
	}
}
