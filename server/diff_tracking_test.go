package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// trackingDirectScript drives a tracking client (T) and a writer (W) on
// RESP3, where T gets its invalidations as `>invalidate` pushes. A step
// "T2 SET a 5" sends the command on T and reads 2 replies there (its
// reply, then a push); "T1" alone reads one more push. A "T1 PING" after
// a change that must not be sent shows that nothing was: a push would be
// read in place of PONG. BCAST changes go in one message per prefix with
// the keys of a command (Redis: of an event-loop turn), in byte order.
var trackingDirectScript = []string{
	"T1 CLIENT TRACKINGINFO", "T1 CLIENT GETREDIR", "T1 CLIENT CACHING yes",
	"T1 CLIENT TRACKING", "T1 CLIENT TRACKING maybe", "T1 CLIENT TRACKING on bogus", "T1 CLIENT TRACKING on PREFIX x",
	"T1 CLIENT TRACKING on BCAST OPTIN", "T1 CLIENT TRACKING on OPTIN OPTOUT", "T1 CLIENT TRACKING on REDIRECT 999999",
	"T1 CLIENT TRACKING on REDIRECT x", "T1 CLIENT TRACKING on REDIRECT", "T1 CLIENT TRACKING on BCAST PREFIX a PREFIX ab",
	"T1 CLIENT TRACKING off", "T1 CLIENT TRACKINGINFO",
	"T1 CLIENT TRACKING on", "T1 CLIENT TRACKINGINFO", "T1 CLIENT GETREDIR", "T1 CLIENT CACHING yes", "T1 CLIENT CACHING no",
	"T1 CLIENT TRACKING on BCAST",
	"W1 SET a 1", "T1 GET a", "W1 SET a 2", "T1", "W1 SET a 3", "T1 PING",
	"T1 MGET a b", "W1 DEL b", "T1 PING", "W1 SET b 1", "T1", "W1 APPEND a x", "T1", "W1 SET a 3", "T1 PING",
	"W1 HSET h f v", "T1 HGET h f", "W1 HDEL h f", "T1", "W1 RPUSH l x", "T1 LRANGE l 0 -1", "W1 LPOP l", "T1",
	"T1 EXISTS a", "W1 PEXPIRE a 100000", "T1", "T1 GET a", "W1 PERSIST a", "T1", "T1 GET a", "W1 RENAME a c", "T1",
	"T1 GET b", "T1 MULTI", "T1 GET b", "T1 EXEC", "W1 SET b 2", "T1",
	"T1 GET c", "W1 FLUSHALL", "T1", "W1 SET c 1", "T1 PING", "W1 FLUSHDB", "T1",
	"T1 CLIENT TRACKING on NOLOOP", "T1 CLIENT TRACKINGINFO", "T1 GET c", "T1 SET c 2", "W1 SET c 3", "T1 PING",
	"T1 CLIENT TRACKING off", "T1 CLIENT TRACKING on OPTIN", "T1 CLIENT CACHING no", "T1 CLIENT CACHING maybe",
	"T1 GET c", "W1 SET c 4", "T1 PING", "T1 CLIENT CACHING yes", "T1 CLIENT TRACKINGINFO", "T1 GET c",
	"T1 CLIENT TRACKINGINFO", "W1 SET c 5", "T1", "T1 CLIENT TRACKING on OPTOUT",
	"T1 CLIENT TRACKING off", "T1 CLIENT TRACKING on OPTOUT", "T1 CLIENT CACHING no", "T1 CLIENT TRACKINGINFO",
	"T1 GET c", "W1 SET c 6", "T1 PING", "T1 GET c", "W1 SET c 7", "T1",
	"T1 CLIENT TRACKING off", "T1 CLIENT TRACKING on BCAST PREFIX p: PREFIX q:", "T1 CLIENT TRACKINGINFO",
	"T1 CLIENT TRACKING on", "T1 CLIENT TRACKING on BCAST PREFIX p", "T1 CLIENT TRACKING on BCAST PREFIX r:",
	"T1 CLIENT TRACKINGINFO", "W1 SET p:1 x", "T1", "W1 SET z 1", "T1 PING", "W1 SET q:2 y", "T1", "W1 DEL r:3", "T1 PING",
	"W1 MSET p:2 a q:3 b p:1 c z 1", "T1", "T1", "T1 PING",
	"W1 MULTI", "W1 SET q:4 x", "W1 INCR p:9", "W1 SET q:0 y", "W1 SET z 2", "W1 EXEC", "T1", "T1", "T1 PING",
	"T1 CLIENT TRACKING off", "T1 CLIENT TRACKING on BCAST PREFIX p: NOLOOP", "T1 MSET p:1 a p:2 b", "T1 PING",
	"W1 MSET p:2 c p:3 d", "T1", "T1 MULTI", "T1 SET p:4 x", "T1 EXEC", "T1 PING",
	"T1 RESET", "T1 CLIENT TRACKINGINFO", "W1 SET p:1 y", "T1 PING",
}

