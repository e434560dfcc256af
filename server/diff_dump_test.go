package server

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/rdb"
	"github.com/meshcache/meshcache/tests/testenv"
)

// DUMP and RESTORE against redis-server 7.0.15: a value built on
// redis-server and DUMPed RESTOREs into meshcache, and meshcache's DUMP of
// it RESTOREs back into redis-server, for every type and encoding size;
// the contents are compared after each move, and the payload bytes where
// both write the same encoding (exact below).

// dumpCase builds one key named "k" with its commands; exact says
// meshcache's DUMP must equal redis-server's byte for byte: every encoding
// but Redis's hashtables, whose order is its dict's.
type dumpCase struct {
	name  string
	build [][]string
	exact bool
	// config runs on both servers before the case and reset after it:
	// encoding thresholds in force for the whole case (the payload
	// follows them, as Redis's follows its objects, and a RESTORE builds
	// under them on either server).
	config, reset []string
}

func cmd(s string) []string { return strings.Split(s, " ") }

// many is one command: prefix, then the arguments f(0) .. f(n-1).
func many(prefix string, n int, f func(i int) []string) []string {
	out := cmd(prefix)
	for i := range n {
		out = append(out, f(i)...)
	}
	return out
}

func dumpCases() []dumpCase {
	num := func(i int) []string { return []string{strconv.Itoa(i*7919 - 3000)} }
	word := func(i int) []string { return []string{"member:" + strconv.Itoa(i)} }
	long := strings.Repeat("0123456789abcdef", 6) // 96 bytes: past the listpack value limit
	return []dumpCase{
		{"string", [][]string{cmd("SET k hello")}, true, nil, nil},
		{"string empty", [][]string{{"SET", "k", ""}}, true, nil, nil},
		{"string int8", [][]string{cmd("SET k -100")}, true, nil, nil},
		{"string int16", [][]string{cmd("SET k 12345")}, true, nil, nil},
		{"string int32", [][]string{cmd("SET k -2147483648")}, true, nil, nil},
		{"string int64", [][]string{cmd("SET k 9223372036854775807")}, true, nil, nil},
		{"string not canonical", [][]string{cmd("SET k 007")}, true, nil, nil},
		{"string compressible", [][]string{{"SET", "k", strings.Repeat("a", 500)}}, true, nil, nil},
		{"string incompressible", [][]string{{"SET", "k", "q8#Zp0!x"}}, true, nil, nil},
		{"string long", [][]string{{"SET", "k", strings.Repeat(long, 100)}}, true, nil, nil},
		{"hyperloglog sparse", [][]string{cmd("PFADD k a b c")}, true, nil, nil},
		{"hyperloglog dense", [][]string{many("PFADD k", 3000, word)}, true, nil, nil},
		{"list small", [][]string{cmd("RPUSH k a 1 -5 300 70000 -8388609 2147483648 abc")}, true, nil, nil},
		{"list tiny", [][]string{cmd("RPUSH k a b")}, true, nil, nil},
		{"list nodes", [][]string{many("RPUSH k", 3000, word)}, true, nil, nil},
		{"list big elements", [][]string{many("RPUSH k", 5, func(i int) []string { return []string{strings.Repeat(long, 50+i)} })}, true, nil, nil},
		{"set intset", [][]string{cmd("SADD k 3 -1 7")}, true, nil, nil},
		{"set intset wide", [][]string{cmd("SADD k 3 -1 70000 5000000000")}, true, nil, nil},
		{"set one member", [][]string{cmd("SADD k a")}, true, nil, nil},
		{"set small", [][]string{cmd("SADD k a b c 1")}, false, nil, nil},
		{"set large ints", [][]string{many("SADD k", 600, num)}, false, nil, nil},
		{"set large", [][]string{many("SADD k", 300, word)}, false, nil, nil},
		{"zset tiny", [][]string{cmd("ZADD k 1 a 2 b")}, true, nil, nil},
		{"zset listpack", [][]string{cmd("ZADD k 1.5 a -0.1 b inf c -inf d 0 e 1e20 f")}, true, nil, nil},
		{"zset skiplist", [][]string{many("ZADD k", 200, func(i int) []string { return []string{strconv.Itoa(i % 17), "m" + strconv.Itoa(i)} })}, true, nil, nil},
		{"zset long member", [][]string{{"ZADD", "k", "1", long, "2", "x"}}, true, nil, nil},
		{"hash tiny", [][]string{cmd("HSET k f v n 12")}, true, nil, nil},
		{"hash listpack", [][]string{many("HSET k", 100, func(i int) []string { return []string{"f" + strconv.Itoa(i), strconv.Itoa(i)} })}, true, nil, nil},
		{"hash listpack 300", [][]string{many("HSET k", 300, func(i int) []string { return []string{"f" + strconv.Itoa(i), "v" + strconv.Itoa(i)} })}, true, nil, nil},
		{"hash large", [][]string{many("HSET k", 600, func(i int) []string { return []string{"f" + strconv.Itoa(i), "v" + strconv.Itoa(i)} })}, false, nil, nil},
		{"hash long value", [][]string{{"HSET", "k", "f", long, "g", "1"}}, false, nil, nil},
		// Thresholds changed with CONFIG SET: the payload follows them.
		{"hash entries 4", [][]string{cmd("HSET k a 1 b 2 c 3 d 4 e 5")}, false, cmd("CONFIG SET hash-max-listpack-entries 4"), cmd("CONFIG SET hash-max-listpack-entries 512")},
		{"zset entries 300", [][]string{many("ZADD k", 200, func(i int) []string { return []string{strconv.Itoa(i), "m" + strconv.Itoa(i)} })}, true, cmd("CONFIG SET zset-max-listpack-entries 300"), cmd("CONFIG SET zset-max-listpack-entries 128")},
		{"zset value 4", [][]string{cmd("ZADD k 1 abcde 2 b")}, true, cmd("CONFIG SET zset-max-listpack-value 4"), cmd("CONFIG SET zset-max-listpack-value 64")},
		{"set intset 1000", [][]string{many("SADD k", 600, num)}, true, cmd("CONFIG SET set-max-intset-entries 1000"), cmd("CONFIG SET set-max-intset-entries 512")},
		{"list fill 3", [][]string{many("RPUSH k", 10, num)}, true, cmd("CONFIG SET list-max-listpack-size 3"), cmd("CONFIG SET list-max-listpack-size -2")},
		{"list fill -1", [][]string{many("RPUSH k", 1000, word)}, true, cmd("CONFIG SET list-max-listpack-size -1"), cmd("CONFIG SET list-max-listpack-size -2")},
	}
}

