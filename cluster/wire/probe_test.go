package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestProbeRoundTrip(t *testing.T) {
	t.Parallel()
	issuer := ring.NodeID("0123456789012345678901234567890123456789")
	p := AppendProbe(nil, 42, ProbeTable{Epoch: 7, Issuer: issuer})
	require.True(t, IsProbe(p))
	assert.False(t, IsProbe(p[:8]), "a plain ping is not a probe")
	nonce, tb, err := DecodeProbe(p)
	require.NoError(t, err)
	assert.Equal(t, uint64(42), nonce)
	assert.Equal(t, ProbeTable{Epoch: 7, Issuer: issuer}, tb)

	a := AppendProbeAnswer(nil, 42, ProbeTable{Epoch: 9, Issuer: issuer})
	assert.False(t, IsProbe(a))
	got, echo, err := DecodeProbeAnswer(a, 42)
	require.NoError(t, err)
	assert.False(t, echo)
	assert.Equal(t, ProbeTable{Epoch: 9, Issuer: issuer}, got)

	_, _, err = DecodeProbeAnswer(a, 43)
	assert.Error(t, err, "another probe's answer")
	// An older build echoes the probe: an answer without a table.
	got, echo, err = DecodeProbeAnswer(p, 42)
	require.NoError(t, err)
	assert.True(t, echo)
	assert.Zero(t, got)
	// No table yet: epoch 0, no issuer.
	got, _, err = DecodeProbeAnswer(AppendProbeAnswer(nil, 1, ProbeTable{}), 1)
	require.NoError(t, err)
	assert.Zero(t, got)
	_, _, err = DecodeProbe(a)
	assert.Error(t, err, "an answer is not a probe")
	for i := range len(p) {
		_, _, err := DecodeProbe(p[:i])
		assert.Error(t, err, "truncated to %d bytes", i)
	}
}
