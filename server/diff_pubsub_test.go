package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// pubsubDiffScript drives a subscriber (S) and a publisher (P) connection.
// A step "S2 SUBSCRIBE a b" sends the command on S and reads 2 replies
// there; "S1" alone reads one more reply (a pushed message) from S. Each
// message matches at most one pattern: Redis sends a message matching
// several patterns in its hash table's order. A PUBLISH inside MULTI to a
// channel the same client subscribes to is left out: Redis puts the
// message inside the EXEC reply, in place of an element (the publish's own
// reply then trails the array), which no client can parse; meshcache
// sends the message after the EXEC reply.
var pubsubDiffScript = []string{
	"S1 UNSUBSCRIBE", "S1 PUNSUBSCRIBE", "S1 SUNSUBSCRIBE", "S1 UNSUBSCRIBE x", "S1 SUBSCRIBE", "P1 PUBLISH a",
	"P1 PUBLISH nobody m", "P1 SPUBLISH nobody m", "P1 PUBSUB CHANNELS", "P1 PUBSUB NUMPAT", "P1 PUBSUB NUMSUB",
	"P1 PUBSUB NUMSUB a", "P1 PUBSUB bogus", "P1 PUBSUB CHANNELS * x", "P1 PUBSUB SHARDCHANNELS * x",
	"S2 SUBSCRIBE a b", "S2 SUBSCRIBE a c", "S1 PING", "S1 PING hello", "S1 PING a b", "S1 GET x", "S1 CLIENT GETNAME",
	"S1 MULTI", "S1 DISCARD", "S1 ECHO e",
	"S1 PSUBSCRIBE h?llo", "S1 PSUBSCRIBE n[ae]ws", "S1 PSUBSCRIBE \\*",
	"P1 PUBLISH a m1", "S1", "P1 PUBLISH news m2", "S1", "P1 PUBLISH hello m3", "S1", "P1 PUBLISH * star", "S1",
	"P1 PUBLISH nope m4", "P1 PUBLISH c \"\"", "S1",
	"P1 PUBSUB CHANNELS", "P1 PUBSUB CHANNELS [ab]", "P1 PUBSUB NUMSUB a b zz", "P1 PUBSUB NUMPAT",
	"S1 SSUBSCRIBE {t}x", "S2 SSUBSCRIBE {t}x {t}y", "P1 SPUBLISH {t}x m5", "S1", "P1 PUBLISH {t}x m6",
	"P1 PUBSUB SHARDCHANNELS", "P1 PUBSUB SHARDCHANNELS *y", "P1 PUBSUB SHARDNUMSUB {t}x zz", "P1 PUBSUB SHARDNUMSUB",
	"S1 SUNSUBSCRIBE {t}x", "S1 SUNSUBSCRIBE {t}y", "P1 SPUBLISH {t}x m7", "S1 SUNSUBSCRIBE",
	"S1 UNSUBSCRIBE a", "P1 PUBLISH a gone", "S1 PUNSUBSCRIBE h?llo", "S3 PUNSUBSCRIBE n[ae]ws \\* other",
	"S2 UNSUBSCRIBE b c", "S1 UNSUBSCRIBE", "S1 GET x", "S1 PING",
	"S1 SUBSCRIBE z", "S1 RESET", "S1 GET x", "P1 PUBLISH z after-reset",
	"S1 MULTI", "S1 SUBSCRIBE m", "S1 EXEC", "P1 PUBLISH m after-exec", "S1", "S1 UNSUBSCRIBE m",
	"S1 SUBSCRIBE q", "S1 QUIT",
}

// TestPubSubAgainstRedis runs pubsubDiffScript on redis-server and on
// meshcache, RESP2 and RESP3, and compares every reply and message byte
// for byte (PUBSUB CHANNELS and SHARDCHANNELS unordered).
func TestPubSubAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		// The last run's subscriber quit: both servers drop its channel
		// when they close its connection, which may come after QUIT's reply.
		for _, addr := range []string{redisAddr, ourAddr} {
			c := testenv.DialRaw(t, addr)
			waitFor(t, "no channel left from the last run", func() bool {
				return string(c.Must(t, "PUBSUB", "CHANNELS")) == "*0\r\n"
			})
		}
		t.Run("resp"+proto, func(t *testing.T) {
			type side struct{ s, p *testenv.RawConn }
			var sides [2]side
			for i, addr := range []string{redisAddr, ourAddr} {
				sides[i] = side{testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)}
				sides[i].s.Must(t, "HELLO", proto)
				sides[i].p.Must(t, "HELLO", proto)
			}
			for _, step := range pubsubDiffScript {
				head, line, _ := strings.Cut(step, " ")
				n, err := strconv.Atoi(head[1:])
				require.NoError(t, err, step)
				var got [2]string
				for i, sd := range sides {
					conn := sd.s
					if head[0] == 'P' {
						conn = sd.p
					}
					var out []byte
					start := 0
					if line != "" {
						out = conn.Must(t, splitCommand(line)...)
						start = 1
					}
					for j := start; j < n; j++ {
						require.NoError(t, testenv.ReadReply(conn.Reader(), &out), "%s: reply %d", step, j)
					}
					mode := cmpExact
					if strings.Contains(strings.ToUpper(line), "CHANNELS") {
						mode = cmpUnordered
					}
					got[i] = normalizeReply(out, mode)
				}
				assert.Equal(t, got[0], got[1], "%s", step)
			}
		})
	}
}
