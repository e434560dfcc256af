package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// monitorSteps are commands sent by the client T or by the monitor M
// itself (M0: one that gets no reply); after each, every line the monitor got is compared with
// redis-server's, the timestamp masked and the addresses named.
var monitorSteps = [][]string{
	{"T", "SET", "a", "1"}, {"T", "GET", "a"},
	{"T", "SET", "bin", "\x00\x01\xff\t\r\n\\\a\b\"' é~\x7f"},
	{"T", "AUTH", "secret"}, {"T", "AUTH", "u", "p"}, {"T", "AUTH", "a", "b", "c"},
	{"T", "HELLO", "$P", "AUTH", "u", "p"}, {"T", "HELLO", "9", "AUTH", "u", "p"},
	{"T", "HELLO", "$P", "AUTH", "u", "x"},
	{"T", "MULTI"}, {"T", "SET", "k", "1"}, {"T", "INCR", "k"}, {"T", "EXEC"},
	{"T", "MULTI"}, {"T", "NOPE"}, {"T", "EXEC"}, {"T", "MULTI"}, {"T", "GET"}, {"T", "DISCARD"},
	{"T", "MULTI"}, {"T", "SET", "k", "2"}, {"T", "EXEC", "x"}, // refused EXEC: EXECABORT, shown
	{"T", "MULTI"}, {"T", "EXEC", "x", "y"}, {"T", "EXEC"},
	{"T", "WATCH", "k"}, {"T", "MULTI"}, {"T", "INCR", "k"}, {"T", "EXEC"},
	{"T", "EVAL", "redis.call('set','e','1') return redis.call('get','e')", "0"},
	{"T", "EVAL_RO", "return redis.call('get','e')", "1", "e"},
	{"T", "EVALSHA", "0123456789012345678901234567890123456789", "0"}, {"T", "EVALSHA", "short", "0"},
	{"T", "FUNCTION", "LOAD", "REPLACE", "#!lua name=mon\nredis.register_function('f', function(k, a) return redis.call('incr', k[1]) end)"},
	{"T", "FCALL", "f", "1", "k"},
	{"T", "CONFIG", "GET", "maxmemory"}, {"T", "CLIENT", "LIST", "TYPE", "replica"}, {"T", "CLIENT", "KILL", "ID", "999999"},
	{"T", "CLIENT", "SETNAME", "x"}, {"T", "CLIENT", "GETNAME"},
	{"T", "PUBLISH", "ch", "m"}, {"T", "BLPOP", "nolist", "0.01"}, {"T", "PING"}, {"T", "ECHO", ""},
	{"T", "NOSUCH", "x"}, {"T", "GET"}, {"T", "SELECT", "0"}, {"T", "DEL", "a", "bin", "e", "k"},
	{"M", "PING"}, {"M", "GET", "a"}, {"M", "SET", "a", "1"}, {"M", "EVAL", "return 1", "0"},
	{"M", "PUBLISH", "ch", "m"}, {"M", "PFCOUNT", "h"}, {"M", "CLIENT", "GETNAME"}, {"M0", "MONITOR"},
	{"M", "ECHO", "m"}, {"M", "MULTI"}, {"M", "GET", "a"}, {"M", "PING"}, {"M", "EXEC"},
	{"M", "MULTI"}, {"M", "PING"}, {"M", "MONITOR"}, {"M", "EXEC"},
}

var monitorStamp = regexp.MustCompile(`\+[0-9]+\.[0-9]{6} \[`)

// TestMonitorAgainstRedis runs monitorSteps against redis-server and
// meshcache, RESP2 and RESP3: MONITOR's +OK, the monitor's own replies,
// and the lines of every command (timestamps masked, the two clients'
// addresses named) must be the same bytes.
func TestMonitorAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			type side struct {
				m, t, w           *testenv.RawConn // the monitor, the client, the marker's client
				maddr, tad, waddr string
			}
			var sides [2]side
			for i, addr := range []string{redisAddr, ourAddr} {
				s := side{m: testenv.DialRaw(t, addr), t: testenv.DialRaw(t, addr), w: testenv.DialRaw(t, addr)}
				s.t.Must(t, "HELLO", proto)
				s.m.Must(t, "HELLO", proto)
				s.t.Must(t, "FLUSHALL")
				s.maddr = clientField(t, s.m.Must(t, "CLIENT", "INFO"), "addr")
				s.tad = clientField(t, s.t.Must(t, "CLIENT", "INFO"), "addr")
				s.waddr = clientField(t, s.w.Must(t, "CLIENT", "INFO"), "addr")
				sides[i] = s
			}
			assert.Equal(t, string(sides[0].m.Must(t, "MONITOR")), string(sides[1].m.Must(t, "MONITOR")))
			for n, step := range monitorSteps {
				var got [2]string
				for i, s := range sides {
					args := make([]string, 0, len(step)-1)
					for _, a := range step[1:] {
						args = append(args, strings.ReplaceAll(a, "$P", proto))
					}
					var out []byte
					if step[0] == "T" {
						out = s.t.Must(t, args...)
					} else if step[0] == "M0" {
						require.NoError(t, s.m.Send(args...)) // no reply: a monitor's second MONITOR
					} else {
						out = s.m.Must(t, args...)
					}
					// The marker: every line before its own is this step's.
					mark := "mark-" + strconv.Itoa(n)
					s.w.Must(t, "ECHO", mark)
					var lines []byte
					for !strings.Contains(string(lines), mark) {
						require.NoError(t, testenv.ReadReply(s.m.Reader(), &lines), "step %v", step)
					}
					text := monitorStamp.ReplaceAllString(string(out)+"|"+string(lines), "+<time> [")
					text = strings.ReplaceAll(text, "["+"0 "+s.tad+"]", "[0 T]")
					text = strings.ReplaceAll(text, "[0 "+s.waddr+"]", "[0 W]")
					got[i] = strings.ReplaceAll(text, "[0 "+s.maddr+"]", "[0 M]")
				}
				assert.Equal(t, got[0], got[1], "step %q", step)
			}
			for i, s := range sides {
				assert.Equal(t, "+RESET\r\n", string(s.m.Must(t, "RESET")), "side %d", i)
				s.t.Must(t, "SET", "after", "reset")
				assert.Equal(t, "$1\r\nx\r\n", string(s.m.Must(t, "ECHO", "x")), "side %d: no line after RESET", i)
			}
		})
	}
}

// clientField returns field name of a CLIENT INFO reply.
func clientField(t *testing.T, reply []byte, name string) string {
	t.Helper()
	for _, f := range strings.Fields(string(reply)) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s= in %q", name, reply)
	return ""
}
