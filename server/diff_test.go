package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// A differential harness: the same commands go to a real redis-server
// (7.0 here) and to the code under test, and the raw replies are compared
// byte for byte. Tests using it skip when redis-server is not on PATH.

// startRedis starts a throwaway redis-server on a free loopback port and
// returns its address; it is stopped when the test ends. The test is
// skipped when redis-server is not installed.
func startRedis(t *testing.T) string {
	t.Helper()
	return testenv.StartOneRedis(t).Addr
}

// How TestDifferential compares one reply.
const (
	cmpExact     = iota
	cmpUnordered // an array or map whose element order is unspecified
	cmpScan      // a SCAN-family reply: cursors differ, elements unordered
)

// diffScripts are command sequences whose replies must be byte-identical
// on redis-server and meshcache (after normalising unordered ones). Each
// runs on an empty keyspace, in RESP2 and in RESP3. They cover the Redis
// 7.0 surface; Redis 8 additions (SET IFEQ, DELEX) are in the table tests.
var diffScripts = map[string][]string{
	"strings": {
		"SET e 1234", "OBJECT ENCODING e", "SETRANGE e 0 2", "OBJECT ENCODING e", "SET e 1234", "SETRANGE e 0 \"\"",
		"OBJECT ENCODING e", "APPEND e 5", "OBJECT ENCODING e", "INCR e", "OBJECT ENCODING e", "SETBIT e 1 1",
		"OBJECT ENCODING e", "SET e 1", "OBJECT ENCODING e", "DEL e",
		"GET k", "SET k v", "GET k", "SET k v NX", "SET k w XX GET", "SET k x NX GET", "SET k 1 nx xx",
		"SET k 1 EX", "SET k 1 EX 10 PX 10", "SET k 1 KEEPTTL EX 1", "SET k 1 EX 0", "SET k 1 PX -1",
		"SET k 1 EX 9223372036854775807", "SET k 1 EXAT 9223372036854776", "SET k 1 EX abc", "SET k 1 PERSIST",
		"SET k 1 GET GET", "SET k 1 EX 10 EX 20", "TTL k", "SET k 2 KEEPTTL", "TTL k", "SET k 3", "TTL k",
		"SET k v PXAT 1", "EXISTS k", "SETNX k 1", "SETNX k 2", "GETSET k 3", "GETSET nk 1", "GETDEL k", "GETDEL k",
		"SETEX k 0 v", "SETEX k x v", "SETEX k 100 v", "TTL k", "PSETEX k -1 v", "PSETEX k 100000 v", "TTL k",
		"GETEX nokey EX 0", "GETEX k EX 0", "GETEX k NX", "GETEX k PERSIST EX 1", "GETEX k EX 1 PERSIST", "GETEX k KEEPTTL",
		"GETEX k EX 100", "TTL k", "GETEX k PERSIST", "TTL k", "GETEX k PXAT 1", "EXISTS k",
		"MSET a 1 b 2", "MSET a 1 b", "MGET a b c", "MSETNX a 1 z 2", "MSETNX y 1 z 2", "MGET y z", "MSETNX a",
		"APPEND s Hello", "APPEND s \" World\"", "STRLEN s", "STRLEN nokey", "GETRANGE s 0 3", "SUBSTR s 0 3", "SUBSTR s -3 -1", "SUBSTR nokey 0 1", "GETRANGE s -3 -1",
		"GETRANGE s 5 3", "GETRANGE s -1 -5", "GETRANGE s -100 100", "GETRANGE nokey 0 -1", "GETRANGE s a 1",
		"GETRANGE s 0 9223372036854775807", "GETRANGE s -9223372036854775808 3",
		"SETRANGE s 6 Redis", "GET s", "SETRANGE p 3 x", "GET p", "SETRANGE e 5 \"\"", "EXISTS e", "SETRANGE s 100 \"\"",
		"SETRANGE s -1 x", "SETRANGE s 536870911 xx", "SETRANGE s x y",
		"HSET h f v", "GET h", "GETSET h x", "GETDEL h", "GETEX h", "APPEND h x", "STRLEN h", "GETRANGE h 0 1",
		"SETRANGE h 0 x", "SETRANGE h 0 \"\"", "INCR h", "INCRBYFLOAT h 1", "SET h x GET", "MGET h", "SET h s", "GET h",
	},
	"transactions": {
		"MULTI", "SET a 1", "EXEC x", "PING", "GET a", "EXEC x", "MULTI", "EXEC", "EXEC", "DISCARD",
		"MULTI", "NOSUCH", "SET a", "EXEC", "GET a", "MULTI", "MULTI", "SET a 2", "EXEC", "GET a",
	},
	"counters": {
		"INCR n", "INCRBY n 10", "DECR n", "DECRBY n -5", "DECRBY n 20", "INCRBY n 1.5", "INCRBY n 01", "INCRBY n +1",
		"SET n 9223372036854775806", "INCR n", "INCR n", "SET n -9223372036854775808", "DECR n",
		"DECRBY n -9223372036854775808", "INCRBY n -9223372036854775808", "SET n 12a", "INCR n", "SET n \" 1\"", "INCR n",
		"SET n 00", "INCR n", "SET n -0", "INCR n", "SET n 123456789012345678901", "INCR n",
		"SET f 10.50", "INCRBYFLOAT f 0.1", "INCRBYFLOAT f -5", "SET f 5.0e3", "INCRBYFLOAT f 2.0e2",
		"INCRBYFLOAT g 1.1", "INCRBYFLOAT g 2.2", "INCRBYFLOAT g abc", "INCRBYFLOAT g inf", "INCRBYFLOAT g nan",
		"INCRBYFLOAT g \" 1\"", "INCRBYFLOAT g 1e5000", "INCRBYFLOAT g 0x10", "INCRBYFLOAT g -1e300",
		"SET f abc", "INCRBYFLOAT f 1", "SET f 1 EX 100", "INCRBYFLOAT f 1", "TTL f", "INCR f", "TTL f",
	},
	"keys": {
		"MSET a 1 b 2 c 3", "EXISTS a a nokey b", "TOUCH a nokey c", "DEL a a nokey", "UNLINK b c", "TYPE a",
		"SET s v", "TYPE s", "HSET h f v", "TYPE h",
		"EXPIRE nokey 100", "TTL nokey", "PTTL nokey", "EXPIRETIME nokey", "PEXPIRETIME nokey", "PERSIST nokey",
		"TTL s", "PTTL s", "EXPIRETIME s", "PERSIST s", "EXPIRE s 100", "TTL s", "PEXPIRE s 200000", "TTL s",
		"EXPIREAT s 4000000000", "EXPIRETIME s", "PEXPIREAT s 4000000000500", "PEXPIRETIME s", "EXPIRETIME s",
		"PERSIST s", "TTL s", "EXPIRE s x", "EXPIRE s 9223372036854775807", "PEXPIRE s 9223372036854775807",
		"EXPIREAT s -9223372036854775808", "EXPIRE s 10 bogus", "EXPIRE s 10 NX XX", "EXPIRE s 10 gt nx",
		"EXPIRE s 10 GT LT", "EXPIRE s 10 nx nx", "EXPIRE s 100 XX", "EXPIRE s 150 GT", "EXPIRE s 100 LT",
		"EXPIRE s 50 NX", "EXPIRE s 200 LT", "EXPIRE s 200 GT", "TTL s", "EXPIRE s 100 GT", "EXPIRE s 100 XX LT",
		"TTL s", "EXPIRE s -1", "EXISTS s", "SET s v", "EXPIREAT s 0", "EXISTS s", "SET s v", "PEXPIRE s 0", "EXISTS s",
		"RENAME a b", "RENAMENX a b", "RENAME a a", "SET a 1 EX 100", "RENAME a a", "RENAMENX a a", "RENAME a b",
		"GET b", "TTL b", "SET c 3", "RENAMENX b c", "RENAMENX b d", "RENAME h c", "TYPE c",
		"COPY x y", "SET x 1 EX 100", "COPY x y", "GET y", "TTL y", "SET x 2", "COPY x y", "COPY x y REPLACE", "GET y",
		"COPY x y db 0 replace", "COPY x x", "COPY x y DB 16", "COPY x y DB -1", "COPY x y DB z", "COPY x y DB",
		"COPY x y bogus", "COPY c c2", "HGETALL c2",
		"KEYS *", "KEYS x", "KEYS [xy]", "KEYS ?", "KEYS \\*", "SCAN x", "SCAN 0 COUNT 0", "SCAN 0 COUNT x",
		"SCAN 0 MATCH", "SCAN 0 bogus", "SCAN 0 COUNT 1000", "SCAN 0 COUNT 1000 MATCH [cd]*",
		"SCAN 0 TYPE hash COUNT 1000", "SCAN 0 TYPE STRING COUNT 1000", "SCAN 0 TYPE list COUNT 1000", "SCAN \"\" COUNT 1000",
		"FLUSHALL", "RANDOMKEY", "SET only 1", "RANDOMKEY",
	},
	"hashes": {
		"HSET h a 1 b 2", "HSET h a 10 c 3", "HSET h a 1 b", "HMSET h a 1 b", "HGET h a", "HGET h zz", "HGET nokey a",
		"HMGET h a zz c", "HMGET nokey a b", "HMSET h d 4", "HLEN h", "HLEN nokey", "HGETALL h", "HKEYS h", "HVALS h",
		"HGETALL nokey", "HKEYS nokey", "HVALS nokey", "HEXISTS h a", "HEXISTS h zz", "HEXISTS nokey a",
		"HSTRLEN h a", "HSTRLEN h zz", "HSETNX h a 5", "HSETNX h e 5", "HGET h e",
		"HINCRBY h n 5", "HINCRBY h n -7", "HINCRBY h n x", "HINCRBY h n 1.5", "HSET h s abc big 9223372036854775807",
		"HINCRBY h s 1", "HINCRBY h big 1", "HINCRBYFLOAT h f 10.5", "HINCRBYFLOAT h f 0.1", "HINCRBYFLOAT h n 1.5",
		"HINCRBYFLOAT h s 1", "HINCRBYFLOAT h f x", "HINCRBYFLOAT h f inf", "HINCRBYFLOAT h f -inf",
		"HINCRBYFLOAT h f 1e5000", "HSET h inf inf", "HINCRBYFLOAT h inf 1",
		"HSCAN nokey 0", "HSCAN nokey 0 bogus", "HSCAN h x", "HSCAN h 0 COUNT 0", "HSCAN h 0 TYPE string",
		"HSCAN h 0 COUNT 1000", "HSCAN h 0 MATCH [ab] COUNT 1000", "HSCAN h 0 MATCH zz COUNT 1000",
		"HRANDFIELD nokey", "HRANDFIELD nokey 3", "HRANDFIELD nokey 3 WITHVALUES", "HRANDFIELD h 0", "HRANDFIELD h 100",
		"HRANDFIELD h 100 WITHVALUES", "HRANDFIELD h 1 bogus", "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h x",
		"HRANDFIELD h -9223372036854775808", "HRANDFIELD h -9223372036854775807 WITHVALUES",
		"HRANDFIELD h 9223372036854775807 WITHVALUES",
		"HDEL h a a zz b", "HDEL h c d e n s big f inf", "EXISTS h", "HDEL h a",
		"SET s v", "HSET s f v", "HGET s f", "HMGET s f", "HDEL s f", "HLEN s", "HSETNX s f 1", "HEXISTS s f",
		"HSTRLEN s f", "HGETALL s", "HKEYS s", "HVALS s", "HINCRBY s f 1", "HINCRBYFLOAT s f 1", "HSCAN s 0",
		"HRANDFIELD s", "HRANDFIELD s 1", "HSET e f v", "HRANDFIELD e", "HRANDFIELD e 1", "HRANDFIELD e -3",
		"HRANDFIELD e -2 WITHVALUES", "HRANDFIELD e 1 WITHVALUES",
	},
}

