package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A monitor line as Redis's replicationFeedMonitors writes it: microseconds
// zero-padded, arguments quoted as sdscatrepr, redacted positions replaced.
func TestAppendMonitorLine(t *testing.T) {
	at := time.Unix(1700000000, 5000) // 5 µs
	args := [][]byte{[]byte("SET"), []byte("k\x00\x7f\xff é"), []byte("a\"b\\c\n\r\t\a\b'")}
	assert.Equal(t, `+1700000000.000005 [0 127.0.0.1:5000] "SET" "k\x00\x7f\xff \xc3\xa9" "a\"b\\c\n\r\t\a\b'"`+"\r\n",
		string(AppendMonitorLine(nil, at, "127.0.0.1:5000", args, nil)))
	assert.Equal(t, `+1700000000.123456 [0 lua] "AUTH" "(redacted)" "x"`+"\r\n",
		string(AppendMonitorLine(nil, time.Unix(1700000000, 123456789), ScriptAddr,
			[][]byte{[]byte("AUTH"), []byte("secret"), []byte("x")}, []int{1})))
	assert.Equal(t, `+1.000000 [0 a] ""`+"\r\n", string(AppendMonitorLine(nil, time.Unix(1, 0), "a", [][]byte{{}}, nil)))
}
