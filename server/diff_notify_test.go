package server

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// notifyDiffScript is run by a writer connection (W) while a subscriber
// (S) listens to every keyspace and keyevent channel; after each command
// the events S received are compared byte for byte between redis-server
// and meshcache. It names every command family that emits events, each in
// the cases where Redis emits and where it does not (a failed condition,
// a wrong type, nothing removed). A "CONFIG SET notify-keyspace-events"
// step changes the classes on both sides; "WAITGONE k" waits until k has
// expired (polling EXISTS, which expires it lazily when the active cycle
// has not: one "expired" either way). A SET whose expiry is already past
// is left out: meshcache stores nothing (docs/COMPATIBILITY.md).
var notifyDiffScript = []string{
	// strings
	"SET {t}s v", "SET {t}s w EX 100", "SET {t}s x NX", "SET {t}n x XX", "SET {t}s y KEEPTTL", "SET {t}s z GET",
	"SETNX {t}s 1", "SETNX {t}s2 1", "SETEX {t}s 100 v", "PSETEX {t}s 100000 v", "GETSET {t}s 5", "GETSET {t}gs 1",
	"MSET {t}a 1 {t}b 2", "MSETNX {t}a 1 {t}c 2", "MSETNX {t}c 1 {t}d 2",
	"APPEND {t}s 1", "APPEND {t}ap x", "APPEND {t}ap \"\"", "INCR {t}i", "DECR {t}i", "INCRBY {t}i 5", "DECRBY {t}i 2",
	"INCRBYFLOAT {t}i 1.5", "INCR {t}s2x", "SETRANGE {t}s 1 abc", "SETRANGE {t}sr 0 \"\"", "SETRANGE {t}sr 2 x",
	"GETDEL {t}sr", "GETDEL {t}sr", "GETEX {t}s EX 100", "GETEX {t}s PERSIST", "GETEX {t}s PERSIST", "GETEX {t}s",
	"GETEX {t}s PXAT 1", "INCR {t}a x", "SET {t}w 1", "LPUSH {t}w x",
	// generic
	"MSET {t}a 1 {t}b 2 {t}c 3", "DEL {t}a {t}b {t}none", "UNLINK {t}c", "SET {t}e v", "EXPIRE {t}e 100",
	"PEXPIRE {t}e 100000 XX", "EXPIRE {t}e 100 NX", "EXPIREAT {t}e 99999999999", "EXPIRE {t}none 10",
	"PERSIST {t}e", "PERSIST {t}e", "PEXPIREAT {t}e 1", "SET {t}e v", "EXPIRE {t}e 0",
	"SET {t}r1 v", "RENAME {t}r1 {t}r2", "RENAME {t}r2 {t}r2", "RENAME {t}none {t}x", "SET {t}r3 v",
	"RENAMENX {t}r2 {t}r3", "RENAMENX {t}r2 {t}r4", "COPY {t}r4 {t}r5", "COPY {t}r4 {t}r5", "COPY {t}r4 {t}r5 REPLACE",
	"COPY {t}none {t}r6", "TOUCH {t}r4", "EXISTS {t}r4",
	// hashes
	"HSET {t}h a 1 b 2", "HSET {t}h a 1", "HSETNX {t}h a 2", "HSETNX {t}h c 3", "HMSET {t}h d 4", "HINCRBY {t}h a 5",
	"HINCRBYFLOAT {t}h a 0.5", "HDEL {t}h zz", "HDEL {t}h a zz", "HDEL {t}h b c d", "HDEL {t}h a", "HINCRBY {t}h2 f 1",
	"HSET {t}s f v", "HGET {t}h a",
	// lists
	"LPUSH {t}l a b", "RPUSH {t}l c", "LPUSHX {t}nl a", "RPUSHX {t}l d", "LINSERT {t}l BEFORE c x", "LINSERT {t}l BEFORE zz x",
	"LSET {t}l 0 y", "LSET {t}l 99 y", "LREM {t}l 0 x", "LREM {t}l 0 nothing", "LTRIM {t}l 0 -1", "LTRIM {t}nl 0 1",
	"LPOP {t}l", "RPOP {t}l 2", "LPOP {t}l 0", "LMOVE {t}l {t}l2 LEFT RIGHT", "RPUSH {t}l a b c", "RPOPLPUSH {t}l {t}l2",
	"LMOVE {t}l2 {t}l2 LEFT LEFT", "LMPOP 2 {t}nl {t}l LEFT COUNT 5", "LMPOP 1 {t}nl RIGHT", "RPUSH {t}l a b",
	"BLPOP {t}nl {t}l 0", "BRPOP {t}l 0", "RPUSH {t}l a b", "BLMOVE {t}l {t}l3 RIGHT LEFT 0", "BLMPOP 0 1 {t}l RIGHT",
	"LTRIM {t}l2 5 10", "LPOP {t}l3", "LPOP {t}nl",
	// sets
	"SADD {t}S a b c", "SADD {t}S a", "SREM {t}S zz", "SREM {t}S a", "SMOVE {t}S {t}S2 b", "SADD {t}S2 c",
	"SMOVE {t}S {t}S2 c", "SMOVE {t}S2 {t}S2 c", "SMOVE {t}S2 {t}S3 zz", "SADD {t}S 1 2 3 4 5",
	"SPOP {t}S 0", "SPOP {t}S 10", "SPOP {t}S", "SADD {t}S1 a", "SPOP {t}S1", "SADD {t}S1 a", "SPOP {t}S1 5", "SPOP {t}S1 1", "SADD {t}S a b", "SINTERSTORE {t}D {t}S {t}S2",
	"SINTERSTORE {t}D {t}S {t}none", "SINTERSTORE {t}D {t}S {t}none", "SUNIONSTORE {t}D {t}S {t}S2", "SDIFFSTORE {t}D {t}S {t}S",
	"SUNIONSTORE {t}D {t}none", "SREM {t}S2 b c",
	// sorted sets
	"ZADD {t}z 1 a 2 b 3 c", "ZADD {t}z 1 a", "ZADD {t}z XX 5 zz", "ZADD {t}z CH 7 a", "ZADD {t}z INCR 1 a",
	"ZADD {t}z NX INCR 1 a", "ZINCRBY {t}z 2 b", "ZREM {t}z zz", "ZREM {t}z a", "ZADD {t}z 4 d 5 e 6 f 7 g",
	"ZREMRANGEBYSCORE {t}z 100 200", "ZREMRANGEBYSCORE {t}z 0 4", "ZREMRANGEBYRANK {t}z 0 0", "ZADD {t}zl 0 x 0 y 0 z",
	"ZREMRANGEBYLEX {t}zl [x [y", "ZREMRANGEBYLEX {t}zl [a [b", "ZREMRANGEBYLEX {t}zl - +", "ZPOPMIN {t}z", "ZPOPMAX {t}z 1", "ZPOPMAX {t}z 5", "ZPOPMIN {t}nz", "ZADD {t}z2 1 a 2 b",
	"BZPOPMIN {t}nz {t}z2 0", "BZPOPMAX {t}z2 0", "ZADD {t}z2 1 a 2 b 3 c", "ZMPOP 1 {t}z2 MIN COUNT 2",
	"BZMPOP 0 2 {t}nz {t}z2 MAX", "ZADD {t}z 1 a 2 b", "ZADD {t}z2 2 b 3 c", "ZUNIONSTORE {t}zd 2 {t}z {t}z2",
	"ZINTERSTORE {t}zd 2 {t}z {t}z2", "ZINTERSTORE {t}zd 2 {t}z {t}nz", "ZINTERSTORE {t}zd 2 {t}z {t}nz",
	"ZDIFFSTORE {t}zd 2 {t}z {t}z2", "ZRANGESTORE {t}zr {t}z 0 -1", "ZRANGESTORE {t}zr {t}z 5 10",
	"ZRANGESTORE {t}zr {t}nz 0 -1", "ZADD {t}z nan a", "ZADD {t}z 1 a 2",
	// geo
	"GEOADD {t}g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEOADD {t}g 13.361389 38.115556 Palermo",
	"GEOADD {t}g XX 1 1 Nowhere", "GEORADIUS {t}g 15 37 200 km STORE {t}gd", "GEORADIUS {t}g 15 37 1 m STORE {t}gd",
	"GEORADIUSBYMEMBER {t}g Palermo 300 km STOREDIST {t}gd", "GEOSEARCHSTORE {t}gd {t}g FROMLONLAT 15 37 BYRADIUS 200 km",
	"GEOSEARCHSTORE {t}gd {t}g FROMLONLAT 15 37 BYRADIUS 1 m", "GEORADIUS {t}ng 15 37 200 km STORE {t}g",
	// bitmaps
	"SETBIT {t}bm 7 1", "SETBIT {t}bm 7 1", "SETBIT {t}bm 100 0", "BITOP AND {t}bd {t}bm {t}bm", "BITOP OR {t}bd {t}none",
	"BITOP OR {t}bd {t}none", "BITFIELD {t}bf SET u8 0 255", "BITFIELD {t}bf SET u8 0 255", "BITFIELD {t}bf GET u8 0",
	"BITFIELD {t}bf INCRBY u8 0 1", "BITFIELD {t}bf OVERFLOW FAIL INCRBY u8 0 255", "BITFIELD {t}bf2 OVERFLOW FAIL INCRBY u8 0 256",
	"BITFIELD {t}bf SET u8 100 0",
	// HyperLogLog
	"PFADD {t}p a b c", "PFADD {t}p a", "PFADD {t}p", "PFADD {t}p2", "PFADD {t}p2", "PFMERGE {t}pd {t}p {t}p2", "PFCOUNT {t}p",
	// SORT
	"RPUSH {t}sl 3 1 2", "SORT {t}sl STORE {t}so", "SORT {t}none STORE {t}so", "SORT {t}none STORE {t}so", "SORT {t}sl",
	// transactions and scripts emit their commands' events
	"MULTI", "SET {t}m 1", "INCR {t}m", "DEL {t}m", "EXEC", "EVAL \"redis.call('set', KEYS[1], 'v'); redis.call('expire', KEYS[1], 10)\" 1 {t}ev",
	// expiry
	"SET {t}x v PX 1", "WAITGONE {t}x", "SET {t}x v PX 1", "WAITGONE {t}x",
	// other classes: only some types, only K, only E, new keys and misses
	"CONFIG SET notify-keyspace-events $K", "SET {t}o 1", "HSET {t}oh a 1", "DEL {t}o",
	"CONFIG SET notify-keyspace-events hE", "SET {t}o 1", "HSET {t}oh b 1", "HDEL {t}oh a b",
	"CONFIG SET notify-keyspace-events KEn", "SET {t}o2 1", "SET {t}o2 2", "HSET {t}on a 1", "RPUSH {t}on2 a",
	"SADD {t}on3 a", "ZADD {t}on4 1 a", "INCR {t}on5", "APPEND {t}on6 a", "LMOVE {t}on2 {t}on7 LEFT LEFT",
	"RENAME {t}on5 {t}on6", "RENAME {t}on6 {t}on8", "COPY {t}on8 {t}on3 REPLACE", "SETRANGE {t}on10 2 x",
	"SETBIT {t}on11 1 1", "PFADD {t}on12 a", "RESTORE {t}on13 0 \"\\x00\\x01v\\n\\x00\\x85\\xc8\\x1d\\xc1\\x1c\\x8b\\xd6\\xb4\"",
	"CONFIG SET notify-keyspace-events KEm", "GET {t}miss", "GET {t}o2", "HGET {t}miss f", "LRANGE {t}miss 0 -1",
	"SMEMBERS {t}miss", "ZRANGE {t}miss 0 -1", "MGET {t}miss {t}o2 {t}miss2", "EXISTS {t}miss", "TYPE {t}miss",
	"TTL {t}miss", "STRLEN {t}miss", "SET {t}miss v", "DEL {t}miss", "SETNX {t}mm 1", "SET {t}mm2 v NX", "SET {t}mm3 v XX",
	"MSETNX {t}mm4 1 {t}mm5 2", "HMGET {t}miss a", "SADD {t}mm6 a", "SMOVE {t}mm6 {t}mm7 a", "LPUSHX {t}miss a", "INCR {t}mm8",
	"GETDEL {t}miss", "GETEX {t}miss", "RENAME {t}miss {t}x", "HSETNX {t}mm9 a 1", "ZADD {t}mm10 NX 1 a", "GEOADD {t}mm11 1 1 a",
	"SINTERSTORE {t}mm12 {t}miss {t}miss2", "ZUNIONSTORE {t}mm13 1 {t}miss", "BITOP OR {t}mm14 {t}miss", "SORT {t}miss", "PFADD {t}mm15 a",
	"PFCOUNT {t}miss", "GETSET {t}mm19 1", "SET {t}mm20 1 GET", "SET {t}mm20 2 GET", "SETBIT {t}mm16 1 1", "BITCOUNT {t}miss", "EXPIRE {t}miss 10", "COPY {t}miss {t}mm17", "LMOVE {t}miss {t}mm18 LEFT LEFT",
	"CONFIG SET notify-keyspace-events \"\"", "SET {t}off 1", "DEL {t}off",
	"CONFIG SET notify-keyspace-events KEA", "FLUSHALL",
}