// diffCompare says how each command's reply is compared.
var diffCompare = map[string]int{
	"hgetall": cmpUnordered, "hkeys": cmpUnordered, "hvals": cmpUnordered, "keys": cmpUnordered,
	"hrandfield": cmpUnordered, "scan": cmpScan, "hscan": cmpScan,
}

// splitCommand splits a script line on spaces; "..." quotes an argument
// (so "" is the empty string).
func splitCommand(line string) []string {
	var out []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"') + 1
			out = append(out, line[1:end])
			line = line[end+1:]
			continue
		}
		end := strings.IndexByte(line, ' ')
		if end < 0 {
			end = len(line)
		}
		out = append(out, line[:end])
		line = line[end:]
	}
	return out
}

// normalizeReply rewrites an unordered aggregate reply so that element
// order does not matter: elements (or map pairs, or SCAN's flat
// field/value pairs) are sorted; a SCAN cursor becomes "<cursor>" so only
// the final "0" of a COUNT-large single call is compared.
func normalizeReply(raw []byte, mode int) string {
	if mode == cmpExact || len(raw) == 0 || (raw[0] != '*' && raw[0] != '%' && raw[0] != '~') {
		return string(raw)
	}
	r := bufio.NewReader(bytes.NewReader(raw))
	header, _ := r.ReadString('\n')
	if mode == cmpScan {
		var cursor []byte
		if err := testenv.ReadReply(r, &cursor); err != nil {
			return string(raw)
		}
		inner, _ := r.ReadString('\n')
		var rest []byte
		for {
			var el []byte
			if err := testenv.ReadReply(r, &el); err != nil {
				break
			}
			rest = append(rest, el...)
		}
		return header + string(cursor) + inner + sortedElements(rest, 1)
	}
	var rest []byte
	for {
		var el []byte
		if err := testenv.ReadReply(r, &el); err != nil {
			break
		}
		rest = append(rest, el...)
	}
	group := 1
	if raw[0] == '%' {
		group = 2
	}
	return header + sortedElements(rest, group)
}