// bulk returns the payload of a raw bulk reply.
func bulk(t *testing.T, raw []byte) string {
	t.Helper()
	require.Equal(t, byte('$'), raw[0], "%q", raw)
	i := bytes.IndexByte(raw, '\n')
	n, err := strconv.Atoi(string(raw[1 : i-1]))
	require.NoError(t, err)
	return string(raw[i+1 : i+1+n])
}

// contents is what the value at "k" reads as: its type and elements, in an
// order that does not depend on the encoding.
func contents(t *testing.T, rc *testenv.RawConn) string {
	t.Helper()
	typ := string(rc.Must(t, "TYPE", "k"))
	var read []string
	mode := cmpExact
	switch typ {
	case "+string\r\n":
		read = cmd("GET k")
	case "+list\r\n":
		read = cmd("LRANGE k 0 -1")
	case "+set\r\n":
		read, mode = cmd("SMEMBERS k"), cmpUnordered
	case "+zset\r\n":
		return typ + scoresShortest(string(rc.Must(t, "ZRANGE", "k", "0", "-1", "WITHSCORES")))
	case "+hash\r\n":
		read, mode = cmd("HGETALL k"), cmpUnordered
	default:
		t.Fatalf("TYPE k: %q", typ)
	}
	return typ + normalizeReply(rc.Must(t, read...), mode)
}

// scoresShortest rewrites the scores of a RESP2 WITHSCORES reply in Go's
// shortest form: redis-server 7.0 prints "%.17g" (-0.10000000000000001)
// where Redis 7.2 and meshcache print -0.1, the same double.
func scoresShortest(raw string) string {
	lines := strings.Split(raw, "\r\n")
	for i := 4; i < len(lines); i += 4 { // header, then $len and text per element
		if f, err := strconv.ParseFloat(lines[i], 64); err == nil {
			lines[i] = strconv.FormatFloat(f, 'g', -1, 64)
			lines[i-1] = "$" + strconv.Itoa(len(lines[i]))
		}
	}
	return strings.Join(lines, "\r\n")
}