// notifyConfigSteps compare CONFIG SET and GET of notify-keyspace-events
// with Redis's: its parsing (every class letter, a bad one) and rendering.
var notifyConfigSteps = []string{
	"CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events KEA", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events AKE", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events Elg$shzxetdK", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events gxm", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events nAmKE", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events Kz", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events KEQ", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events \"\"", "CONFIG GET notify-keyspace-events",
	"CONFIG SET notify-keyspace-events", "CONFIG SET notify-keyspace-events \"K E\"",
}

// TestNotifyAgainstRedis runs notifyDiffScript on redis-server and on
// meshcache, RESP2 and RESP3, comparing every reply and every keyspace
// notification byte for byte.
func TestNotifyAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			var subs, writers [2]*testenv.RawConn
			for i, addr := range []string{redisAddr, ourAddr} {
				writers[i] = testenv.DialRaw(t, addr)
				writers[i].Must(t, "HELLO", proto)
				writers[i].Must(t, "FLUSHALL")
			}
			for _, step := range notifyConfigSteps {
				want := writers[0].Must(t, splitCommand(step)...)
				assert.Equal(t, string(want), string(writers[1].Must(t, splitCommand(step)...)), "%s", step)
			}
			for i, addr := range []string{redisAddr, ourAddr} {
				writers[i].Must(t, "CONFIG", "SET", "notify-keyspace-events", "KEA")
				s := testenv.DialRaw(t, addr)
				s.Must(t, "HELLO", proto)
				s.Must(t, "PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:*")
				var out []byte
				require.NoError(t, testenv.ReadReply(s.Reader(), &out)) // the second pattern's confirmation
				subs[i] = s
			}
			for _, step := range notifyDiffScript {
				var got [2]string
				for i := range subs {
					got[i] = runNotifyStep(t, writers[i], subs[i], step)
				}
				assert.Equal(t, got[0], got[1], "%s", step)
			}
		})
	}
}

