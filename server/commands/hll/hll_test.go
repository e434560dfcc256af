package hll

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewIsRedisEmptyHLL(t *testing.T) {
	// redis-server: PFADD k (no elements), then GET k.
	assert.Equal(t, []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), New())
	n, err := Count(New())
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestAddIsRedisBytes(t *testing.T) {
	// redis-server 7: PFADD g a b c, then GET g (MurmurHash64A, PatLen and
	// the sparse opcodes all show in these bytes).
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ")
	v := New()
	for _, e := range []string{"a", "b", "c"} {
		var err error
		v, _, err = Add(v, []byte(e), DefaultSparseMaxBytes)
		require.NoError(t, err)
	}
	assert.Equal(t, want, v)
	// Every tail length of MurmurHash64A takes its own path; each must be
	// distinct.
	seen := map[uint64]bool{}
	for n := range 17 {
		h := MurmurHash64A(bytes.Repeat([]byte("x"), n), hashSeed)
		assert.False(t, seen[h], "length %d", n)
		seen[h] = true
	}
}

// TestSparseAndDenseAgree adds the same elements to a sparse value (which
// promotes itself on the way) and to a dense one: their registers and
// counts must be equal at every step.
func TestSparseAndDenseAgree(t *testing.T) {
	sparse := New()
	dense, err := ToDense(New())
	require.NoError(t, err)
	require.Len(t, dense, DenseSize)
	for i := range 20000 {
		e := []byte("element:" + strconv.Itoa(i))
		var up1, up2 bool
		sparse, up1, err = Add(sparse, e, DefaultSparseMaxBytes)
		require.NoError(t, err)
		dense, up2, err = Add(dense, e, DefaultSparseMaxBytes)
		require.NoError(t, err)
		require.Equal(t, up2, up1, "element %d", i)
		if i%997 == 0 || i < 50 {
			d, err := ToDense(sparse)
			require.NoError(t, err)
			require.Equal(t, dense[HdrSize:], d[HdrSize:], "element %d", i)
			c1, err := Count(sparse)
			require.NoError(t, err)
			c2, err := Count(dense)
			require.NoError(t, err)
			require.Equal(t, c2, c1)
		}
	}
	assert.Equal(t, byte(Dense), sparse[4], "promoted")
	n, err := Count(dense)
	require.NoError(t, err)
	assert.InEpsilon(t, 20000, float64(n), 0.02, "HLL standard error is 0.81%%")
	var regs [Registers]uint8
	require.NoError(t, Merge(&regs, dense))
	assert.Equal(t, n, CountRegisters(&regs))
}

// FuzzDecode feeds arbitrary register bytes behind a HYLL header, sparse
// and dense: reading, counting, merging, converting and adding must answer
// a value or ErrInvalid, never panic, and a value that converts to dense
// must count the same in both forms.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"\x7f\xff", "\x7f", "\xff\xff\xff", "", "\x40\x00\x80", "\x3f\x3f\x7f\x7f\x84\x85",
		"\x7f\xbf\xfc", "\xfc\x7f\xfb", "\x00"} {
		f.Add(byte(Sparse), []byte(s), []byte("a"))
	}
	f.Add(byte(Dense), make([]byte, DenseSize-HdrSize), []byte("b"))
	f.Fuzz(func(t *testing.T, enc byte, regs, ele []byte) {
		v := append([]byte("HYLL"), enc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		v = append(v, regs...)
		if !Valid(v) {
			return
		}
		c1, err1 := Count(v)
		var m [Registers]uint8
		err2 := Merge(&m, v)
		d, err3 := ToDense(bytes.Clone(v))
		if err3 == nil {
			c2, err := Count(d)
			require.NoError(t, err)
			require.NoError(t, err1)
			require.Equal(t, c1, c2)
			require.NoError(t, err2)
		}
		for _, limit := range []int{0, 30, DefaultSparseMaxBytes} {
			w, _, err := Add(bytes.Clone(v), ele, limit)
			if err == nil {
				require.True(t, Valid(w))
			}
		}
	})
}
