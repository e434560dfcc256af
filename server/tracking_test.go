package server

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// readPush reads the next reply of conn (a push sent without a command).
func readPush(t *testing.T, conn *testenv.RawConn) string {
	t.Helper()
	var out []byte
	require.NoError(t, testenv.ReadReply(conn.Reader(), &out))
	return string(out)
}

func invalidation(key string) string {
	return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + strconv.Itoa(len(key)) + "\r\n" + key + "\r\n"
}

// A key a tracking client read is invalidated when it expires (active
// expiry: nobody touches it) and when it is evicted.
func TestTrackingExpiryAndEviction(t *testing.T) {
	addr := startDataServer(t)
	tr, w := testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)
	tr.Must(t, "HELLO", "3")
	require.Equal(t, "+OK\r\n", string(tr.Must(t, "CLIENT", "TRACKING", "on")))

	w.Must(t, "SET", "e", "1", "PX", "30")
	require.Equal(t, "$1\r\n1\r\n", string(tr.Must(t, "GET", "e")))
	require.Equal(t, invalidation("e"), readPush(t, tr), "expiry")

	read := map[string]bool{}
	for i := 0; i < 20; i++ {
		k := "ev" + strconv.Itoa(i)
		w.Must(t, "SET", k, strings.Repeat("x", 4096))
		tr.Must(t, "GET", k)
		read[k] = true
	}
	w.Must(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	w.Must(t, "CONFIG", "SET", "maxmemory", "1")
	t.Cleanup(func() { w.Must(t, "CONFIG", "SET", "maxmemory", "0") })
	w.Must(t, "SET", "more", "x") // makes room: evicts (and may still be refused)
	push := readPush(t, tr)
	require.True(t, strings.HasPrefix(push, ">2\r\n$10\r\ninvalidate\r\n*1\r\n"), "eviction: %q", push)
	parts := strings.Split(push, "\r\n")
	require.True(t, read[parts[len(parts)-2]], "eviction invalidated a key never read: %q", push)
}

// REDIRECT: GETREDIR and TRACKINGINFO name the target; when the target
// disconnects, a RESP3 tracking client is told so at the next
// invalidation (`tracking-redir-broken <id>`) and TRACKINGINFO says
// broken_redirect, as Redis does.
func TestTrackingRedirectBroken(t *testing.T) {
	addr := startDataServer(t)
	tr, w, r := testenv.DialRaw(t, addr), testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)
	tr.Must(t, "HELLO", "3")
	rid := strings.TrimSpace(strings.TrimPrefix(string(r.Must(t, "CLIENT", "ID")), ":"))
	r.Must(t, "SUBSCRIBE", "__redis__:invalidate")
	require.Equal(t, "+OK\r\n", string(tr.Must(t, "CLIENT", "TRACKING", "on", "REDIRECT", rid)))
	require.Equal(t, ":"+rid+"\r\n", string(tr.Must(t, "CLIENT", "GETREDIR")))
	info := string(tr.Must(t, "CLIENT", "TRACKINGINFO"))
	require.Contains(t, info, "$8\r\nredirect\r\n:"+rid+"\r\n")

	w.Must(t, "SET", "k", "1")
	tr.Must(t, "GET", "k")
	w.Must(t, "SET", "k", "2")
	require.Equal(t, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n", readPush(t, r))

	r.Must(t, "QUIT")
	tr.Must(t, "GET", "k")
	testenv.Wait(t, 10*time.Second, "the redirect target gone", func() error {
		if out := string(w.Must(t, "CLIENT", "LIST", "ID", rid)); out != "$0\r\n\r\n" {
			return errors.New("still listed: " + out)
		}
		return nil
	})
	w.Must(t, "SET", "k", "3")
	require.Equal(t, ">2\r\n$21\r\ntracking-redir-broken\r\n:"+rid+"\r\n", readPush(t, tr))
	require.Contains(t, string(tr.Must(t, "CLIENT", "TRACKINGINFO")), "broken_redirect")
}

// FuzzClientTracking sends CLIENT TRACKING and CLIENT CACHING with fuzzed
// options: every reply is OK or one of Redis's errors, never an internal
// error (a recovered panic), and the connection keeps answering.
func FuzzClientTracking(f *testing.F) {
	for _, seed := range []string{"on", "off", "on BCAST PREFIX a PREFIX ab", "on REDIRECT", "on REDIRECT -1",
		"on OPTIN", "on OPTOUT NOLOOP", "on BCAST PREFIX  PREFIX x", "ON redirect 99999999999999999999", "maybe"} {
		f.Add(seed)
	}
	addr := startServer(f, nil).addr
	conn := testenv.DialRaw(f, addr)
	conn.Must(f, "HELLO", "3")
	f.Fuzz(func(t *testing.T, opts string) {
		for _, sub := range []string{"TRACKING", "CACHING"} {
			args := append([]string{"CLIENT", sub}, strings.Fields(opts)...)
			out, err := conn.Do(args...)
			require.NoError(t, err)
			require.NotContains(t, string(out), "internal error", "%q", args)
			require.True(t, strings.HasPrefix(string(out), "+OK") || strings.HasPrefix(string(out), "-"), "%q: %q", args, out)
		}
		conn.Must(t, "CLIENT", "TRACKING", "off")
		require.Equal(t, "+PONG\r\n", string(conn.Must(t, "PING")))
	})
}