// sortedElements splits a run of raw replies into groups of n and returns
// them sorted and joined.
func sortedElements(raw []byte, n int) string {
	r := bufio.NewReader(bytes.NewReader(raw))
	var groups []string
	for {
		var g []byte
		ok := true
		for i := 0; i < n; i++ {
			if err := testenv.ReadReply(r, &g); err != nil {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		groups = append(groups, string(g))
	}
	sort.Strings(groups)
	return strings.Join(groups, "")
}

// TestDifferential runs diffScripts on redis-server and on meshcache and
// compares the raw replies.
func TestDifferential(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		for name, script := range diffScripts {
			t.Run("resp"+proto+"/"+name, func(t *testing.T) {
				theirs, ours := testenv.DialRaw(t, redisAddr), testenv.DialRaw(t, ourAddr)
				for _, rc := range []*testenv.RawConn{theirs, ours} {
					rc.Wait = time.Minute // PFSELFTEST takes seconds under -race on a loaded machine
					rc.Must(t, "HELLO", proto)
					rc.Must(t, "FLUSHALL")
				}
				for _, line := range script {
					args := splitCommand(line)
					want := theirs.Must(t, args...)
					got := ours.Must(t, args...)
					mode := diffCompare[strings.ToLower(args[0])]
					if strings.EqualFold(args[0], "hrandfield") && len(args) > 2 {
						if n, err := strconv.Atoi(args[2]); err == nil && n < 0 {
							mode = cmpExact // repeats of a one-field hash: deterministic
						}
					}
					assert.Equal(t, normalizeReply(want, mode), normalizeReply(got, mode), "%s", line)
				}
			})
		}
	}
}

// commandInfoSkips are the COMMAND INFO fields where meshcache differs
// from redis-server 7.0 on purpose, by command and field index (1 arity,
// 2 flags, 3-5 legacy key range, 6 ACL categories, 7 tips, 8 key specs).
// Commands redis-server 7.0 does not know (DELEX and SET IFEQ from 8.4,
// Valkey's DELIFEQ, CLUSTER MYSHARDID, LEAVE, LOCK.* of our own) are not
// compared at all: COMMAND INFO answers null for them.
var commandInfoSkips = map[string]map[int]string{
	// 7.0 tags MSETNX multi_shard/agg_min; 7.2 dropped both because it sets
	// all keys or none, which no split can keep: meshcache keeps its keys
	// in one slot (route.go sameSlotOnly).
	"msetnx": {7: "no multi_shard tip, as Redis 7.2"},
	// 7.0 wants the command and one argument at least; 7.2 (-3) allows
	// commands without arguments, and meshcache answers as 7.2.
	"command|getkeys":         {1: "arity -3, as Redis 7.2"},
	"command|getkeysandflags": {1: "arity -3, as Redis 7.2"},
	// 7.0 flags WAIT noscript; 7.2 dropped the flag (a script's WAIT
	// answers at once), and meshcache answers as 7.2.
	"wait": {2: "no noscript flag, as Redis 7.2"},
}

// commandInfoFields splits a raw COMMAND INFO reply of one command into its
// ten raw fields.
func commandInfoFields(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(raw))
	outer, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "*1\r\n", outer)
	header, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "*10\r\n", header, "%q", raw)
	fields := make([][]byte, 10)
	for i := range fields {
		require.NoError(t, testenv.ReadReply(r, &fields[i]))
	}
	return fields
}