func TestDumpRestoreBothWays(t *testing.T) {
	theirs, ours := testenv.DialRaw(t, startRedis(t)), testenv.DialRaw(t, startDataServer(t))
	for _, c := range dumpCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.config != nil {
				theirs.Must(t, c.config...)
				ours.Must(t, c.config...)
				t.Cleanup(func() {
					theirs.Must(t, c.reset...)
					ours.Must(t, c.reset...)
				})
			}
			theirs.Must(t, "FLUSHALL")
			ours.Must(t, "FLUSHALL")
			for _, b := range c.build {
				theirs.Must(t, b...)
			}
			want := contents(t, theirs)
			redisDump := bulk(t, theirs.Must(t, "DUMP", "k"))
			// Redis -> meshcache.
			require.Equal(t, "+OK\r\n", string(ours.Must(t, "RESTORE", "k", "0", redisDump)))
			assert.Equal(t, want, contents(t, ours))
			ourDump := bulk(t, ours.Must(t, "DUMP", "k"))
			if c.exact {
				assert.Equal(t, redisDump, ourDump)
			}
			// meshcache -> Redis, over the original.
			require.Equal(t, "+OK\r\n", string(theirs.Must(t, "RESTORE", "k", "0", ourDump, "REPLACE")))
			assert.Equal(t, want, contents(t, theirs))
			// The same commands on meshcache DUMP what Redis read back.
			ours.Must(t, "DEL", "k")
			for _, b := range c.build {
				ours.Must(t, b...)
			}
			again := bulk(t, ours.Must(t, "DUMP", "k"))
			require.Equal(t, "+OK\r\n", string(theirs.Must(t, "RESTORE", "k", "0", again, "REPLACE")))
			assert.Equal(t, want, contents(t, theirs))
			if c.exact {
				assert.Equal(t, redisDump, again)
			}
		})
	}
}

// TestRestoreAgainstRedis sends the same RESTOREs, good and bad, to both
// and compares every reply byte for byte, RESP2 and RESP3.
func TestRestoreAgainstRedis(t *testing.T) {
	redisAddr, ourAddr := startRedis(t), startDataServer(t)
	str := string(rdb.Dump(rdb.Value{Kind: rdb.KindString, Str: []byte("v")}))
	hash := string(rdb.Dump(rdb.Value{Kind: rdb.KindHash, Elems: [][]byte{[]byte("f"), []byte("v")}}))
	badSum := str[:len(str)-1] + string(str[len(str)-1]^1)
	newer := string(rdb.PayloadVersion(rdb.EncodeValue(nil, rdb.Value{Kind: rdb.KindString, Str: []byte("v")}), 12))
	garbage := string(rdb.PayloadVersion([]byte{4, 2, 1, 'a', 1, 'a', 1, 'b', 1, 'c'}, 10)) // duplicate hash field
	unknown := string(rdb.PayloadVersion([]byte{200, 1, 'a'}, 10))
	script := [][]string{
		{"RESTORE", "k", "0", str}, {"GET", "k"}, {"RESTORE", "k", "0", str}, {"RESTORE", "k", "0", hash, "REPLACE"}, {"HGETALL", "k"},
		{"RESTORE", "k", "-1", str, "REPLACE"}, {"RESTORE", "k", "x", str, "REPLACE"}, {"RESTORE", "n", "-1", str},
		{"RESTORE", "n", "0", badSum}, {"RESTORE", "n", "0", "short"}, {"RESTORE", "n", "0", newer}, {"RESTORE", "n", "0", garbage},
		{"RESTORE", "n", "0", unknown}, {"RESTORE", "n", "0", ""}, {"EXISTS", "n"},
		{"RESTORE", "t", "100000", str}, {"TTL", "t"}, {"RESTORE", "t", "4000000000000", str, "ABSTTL", "REPLACE"}, {"PEXPIRETIME", "t"},
		{"RESTORE", "t", "1", str, "ABSTTL", "REPLACE"}, {"EXISTS", "t"}, {"RESTORE", "t", "1", str, "ABSTTL"}, {"EXISTS", "t"},
		{"RESTORE", "i", "0", str, "IDLETIME", "1000"}, {"OBJECT", "IDLETIME", "i"},
		{"RESTORE", "i", "0", str, "IDLETIME", "-1", "REPLACE"}, {"RESTORE", "i", "0", str, "IDLETIME", "x", "REPLACE"},
		{"RESTORE", "i", "0", str, "IDLETIME"}, {"RESTORE", "i", "0", str, "FREQ", "256", "REPLACE"},
		{"RESTORE", "i", "0", str, "FREQ", "-1", "REPLACE"}, {"RESTORE", "i", "0", str, "FREQ", "1", "IDLETIME", "1", "REPLACE"},
		{"RESTORE", "i", "0", str, "IDLETIME", "1", "FREQ", "1", "REPLACE"}, {"RESTORE", "i", "0", str, "bogus", "REPLACE"},
		{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, {"RESTORE", "f", "0", str, "FREQ", "100"}, {"OBJECT", "FREQ", "f"},
		{"CONFIG", "SET", "maxmemory-policy", "noeviction"},
		{"DUMP", "nokey"}, {"DUMP", "k"}, {"DUMP"}, {"RESTORE", "k", "0"},
	}
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			theirs, ours := testenv.DialRaw(t, redisAddr), testenv.DialRaw(t, ourAddr)
			for _, rc := range []*testenv.RawConn{theirs, ours} {
				rc.Must(t, "HELLO", proto)
				rc.Must(t, "FLUSHALL")
			}
			for _, args := range script {
				assert.Equal(t, string(theirs.Must(t, args...)), string(ours.Must(t, args...)), "%q", args)
			}
		})
	}
}

