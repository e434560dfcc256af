package server

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestRecycledInputKeepsWhatIsHeld: batches of commands that hold none of
// their arguments are read over one another (resp.Conn.Recycle), and a
// command that holds its arguments past its batch keeps them intact. A SET
// queued in MULTI is held until EXEC while 800 more queued commands arrive
// one batch each (about two slabs of input, none of it recycled); then
// 800 SET/GET and HSET/HGET pairs, each batch recycled, answer every value
// as written, and the hash still holds the last values after them; so do
// a list, a set and a sorted set written and read the same way.
func TestRecycledInputKeepsWhatIsHeld(t *testing.T) {
	ts := startServer(t, nil)
	rc := testenv.DialRaw(t, ts.addr)
	require.Equal(t, "+OK\r\n", string(rc.Must(t, "MULTI")))
	require.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "SET", "queued-key", "queued-value")))
	for i := range 800 {
		require.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "SET", "other-"+strconv.Itoa(i), "x")))
	}
	reply := string(rc.Must(t, "EXEC"))
	require.Equal(t, "*801\r\n+OK\r\n", reply[:len("*801\r\n+OK\r\n")])
	require.Equal(t, "$12\r\nqueued-value\r\n", string(rc.Must(t, "GET", "queued-key")))
	require.Equal(t, "$1\r\nx\r\n", string(rc.Must(t, "GET", "other-799")))

	for i := range 800 {
		k, v := "k"+strconv.Itoa(i%7), "value-"+strconv.Itoa(i)
		bulk := "$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n"
		require.Equal(t, "+OK\r\n", string(rc.Must(t, "SET", k, v)))
		require.Equal(t, bulk, string(rc.Must(t, "GET", k)))
		f := "f" + strconv.Itoa(i%5)
		rc.Must(t, "HSET", "h", f, v)
		require.Equal(t, bulk, string(rc.Must(t, "HGET", "h", f)))
	}
	for i := 795; i < 800; i++ { // what the hash keeps was copied, not read over
		v := "value-" + strconv.Itoa(i)
		require.Equal(t, "$"+strconv.Itoa(len(v))+"\r\n"+v+"\r\n", string(rc.Must(t, "HGET", "h", "f"+strconv.Itoa(i%5))))
	}

	for i := range 800 {
		v := "elem-" + strconv.Itoa(i)
		bulk := "$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n"
		rc.Must(t, "RPUSH", "l", v)
		rc.Must(t, "LPUSH", "l", "front-"+strconv.Itoa(i))
		require.Equal(t, bulk, string(rc.Must(t, "LINDEX", "l", "-1")))
		require.Equal(t, ":1\r\n", string(rc.Must(t, "SADD", "s", v)))
		require.Equal(t, ":1\r\n", string(rc.Must(t, "SISMEMBER", "s", v)))
		require.Equal(t, ":1\r\n", string(rc.Must(t, "ZADD", "z", strconv.Itoa(i), v)))
		require.Equal(t, bulk, string(rc.Must(t, "ZRANGE", "z", "-1", "-1"))[len("*1\r\n"):])
	}
	require.Equal(t, "$6\r\nelem-0\r\n", string(rc.Must(t, "LINDEX", "l", "800")))
	require.Equal(t, "$9\r\nfront-799\r\n", string(rc.Must(t, "LINDEX", "l", "0")))
	for _, i := range []int{0, 17, 399, 799} {
		v := "elem-" + strconv.Itoa(i)
		require.Equal(t, ":1\r\n", string(rc.Must(t, "SISMEMBER", "s", v)), v)
		score := strconv.Itoa(i)
		require.Equal(t, "$"+strconv.Itoa(len(score))+"\r\n"+score+"\r\n", string(rc.Must(t, "ZSCORE", "z", v)), v)
	}
	require.Equal(t, ":800\r\n", string(rc.Must(t, "SCARD", "s")))
	require.Equal(t, ":800\r\n", string(rc.Must(t, "ZCARD", "z")))
}
