package hll

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// testCycles is HLL_TEST_CYCLES: random fills of the dense registers.
const testCycles = 1000

// SelfTest is PFSELFTEST (hyperloglog.c pfselftestCommand), run on this
// package's code: first, over testCycles random fills, every dense
// register reads back what was written without disturbing its neighbours;
// then maxCard distinct elements are added to a dense and a sparse value at
// once, and at each power of ten the sparse value is still sparse while it
// is small, both count the same, and the count is within six standard
// errors of the truth (one at 10, as Redis). PFSELFTEST runs it with 10^7
// elements, as Redis; the error is Redis's TESTFAILED text.
func SelfTest(rng *rand.Rand, maxCard uint64, sparseMax int) error {
	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	regs := dense[HdrSize:]
	var want [Registers]uint8
	for range testCycles {
		for i := range want {
			want[i] = uint8(rng.IntN(regMax + 1))
			denseSetReg(regs, i, want[i])
		}
		for i := range want {
			if got := DenseGet(regs, i); got != want[i] {
				return fmt.Errorf("TESTFAILED Register %d should be %d but is %d", i, want[i], got)
			}
		}
	}

	clear(regs)
	sparse := New()
	relerr := 1.04 / math.Sqrt(Registers)
	seed := rng.Uint64()
	var ele [8]byte
	checkpoint := uint64(1)
	for j := uint64(1); j <= maxCard; j++ {
		binary.LittleEndian.PutUint64(ele[:], j^seed)
		i, count := PatLen(ele[:])
		DenseSet(regs, i, count)
		var err error
		if sparse, _, err = Set(sparse, i, count, sparseMax); err != nil {
			return fmt.Errorf("TESTFAILED %v", err)
		}
		if j != checkpoint {
			continue
		}
		if j < uint64(sparseMax/2) && sparse[4] != Sparse {
			return fmt.Errorf("TESTFAILED sparse encoding not used")
		}
		dc, err1 := Count(dense)
		sc, err2 := Count(sparse)
		if err1 != nil || err2 != nil || dc != sc {
			return fmt.Errorf("TESTFAILED dense/sparse disagree")
		}
		abserr := int64(checkpoint) - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			return fmt.Errorf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}
