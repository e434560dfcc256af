package server

import "testing"

// clientReplyScript: CLIENT REPLY OFF and SKIP silence replies ("T0 CMD"
// sends a command and reads nothing); the reply read after them must be
// the next one sent, so a reply that leaked would show in its place.
var clientReplyScript = []string{
	"T1 CLIENT REPLY", "T1 CLIENT REPLY maybe",
	"T0 CLIENT REPLY OFF", "T0 SET a 1", "T0 GET a", "T0 NOSUCHCOMMAND", "T0 CLIENT REPLY SKIP",
	"T1 CLIENT REPLY ON", "T1 GET a",
	"T0 CLIENT REPLY SKIP", "T0 INCR a", "T1 GET a",
	"T0 CLIENT REPLY SKIP", "T0 CLIENT REPLY SKIP", "T0 INCR a", "T1 GET a",
	"T0 CLIENT REPLY SKIP", "T1 CLIENT REPLY ON", "T1 GET a",
	"T0 CLIENT REPLY OFF", "T0 MULTI", "T0 INCR a", "T0 EXEC", "T1 CLIENT REPLY ON", "T1 GET a",
	"T0 CLIENT REPLY OFF", "T1 RESET", "T1 GET a",
	"T0 CLIENT REPLY OFF", "T0 CLIENT REPLY bogus", "W1 SET b 1", "T1 CLIENT REPLY ON",
	// (un)subscribe confirmations are pushes: sent under OFF and SKIP (not their errors)
	"T0 CLIENT REPLY OFF", "T1 SUBSCRIBE ch", "T0 SUBSCRIBE", "T1 UNSUBSCRIBE ch", "T1 CLIENT REPLY ON",
	"T0 CLIENT REPLY SKIP", "T1 PSUBSCRIBE p*", "T1 PUNSUBSCRIBE", "T1 GET a",
}

// TestClientReplyAgainstRedis runs clientReplyScript on redis-server and
// on meshcache, RESP2 and RESP3, comparing every reply byte for byte.
func TestClientReplyAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			runTrackingScript(t, redisAddr, ourAddr, proto, clientReplyScript)
		})
	}
}

// subscribeReplyOffScript: the confirmations of SUBSCRIBE, UNSUBSCRIBE and
// their P forms are pushes, sent while CLIENT REPLY OFF or SKIP silences
// every other reply (Redis's CLIENT_PUSHING); so are published messages.
var subscribeReplyOffScript = []string{
	"T0 CLIENT REPLY OFF", "T2 SUBSCRIBE a b", "T1 UNSUBSCRIBE a", "T0 PING", "T1 PSUBSCRIBE p*",
	"W1 PUBLISH a x", "W1 PUBLISH b m", "T1", "T1 UNSUBSCRIBE", "T0 PING x", "T1 PUNSUBSCRIBE", "T1 UNSUBSCRIBE",
	"T1 CLIENT REPLY ON", "T0 CLIENT REPLY SKIP", "T1 SUBSCRIBE c", "T1 UNSUBSCRIBE c", "T1 PING",
	"T0 CLIENT REPLY OFF", "T0 MULTI", "T0 SET k v", "T0 EXEC", "T1 CLIENT REPLY ON", "T1 GET k",
}

// TestSubscribeReplyOffAgainstRedis runs subscribeReplyOffScript on
// redis-server and on meshcache, RESP2 and RESP3, byte for byte.
func TestSubscribeReplyOffAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			runTrackingScript(t, redisAddr, ourAddr, proto, subscribeReplyOffScript)
		})
	}
}