// runNotifyStep runs one step on w and returns its reply followed by the
// notifications s received because of it: s pings after the reply, and
// every message before the ping's answer was published by the step.
func runNotifyStep(t *testing.T, w, s *testenv.RawConn, step string) string {
	t.Helper()
	var reply []byte
	if key, ok := strings.CutPrefix(step, "WAITGONE "); ok {
		for string(w.Must(t, "EXISTS", key)) != ":0\r\n" { // a condition, polled: the key's 1 ms TTL passing
		}
	} else {
		reply = w.Must(t, splitCommand(step)...)
	}
	require.NoError(t, s.Send("PING", "sync"))
	var msgs []string
	for {
		var out []byte
		require.NoError(t, testenv.ReadReply(s.Reader(), &out), step)
		if bytes.HasPrefix(out, []byte("*2\r\n$4\r\npong")) || bytes.HasPrefix(out, []byte("$4\r\nsync")) {
			break
		}
		msgs = append(msgs, strings.ReplaceAll(string(out), "\r\n", " "))
	}
	return normalizeReply(reply, cmpExact) + " | " + strings.Join(msgs, " ; ")
}

// TestNotifyEvictedAgainstRedis fills both servers, sets maxmemory below
// what they hold and writes: every key evicted is told on
// __keyevent@0__:evicted and __keyspace@0__:<key> (class e), in both
// protocols; which keys go is the policy's choice, so the messages are
// compared as sets (allkeys-random with maxmemory 1 evicts them all).
func TestNotifyEvictedAgainstRedis(t *testing.T) {
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			var got [2][]string
			for i, addr := range []string{startRedis(t), startDataServer(t)} {
				w, s := testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)
				w.Must(t, "HELLO", proto)
				s.Must(t, "HELLO", proto)
				w.Must(t, "CONFIG", "SET", "notify-keyspace-events", "Ke") // only e: the SET that evicts tells nothing
				s.Must(t, "SUBSCRIBE", "__keyevent@0__:evicted")
				s.Must(t, "PSUBSCRIBE", "__keyspace@0__:ev*")
				for j := 0; j < 20; j++ {
					w.Must(t, "SET", "ev"+strconv.Itoa(j), strings.Repeat("x", 4096))
				}
				w.Must(t, "CONFIG", "SET", "notify-keyspace-events", "KEe")
				w.Must(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
				w.Must(t, "CONFIG", "SET", "maxmemory", "1")
				w.Must(t, "SET", "more", "x") // evicts every key, then is refused (-OOM)
				w.Must(t, "CONFIG", "SET", "maxmemory", "0")
				out := runNotifyStep(t, w, s, "DBSIZE")
				_, msgs, _ := strings.Cut(out, " | ")
				got[i] = strings.Split(msgs, " ; ")
				slices.Sort(got[i])
			}
			require.Len(t, got[0], 40, "redis-server: 20 keys, two messages each")
			assert.Equal(t, got[0], got[1])
		})
	}
}
