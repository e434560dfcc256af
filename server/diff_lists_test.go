package server

import (
	"fmt"
	"strings"
)

// The list commands' differential scripts (see diff_test.go). OBJECT
// ENCODING of lists is left out: redis-server 7.0 always answers
// "quicklist" where 7.2 (and meshcache) answer "listpack" for small lists;
// the store's and the commands' unit tests check it. So is LPOS RANK
// -9223372036854775808, an error from 7.2 on (lists_test.go in
// server/commands), and timeouts past the int64 range, whose error 7.2
// words differently.
func init() {
	diffScripts["lists"] = []string{
		// pushes and lengths
		"LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l", "LLEN nokey", "LPUSHX nokey a", "RPUSHX nokey a",
		"EXISTS nokey", "LPUSHX l x y", "RPUSHX l z", "LRANGE l 0 -1", "LPUSH l", "RPUSH", "LPUSH e \"\"", "LRANGE e 0 -1",
		"RPUSH n 1 -1 0 -0 12345678901234567890 -9223372036854775808 9223372036854775807 007 1.5", "LRANGE n 0 -1",
		// LRANGE indexes
		"LRANGE l 0 0", "LRANGE l -1 -1", "LRANGE l -100 100", "LRANGE l 2 1", "LRANGE l 5 100", "LRANGE l 100 200",
		"LRANGE l -3 -5", "LRANGE l 1 -2", "LRANGE l -0 -0", "LRANGE l a 1", "LRANGE l 1 b", "LRANGE l 1.5 2",
		"LRANGE l -9223372036854775808 9223372036854775807", "LRANGE l 9223372036854775807 -9223372036854775808",
		"LRANGE nokey 0 -1", "LRANGE nokey x 1", "LRANGE l 0", "LRANGE l 0 1 2",
		// LINDEX
		"LINDEX l 0", "LINDEX l -1", "LINDEX l 3", "LINDEX l 100", "LINDEX l -100", "LINDEX l -0", "LINDEX l x",
		"LINDEX nokey 0", "LINDEX nokey x", "LINDEX l 9223372036854775807", "LINDEX l -9223372036854775808",
		// LSET
		"LSET l 0 first", "LSET l -1 last", "LSET l 1 longer-value-than-before", "LSET l 2 \"\"", "LRANGE l 0 -1",
		"LSET l 100 x", "LSET l -100 x", "LSET l x y", "LSET nokey 0 x", "LSET nokey x y", "LSET l 9223372036854775807 x",
		"LSET l -9223372036854775808 x", "LSET l -0 zero", "LINDEX l 0",
		// LINSERT
		"LINSERT l BEFORE zero z0", "LINSERT l after zero z1", "LINSERT l BEFORE nothere x", "LINSERT l middle zero x",
		"LINSERT nokey BEFORE a b", "EXISTS nokey", "LINSERT l AFTER last tail", "LINSERT l before z0 head",
		"LRANGE l 0 -1", "LINSERT l BEFORE \"\" empty", "LRANGE l 0 -1",
		// LREM
		"RPUSH r a b a c a b a", "LREM r 2 a", "LRANGE r 0 -1", "LREM r -1 a", "LRANGE r 0 -1", "LREM r 0 b",
		"LRANGE r 0 -1", "LREM r 1 zz", "LREM r x a", "LREM r -9223372036854775808 a", "LREM r 9223372036854775807 a",
		"LREM r -9223372036854775807 c", "EXISTS r", "LREM nokey 1 a", "LREM nokey x a",
		"RPUSH r2 x y x y x", "LREM r2 -2 x", "LRANGE r2 0 -1", "LREM r2 -5 y", "LRANGE r2 0 -1",
		// LTRIM
		"RPUSH t 0 1 2 3 4 5 6 7 8 9", "LTRIM t 1 -2", "LRANGE t 0 -1", "LTRIM t -3 100", "LRANGE t 0 -1",
		"LTRIM t 1 0", "EXISTS t", "LTRIM nokey 0 1", "LTRIM t x 1", "LTRIM nokey x 1", "RPUSH t a b c",
		"LTRIM t 0 -1", "LTRIM t -100 -100", "LRANGE t 0 -1", "RPUSH t a b c", "LTRIM t 5 10", "EXISTS t",
		"RPUSH t a b c", "LTRIM t -9223372036854775808 9223372036854775807", "LRANGE t 0 -1",
		// LPOS
		"RPUSH p a b c 1 2 3 c c", "LPOS p c", "LPOS p c RANK 2", "LPOS p c RANK -1", "LPOS p c RANK -3",
		"LPOS p c RANK 4", "LPOS p c COUNT 0", "LPOS p c COUNT 2", "LPOS p c COUNT 2 RANK -1", "LPOS p c RANK -2 COUNT 0",
		"LPOS p c MAXLEN 3", "LPOS p c MAXLEN 3 COUNT 0", "LPOS p c RANK -1 MAXLEN 1", "LPOS p c RANK -1 MAXLEN 2 COUNT 0",
		"LPOS p zz", "LPOS p zz COUNT 1", "LPOS nokey a", "LPOS nokey a COUNT 1", "LPOS nokey a RANK 0",
		"LPOS p c RANK 0", "LPOS p c RANK x", "LPOS p c RANK 9223372036854775807",
		"LPOS p c RANK -9223372036854775807", "LPOS p c COUNT -1", "LPOS p c COUNT x", "LPOS p c MAXLEN -1",
		"LPOS p c MAXLEN x", "LPOS p c RANK", "LPOS p c bogus", "LPOS p c COUNT 1 COUNT 2", "LPOS p 1", "LPOS p 3 count 5",
		"LPOS p c MAXLEN 0", "LPOS p",
		// pops
		"RPUSH q a b c d e f g", "LPOP q", "RPOP q", "LPOP q 2", "RPOP q 2", "LPOP q 0", "RPOP q 0", "LPOP q -1",
		"RPOP q -1", "LPOP q x", "RPOP q 1.5", "LPOP q 1 2", "LPOP q 100", "EXISTS q", "LPOP q", "RPOP q", "LPOP q 1",
		"RPOP q 0", "LPOP q -1", "RPUSH q a", "RPOP q 9223372036854775807", "LPOP q -9223372036854775808",
		// LMOVE RPOPLPUSH
		"RPUSH m a b c", "LMOVE m d LEFT RIGHT", "LMOVE m d RIGHT LEFT", "LRANGE m 0 -1", "LRANGE d 0 -1",
		"LMOVE m m LEFT RIGHT", "LRANGE m 0 -1", "LMOVE m m RIGHT LEFT", "LRANGE m 0 -1", "LMOVE m m LEFT LEFT",
		"LMOVE m m right right", "LRANGE m 0 -1", "LMOVE m d UP LEFT", "LMOVE m d LEFT DOWN", "LMOVE nokey d LEFT LEFT",
		"RPOPLPUSH m d", "RPOPLPUSH m d", "EXISTS m", "LRANGE d 0 -1", "RPOPLPUSH nokey d", "RPOPLPUSH d d",
		"LRANGE d 0 -1", "RPUSH one x", "LMOVE one one LEFT RIGHT", "LRANGE one 0 -1", "RPOPLPUSH one one",
		// LMPOP
		"RPUSH mp1 a b c d", "RPUSH mp2 x y", "LMPOP 2 nokey mp1 LEFT", "LMPOP 2 nokey mp1 RIGHT COUNT 2",
		"LMPOP 1 mp1 LEFT COUNT 10", "LMPOP 2 mp1 mp2 LEFT COUNT 1", "LMPOP 3 nokey1 nokey2 nokey3 LEFT",
		"LMPOP 0 mp2 LEFT", "LMPOP -1 mp2 LEFT", "LMPOP x mp2 LEFT", "LMPOP 1 mp2 MIDDLE", "LMPOP 1 mp2 LEFT COUNT 0",
		"LMPOP 1 mp2 LEFT COUNT -1", "LMPOP 1 mp2 LEFT COUNT x", "LMPOP 1 mp2 LEFT COUNT", "LMPOP 1 mp2 LEFT COUNT 1 COUNT 1",
		"LMPOP 1 mp2 LEFT bogus", "LMPOP 5 mp2 LEFT", "LMPOP 2 mp2 LEFT", "LMPOP 1 mp2", "LMPOP 1 mp2 RIGHT count 1",
		"LMPOP 9223372036854775807 mp2 LEFT",
		// blocking commands, immediate paths
		"RPUSH b1 a b c d e f", "RPUSH b2 x", "BLPOP nokey b1 0", "BRPOP nokey b1 0.1", "BLPOP b2 b1 0", "EXISTS b2",
		"BLPOP b1 -1", "BLPOP b1 abc", "BLPOP b1 \"\"", "BLPOP b1 nan", "BRPOP b1",
		"BRPOP b1 -0.5", "BLPOP b1 0x10", "BRPOP b1 -0.0001", "BLPOP b1 0x1p3", "BLPOP nokey -0.0011", "BLPOP b1 1_0",
		"RPUSH b1 a b c", "BLMOVE b1 b3 LEFT RIGHT 0", "BLMOVE b1 b3 RIGHT LEFT 0.1", "BLMOVE b1 b3 LEFT UP 0",
		"BLMOVE b1 b3 LEFT LEFT -1", "BLMOVE b1 b3 LEFT LEFT x", "LRANGE b3 0 -1", "RPUSH b1 p q r",
		"BRPOPLPUSH b1 b3 0", "BRPOPLPUSH b1 b3 -1", "BRPOPLPUSH b1 b3 abc", "LRANGE b3 0 -1",
		"BLMPOP 0 2 nokey b1 LEFT", "BLMPOP 0.1 1 b3 RIGHT COUNT 2", "BLMPOP -1 1 b3 LEFT", "BLMPOP abc 1 b3 LEFT",
		"BLMPOP 0 0 b3 LEFT", "BLMPOP 0 1 b3 MIDDLE", "BLMPOP 0 1 b3 LEFT COUNT 0", "BLMPOP 0 5 b3 LEFT",
		"BLMPOP abc 0 b3 LEFT", "BLMPOP 0 1 b3 LEFT COUNT 100", "EXISTS b3",
		// wrong types
		"SET s v", "HSET h f v", "LPUSH s a", "RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "RPOP s", "LPOP s 0",
		"RPOP s 2", "LLEN s", "LRANGE s 0 -1", "LINDEX s 0", "LINDEX s x", "LSET s 0 x", "LSET s x x", "LINSERT s BEFORE a b",
		"LINSERT s bogus a b", "LREM s 0 a", "LTRIM s 0 1", "LPOS s a", "LPOS s a COUNT 0", "LMOVE s d LEFT LEFT",
		"LMOVE h d LEFT LEFT", "RPUSH src a", "LMOVE src s LEFT LEFT", "RPOPLPUSH src h", "LRANGE src 0 -1",
		"LMOVE nokey s LEFT LEFT", "LMPOP 2 nokey s LEFT", "LMPOP 2 src s LEFT", "BLPOP s 0", "BLPOP nokey s 0",
		"BRPOP h 0", "BLMOVE s d LEFT LEFT 0", "RPUSH src a", "BLMOVE src h LEFT LEFT 0", "BRPOPLPUSH h d 0", "BLMPOP 0 1 s LEFT",
		"SET src2 x", "GET s",
		// generic commands on lists
		"RPUSH g a b c", "TYPE g", "OBJECT TYPE g", "EXPIRE g 100", "TTL g", "COPY g g2", "LRANGE g2 0 -1", "TTL g2",
		"RPUSH g2 d", "LRANGE g 0 -1", "COPY g g2", "COPY g g2 REPLACE", "LRANGE g2 0 -1", "RENAME g g3", "TTL g3",
		"LRANGE g3 0 -1", "EXISTS g", "RENAMENX g3 g2", "RENAME g3 s", "TYPE s", "LPOP s", "SCAN 0 TYPE list COUNT 1000",
		"SCAN 0 TYPE LIST MATCH g* COUNT 1000", "DEL g2 s", "EXISTS g2 s", "RPUSH x a", "EXPIRE x 0", "EXISTS x",
		"RPUSH x a", "PERSIST x", "GETDEL x", "GET x", "SET x y", "LPUSH x y",
	}
	// Numbers (stored compactly) and a list of many chunks.
	var big strings.Builder
	big.WriteString("RPUSH big")
	for i := 0; i < 1500; i++ {
		fmt.Fprintf(&big, " element-%05d-padding", i)
		if i%100 == 0 {
			fmt.Fprintf(&big, " %d", i*1000003)
		}
	}
	diffScripts["lists-big"] = []string{
		"RPUSH nums 1 2 3 100000 -5 2", "LINSERT nums BEFORE 100000 7", "LINSERT nums AFTER -5 -6", "LREM nums 0 2",
		"LSET nums 0 1000000000000", "LSET nums 1 abc", "LSET nums 2 -9223372036854775808", "LRANGE nums 0 -1",
		"LPOS nums -5", "LPOS nums 100000 RANK -1", "LINDEX nums -1", "LPUSH nums 18446744073709551616 -1 0", "LRANGE nums 0 2",
		big.String(), "LLEN big", "LINDEX big 700", "LINDEX big -700", "LRANGE big 695 705", "LRANGE big -5 -1",
		"LPOS big element-01200-padding", "LPOS big 100000300", "LPOS big 1000003 COUNT 0", "LSET big 800 changed",
		"LINDEX big 800", "LINSERT big BEFORE element-00900-padding inserted", "LINSERT big AFTER element-00010-padding x",
		"LRANGE big 8 14", "LREM big 0 x", "LREM big -2 inserted", "LREM big 1 changed", "LLEN big",
		"LTRIM big 300 -300", "LLEN big", "LRANGE big 0 3", "LPOP big 3", "RPOP big 3", "LMOVE big big LEFT RIGHT",
		"LINDEX big -1", "LMPOP 1 big RIGHT COUNT 4", "LRANGE big 400 410", "LTRIM big 0 9", "LRANGE big 0 -1",
	}
	diffCompare["scan"] = cmpScan
	// 7.0 flags the older blocking commands noscript; 7.2 dropped the flag
	// (redis#11568: they run in scripts, as in MULTI, without blocking).
	for _, name := range []string{"blpop", "brpop", "blmove", "brpoplpush"} {
		commandInfoSkips[name] = map[int]string{2: "no noscript flag, as Redis 7.2"}
	}
}
