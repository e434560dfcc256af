package resp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSplitBulkArray splits MGET-shaped replies, RESP2 and RESP3, and
// refuses anything else.
func TestSplitBulkArray(t *testing.T) {
	items, err := SplitBulkArray([]byte("*3\r\n$1\r\na\r\n$-1\r\n_\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"$1\r\na\r\n", "$-1\r\n", "_\r\n"}, []string{string(items[0]), string(items[1]), string(items[2])})
	items, err = SplitBulkArray([]byte("*0\r\n"))
	require.NoError(t, err)
	assert.Empty(t, items)
	for _, bad := range []string{"", ":1\r\n", "*1\r\n:1\r\n", "*2\r\n$1\r\na\r\n", "*1\r\n$5\r\nab\r\n",
		"*1\r\n$1\r\na\r\nx", "*x\r\n", "*1"} {
		_, err := SplitBulkArray([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// TestParseInteger reads whole integer replies only.
func TestParseInteger(t *testing.T) {
	n, err := ParseInteger([]byte(":-42\r\n"))
	require.NoError(t, err)
	assert.EqualValues(t, -42, n)
	for _, bad := range []string{"", ":\r\n", "+OK\r\n", ":1", ":1x\r\n"} {
		_, err := ParseInteger([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}
