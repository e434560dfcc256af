package blocking

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWireRoundTrip(t *testing.T) {
	ref := Ref{Origin: "node-b", Client: 42, Order: 1733400000123456789}
	for _, last := range []bool{false, true} {
		got, l, marker, ok := ParseChunkMarker(ChunkMarker(ref, last))
		assert.True(t, marker && ok)
		assert.Equal(t, ref, got)
		assert.Equal(t, last, l)
	}
	for _, reason := range []Reason{Timeout, Error, Gone} {
		got, r, cancel, ok := ParseCancel(CancelBatch(ref, reason))
		assert.True(t, cancel && ok)
		assert.Equal(t, ref, got)
		assert.Equal(t, reason, r)
	}
	_, _, cancel, ok := ParseCancel(CancelBatch(ref, None))
	assert.True(t, cancel)
	assert.False(t, ok, "no reason")

	_, _, marker, _ := ParseChunkMarker([][]byte{[]byte("BLPOP"), []byte("k"), []byte("0"), []byte("x"), []byte("y")})
	assert.False(t, marker, "a client's command")
	_, _, marker, ok = ParseChunkMarker([][]byte{chunkMarker, []byte("b"), []byte("x"), []byte("1"), []byte("0")})
	assert.True(t, marker)
	assert.False(t, ok, "a bad client ID")
	_, _, cancel, _ = ParseCancel([][][]byte{{cancelMarker}, {[]byte("GET"), []byte("k")}})
	assert.False(t, cancel, "a cancel is a batch of its own")
}