// TestCommandTableAgainstRedis compares, for every command and subcommand
// that both know, the raw COMMAND INFO reply of meshcache with
// redis-server's, in RESP2 and RESP3: arity, flags, legacy key range, ACL
// categories, tips and key specs (a container's subcommands are compared
// one by one, as meshcache has fewer of them).
func TestCommandTableAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	srv := New(config.Default(), store.New(store.Config{}), slog.New(slog.DiscardHandler))
	var names []string
	for _, e := range srv.table.Sorted {
		names = append(names, e.Name)
		for _, sub := range e.Sorted {
			names = append(names, sub.Name)
		}
	}
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			theirs, ours := testenv.DialRaw(t, redisAddr), testenv.DialRaw(t, ourAddr)
			theirs.Must(t, "HELLO", proto)
			ours.Must(t, "HELLO", proto)
			compared := 0
			for _, name := range names {
				want := theirs.Must(t, "COMMAND", "INFO", name)
				if bytes.Equal(want, []byte("*1\r\n$-1\r\n")) || bytes.Equal(want, []byte("*1\r\n_\r\n")) {
					continue // newer than redis-server 7.0, or meshcache's own
				}
				compared++
				w, g := commandInfoFields(t, want), commandInfoFields(t, ours.Must(t, "COMMAND", "INFO", name))
				last := 9 // the subcommands
				if srv.table.LookupName(name).Subs != nil {
					last = 8 // compared one by one
				}
				for i := 0; i <= last; i++ {
					if why, ok := commandInfoSkips[name][i]; ok {
						assert.NotEqual(t, string(w[i]), string(g[i]), "%s field %d is listed as differing (%s) but agrees", name, i, why)
						continue
					}
					assert.Equal(t, string(w[i]), string(g[i]), "COMMAND INFO %s field %d", name, i)
				}
			}
			assert.Greater(t, compared, 120)
		})
	}
}

