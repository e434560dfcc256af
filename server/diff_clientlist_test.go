package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// clientInfoMasked are the CLIENT LIST fields whose values depend on the
// connection or the allocator, compared by name and place only.
var clientInfoMasked = map[string]bool{
	"id": true, "addr": true, "laddr": true, "fd": true, "age": true, "idle": true,
	"qbuf-free": true, "rbs": true, "rbp": true, "tot-mem": true,
}

// clientInfoSteps: "C CMD" runs CMD on connection C (T or W) and compares
// its reply, CLIENT LIST and INFO lines field by field ($T is T's ID);
// "C0 CMD" sends without reading; "Wb" waits until T is blocked; "T1"
// reads one reply on T.
var clientInfoSteps = []string{
	"T CLIENT INFO", "T CLIENT SETNAME n1", "T CLIENT INFO", "W CLIENT LIST ID $T",
	"T MULTI", "T SET a 1", "T GET a", "W CLIENT LIST ID $T", "T EXEC", "W CLIENT LIST ID $T $T 0 -1",
	"T CLIENT TRACKING ON", "T CLIENT INFO", "T CLIENT TRACKING OFF",
	"T CLIENT NO-EVICT ON", "T CLIENT INFO", "T CLIENT NO-EVICT OFF",
	"T0 BLPOP l 0", "Wb", "W CLIENT LIST ID $T", "W LPUSH l x", "T1", "W CLIENT LIST ID $T",
	"T NOSUCH", "W CLIENT LIST ID $T", "T CLIENT NOSUCH", "W CLIENT LIST ID $T",
	"W CLIENT LIST TYPE replica", "W CLIENT LIST TYPE master", "W CLIENT LIST TYPE bogus", "W CLIENT LIST TYPE",
	"W CLIENT LIST ID", "W CLIENT LIST ID x", "W CLIENT LIST ID 1 x", "W CLIENT LIST foo", "W CLIENT LIST TYPE normal ID 1",
	"T SUBSCRIBE c", "W CLIENT LIST ID $T", "W CLIENT LIST TYPE pubsub", "T UNSUBSCRIBE", "T RESET", "T CLIENT INFO",
}

// normalizeClientInfo masks clientInfoMasked in every CLIENT LIST line of
// a raw reply and the bulk's length, puts "$T" for T's ID, and drops lib-name and lib-ver when
// keep is false (redis-server 7.0 has not got them; 7.2 has).
func normalizeClientInfo(raw, tid string, keep bool) string {
	lines := strings.Split(raw, "\n")
	for i, line := range lines {
		if i == 0 && len(line) > 1 && (line[0] == '$' || line[0] == '=') {
			lines[i] = line[:1] + "<len>" // the masked fields' lengths differ
			continue
		}
		if !strings.Contains(line, "id=") || !strings.Contains(line, " addr=") {
			continue
		}
		var out []string
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			if j := strings.Index(k, "id"); j > 0 && k[:j] != "" { // "txt:id" in RESP3
				out = append(out, k[:j])
				k = "id"
			}
			switch {
			case k == "id" && v == tid:
				v = "$T"
			case clientInfoMasked[k]:
				v = "*"
			case (k == "lib-name" || k == "lib-ver") && !keep:
				continue
			}
			out = append(out, k+"="+v)
		}
		lines[i] = strings.Join(out, " ")
	}
	return strings.Join(lines, "\n")
}

// TestClientListAgainstRedis runs clientInfoSteps on redis-server and
// meshcache, RESP2 and RESP3: every field Redis shows, in Redis's order,
// with the same values where they do not depend on the connection or
// allocator (flags, multi, qbuf, argv-mem, multi-mem, obl, oll, omem,
// events, cmd, redir ...), and CLIENT LIST's filters and errors.
func TestClientListAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			var conns [2]map[byte]*testenv.RawConn
			var tid [2]string
			for i, addr := range []string{redisAddr, ourAddr} {
				conns[i] = map[byte]*testenv.RawConn{'T': testenv.DialRaw(t, addr), 'W': testenv.DialRaw(t, addr)}
				for _, c := range conns[i] {
					c.Must(t, "HELLO", proto)
				}
				conns[i]['W'].Must(t, "FLUSHALL")
				id := conns[i]['T'].Must(t, "CLIENT", "ID")
				tid[i] = strings.TrimSpace(strings.TrimPrefix(string(id), ":"))
			}
			for _, step := range clientInfoSteps {
				head, line, _ := strings.Cut(step, " ")
				var got [2]string
				for i := range conns {
					c := conns[i][head[0]]
					var out []byte
					switch head {
					case "T0":
						require.NoError(t, c.Send(splitCommand(line)...))
						continue
					case "T1":
						require.NoError(t, testenv.ReadReply(c.Reader(), &out))
					case "Wb":
						// Wait until T is parked: its line says flags=b.
						deadline := time.Now().Add(10 * time.Second)
						for !strings.Contains(string(c.Must(t, "CLIENT", "LIST", "ID", tid[i])), "flags=b") {
							require.True(t, time.Now().Before(deadline), "T never blocked")
						}
						continue
					default:
						out = c.Must(t, splitCommand(strings.ReplaceAll(line, "$T", tid[i]))...)
					}
					got[i] = normalizeClientInfo(string(out), tid[i], false)
				}
				assert.Equal(t, got[0], got[1], "%s", step)
			}
			// meshcache shows Redis 7.2's last two fields, lib-name and
			// lib-ver (T was RESET to RESP2).
			conns[1]['T'].Must(t, "CLIENT", "SETINFO", "lib-name", "go-redis")
			info := string(conns[1]['T'].Must(t, "CLIENT", "INFO"))
			assert.Contains(t, info, " resp=2 lib-name=go-redis lib-ver=\n")
		})
	}
}