// TestRestoreOldEncodingsAgainstRedis: payloads in the ziplist encodings
// of Redis 6 and older (RDB 9; the hash and quicklist ones are the valid
// forms of payloads in Redis's tests/integration/corrupt-dump.tcl) restore
// to what redis-server reads from them, and the corrupt forms Redis's own
// tests refuse are refused by both.
func TestRestoreOldEncodingsAgainstRedis(t *testing.T) {
	theirs, ours := testenv.DialRaw(t, startRedis(t)), testenv.DialRaw(t, startDataServer(t))
	v9 := func(data string) string { return string(rdb.PayloadVersion([]byte(data), 9)) }
	good := map[string]string{
		"hash ziplist": v9("\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x02\x63\x00\x04\x02\x64\x00\xFF"),
		"quicklist":    v9("\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x04\x02\x62\x00\xFF"),
		"zset ziplist": v9("\x0C\x18\x18\x00\x00\x00\x12\x00\x00\x00\x04\x00\x00\x01a\x03\xf2\x02\x01b\x03\x032.5\xff"),
		"list ziplist": v9("\x0A\x15\x15\x00\x00\x00\x11\x00\x00\x00\x03\x00\x00\x01x\x03\xc0\xe8\x03\x04\xfe\xff\xff"),
	}
	for name, p := range good {
		for _, rc := range []*testenv.RawConn{theirs, ours} {
			rc.Must(t, "DEL", "k")
			require.Equal(t, "+OK\r\n", string(rc.Must(t, "RESTORE", "k", "0", p)), name)
		}
		assert.Equal(t, contents(t, theirs), contents(t, ours), name)
	}
	for _, p := range []string{
		"\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x14\x63\x00\x04\x02\x64\x00\xFF\x09\x00\xD9\x10\x54\x92\x15\xF5\x5F\x52",
		"\x0D\x1B\x25\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x02\x63\x00\x04\x02\x64\x00\xFF\x09\x00\xB7\xF7\x6E\x9F\x43\x43\x14\xC6",
		"\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00\x04\x02\x61\x00\x04\x02\x64\x00\xFF\x09\x00\xA1\x98\x36\x78\xCC\x8E\x93\x2E",
		"\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x0E\x02\x62\x00\xFF\x09\x00\x49\x97\x30\xB2\x0D\xA1\xED\xAA",
	} {
		want := theirs.Must(t, "RESTORE", "bad", "0", p)
		assert.Equal(t, "-ERR Bad data format\r\n", string(want))
		assert.Equal(t, string(want), string(ours.Must(t, "RESTORE", "bad", "0", p)))
	}
	// Refused by meshcache always, by Redis with sanitize-dump-payload yes.
	theirs.Must(t, "CONFIG", "SET", "sanitize-dump-payload", "yes")
	p := "\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x02\x02\x62\x00\xFF\x09\x00\xC7\x71\x03\x97\x07\x75\xB0\x63"
	assert.Equal(t, string(theirs.Must(t, "RESTORE", "bad", "0", p)), string(ours.Must(t, "RESTORE", "bad", "0", p)))
}