// getKeysSamples are commands whose keys COMMAND GETKEYS and
// GETKEYSANDFLAGS find from the key specs, compared with redis-server.
var getKeysSamples = []string{
	"GET k", "SET k v", "SET k v GET", "MGET a b c", "MSET a 1 b 2", "MSETNX a 1 b 2", "DEL a b", "EXISTS a a",
	"COPY a b", "COPY a b REPLACE", "RENAME a b", "RENAMENX a b", "HSET h f v g w", "HMGET h f g", "GETEX k PERSIST",
	"EXPIRE k 10", "TOUCH a b c", "UNLINK a", "WATCH a b", "OBJECT ENCODING k", "MEMORY USAGE k", "INCRBYFLOAT k 1",
	"HSCAN h 0", "MSET a 1 b", "GET a b", "PING x", "NOSUCH a", "CLIENT LIST", "SET k v EX 10 get",
	// Not sampled: a command without arguments (GET, MGET), which 7.0
	// refuses as GETKEYS's own arity error and 7.2 and meshcache answer.
}

// TestCommandGetKeysAgainstRedis compares COMMAND GETKEYS and
// GETKEYSANDFLAGS, replies and errors, with redis-server's.
func TestCommandGetKeysAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		theirs, ours := testenv.DialRaw(t, redisAddr), testenv.DialRaw(t, ourAddr)
		theirs.Must(t, "HELLO", proto)
		ours.Must(t, "HELLO", proto)
		for _, sample := range getKeysSamples {
			for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
				args := append([]string{"COMMAND", sub}, splitCommand(sample)...)
				assert.Equal(t, string(theirs.Must(t, args...)), string(ours.Must(t, args...)), "RESP%s %q", proto, args)
			}
		}
	}
}