// trackingRedirectScript sends T's invalidations to R, subscribed to
// __redis__:invalidate: Pub/Sub messages on RESP2, pushes on RESP3.
var trackingRedirectScript = []string{
	"R1 SUBSCRIBE __redis__:invalidate", "T1 CLIENT TRACKING on REDIRECT $R",
	"W1 SET a 1", "T1 GET a", "W1 SET a 2", "R1", "W1 SET a 3", "T1 GET a", "T1 SET a 4", "R1", "T1 PING",
	"T1 GET a", "W1 FLUSHALL", "R1", "T1 CLIENT TRACKING off", "T1 GET a", "W1 SET a 5", "R1 PING",
}

// TestTrackingAgainstRedis runs the tracking scripts on redis-server and on
// meshcache and compares every reply and push byte for byte: the direct
// script on RESP3, the redirect script on RESP2 and RESP3.
func TestTrackingAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	t.Run("direct-resp3", func(t *testing.T) { runTrackingScript(t, redisAddr, ourAddr, "3", trackingDirectScript) })
	for _, proto := range []string{"2", "3"} {
		t.Run("redirect-resp"+proto, func(t *testing.T) {
			runTrackingScript(t, redisAddr, ourAddr, proto, trackingRedirectScript)
		})
	}
}

func runTrackingScript(t *testing.T, redisAddr, ourAddr, proto string, script []string) {
	var sides [2]map[byte]*testenv.RawConn
	var rid [2]string
	for i, addr := range []string{redisAddr, ourAddr} {
		sides[i] = map[byte]*testenv.RawConn{}
		for _, n := range []byte("TWR") {
			conn := testenv.DialRaw(t, addr)
			conn.Must(t, "HELLO", proto)
			sides[i][n] = conn
		}
		sides[i]['W'].Must(t, "FLUSHALL")
		id, err := sides[i]['R'].Do("CLIENT", "ID")
		require.NoError(t, err)
		rid[i] = strings.TrimSpace(strings.TrimPrefix(string(id), ":"))
	}
	for _, step := range script {
		head, line, _ := strings.Cut(step, " ")
		n, err := strconv.Atoi(head[1:])
		require.NoError(t, err, step)
		var got [2]string
		for i, side := range sides {
			conn := side[head[0]]
			var out []byte
			start := 0
			switch args := splitCommand(strings.ReplaceAll(line, "$R", rid[i])); {
			case line != "" && n == 0: // "T0 CMD": sent, no reply read (CLIENT REPLY OFF)
				require.NoError(t, conn.Send(args...), step)
			case line != "":
				out = conn.Must(t, args...)
				start = 1
			}
			for j := start; j < n; j++ {
				require.NoError(t, testenv.ReadReply(conn.Reader(), &out), "%s: reply %d", step, j)
			}
			got[i] = normalizeReply(out, cmpExact)
		}
		assert.Equal(t, got[0], got[1], "%s", step)
	}
}
