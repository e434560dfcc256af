package hll

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSelfTest runs PFSELFTEST's checks (to 10^5 elements; the command goes
// to 10^7) and shows that each check can fail: a sparse limit so low that
// the value turns dense at once is caught as "sparse encoding not used".
func TestSelfTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	require.NoError(t, SelfTest(rng, 100_000, DefaultSparseMaxBytes))
	require.EqualError(t, SelfTest(rng, 100, 30), "TESTFAILED sparse encoding not used")
}