// docFields returns the documentation map of name from a COMMAND DOCS
// reply as go-redis reads it: a map in RESP3, a flat array in RESP2.
func docFields(t *testing.T, reply any, name string) map[string]any {
	t.Helper()
	flat := func(v any) map[string]any {
		out := map[string]any{}
		switch x := v.(type) {
		case map[any]any:
			for k, v := range x {
				out[fmt.Sprint(k)] = v
			}
		case []any:
			require.Zero(t, len(x)%2, "%s: odd flat map %v", name, x)
			for i := 0; i < len(x); i += 2 {
				out[fmt.Sprint(x[i])] = x[i+1]
			}
		default:
			t.Fatalf("%s: COMMAND DOCS answered %T", name, v)
		}
		return out
	}
	top := flat(reply)
	require.Contains(t, top, name)
	return flat(top[name])
}

// TestCommandDocsAgainstRedis compares COMMAND DOCS with redis-server's for
// every command and subcommand both know, in RESP2 and RESP3: the reply's
// shape (a map of maps in RESP3) and the since and group facts. Summaries
// differ on purpose: meshcache's are Redis 7.2's wording.
func TestCommandDocsAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	srv := New(config.Default(), store.New(store.Config{}), slog.New(slog.DiscardHandler))
	for _, proto := range []int{2, 3} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		theirs := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: proto, DisableIdentity: true})
		ours := redis.NewClient(&redis.Options{Addr: ourAddr, Protocol: proto, DisableIdentity: true})
		compared := 0
		for _, e := range srv.table.Sorted {
			for _, c := range append([]*entry{e}, e.Sorted...) {
				want, err := theirs.Do(ctx, "COMMAND", "DOCS", c.Name).Result()
				require.NoError(t, err)
				if m, ok := want.(map[any]any); (ok && len(m) == 0) || (!ok && len(want.([]any)) == 0) {
					continue // newer than redis-server 7.0, or meshcache's own
				}
				got, err := ours.Do(ctx, "COMMAND", "DOCS", c.Name).Result()
				require.NoError(t, err)
				assert.IsType(t, want, got, "RESP%d %s", proto, c.Name)
				w, g := docFields(t, want, c.Name), docFields(t, got, c.Name)
				assert.IsType(t, w["summary"], g["summary"], "RESP%d %s", proto, c.Name)
				for _, field := range []string{"since", "group"} {
					assert.Equal(t, w[field], g[field], "RESP%d %s %s", proto, c.Name, field)
				}
				compared++
			}
		}
		assert.Greater(t, compared, 120)
		_ = theirs.Close()
		_ = ours.Close()
		cancel()
	}
}
