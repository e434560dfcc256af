package server

import (
	"math/rand/v2"
	"strconv"
)

// Differential scripts of the sorted-set family. Scores are chosen so that
// redis-server 7.0's %.17g and 7.2's shortest formatting print them alike
// (integers, halves, quarters, inf); the shortest formatting itself is
// tested in package commands. ZRANK WITHSCORE (7.2) and the blocking wait
// are tested there too: 7.0 knows neither.
func init() {
	diffScripts["zsets"] = []string{
		// ZADD and its options.
		"ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z 5 a", "ZSCORE z a", "ZADD z", "ZADD z 1", "ZADD z 1 a 2",
		"ZADD z x a", "ZADD z 1 a x b", "ZADD z nan a", "ZADD z \" 1\" a", "ZADD z \"1 \" a", "ZADD z 1e400 a",
		"ZADD z 1e-400 a", "ZADD z 0x10 h", "ZSCORE z h", "ZADD z \"\" e", "ZSCORE z e", "ZADD z +inf pi -inf ni",
		"ZADD z Infinity pi2", "ZADD z -0 nz", "ZSCORE z nz", "ZADD z 1.5 half 2.25 q", "ZSCORE z q",
		"ZADD z NX XX 1 a", "ZADD z GT LT 1 a", "ZADD z GT NX 1 a", "ZADD z LT NX 1 a", "ZADD z INCR 1 a 2 b",
		"ZADD z NX 10 a 10 new1", "ZSCORE z a", "ZADD z XX 10 a 10 new2", "ZSCORE z new2", "ZADD z XX CH 11 a 12 b",
		"ZADD z CH 11 a 13 b 1 new3", "ZADD z GT 1 a", "ZADD z GT CH 20 a", "ZADD z LT CH 30 a 5 b", "ZADD z LT 1 new4",
		"ZADD z GT 1 new5", "ZADD z XX GT 100 a", "ZADD z INCR 5 a", "ZADD z INCR NX 5 a", "ZADD z INCR XX 5 nope",
		"ZADD z INCR GT -1 a", "ZADD z INCR LT -1 a", "ZADD z INCR 0 a", "ZADD z nx xx ch incr gt lt 1 a",
		"ZADD inf 1 a", "ZADD inf INCR +inf a", "ZADD inf INCR -inf a", "ZINCRBY inf -inf a", "ZSCORE inf a",
		"ZADD xx XX 1 a", "EXISTS xx", "ZADD xx XX INCR 1 a", "EXISTS xx",
		"ZINCRBY z 2.5 a", "ZINCRBY z x a", "ZINCRBY z 1 fresh", "ZINCRBY z nan a", "ZINCRBY z nx a",
		"ZCARD z", "ZCARD nokey", "ZSCORE z nope", "ZSCORE nokey a", "ZMSCORE z a nope b", "ZMSCORE nokey a b",
		"ZRANK z a", "ZRANK z nope", "ZRANK nokey a", "ZREVRANK z a", "ZREVRANK z nope", "ZRANK z a b c",
		"ZREM z nope", "ZREM z a nope b", "ZREM nokey a", "ZCARD z",
		// Ranges.
		"DEL z", "ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 6 g -inf m +inf p",
		"ZRANGE z 0 -1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 2 4", "ZRANGE z -3 -1 withscores", "ZRANGE z 5 2",
		"ZRANGE z -100 100", "ZRANGE z 100 200", "ZRANGE z 0 -1 REV", "ZRANGE z 1 3 REV WITHSCORES", "ZRANGE z x 1",
		"ZRANGE z 0 1 LIMIT 0 1", "ZRANGE z 0 1 bogus", "ZRANGE z 0 1 WITHSCORES WITHSCORES", "ZRANGE nokey 0 -1",
		"ZRANGE z 2 5 BYSCORE", "ZRANGE z (2 5 BYSCORE WITHSCORES", "ZRANGE z 2 (5 BYSCORE", "ZRANGE z -inf +inf BYSCORE",
		"ZRANGE z +inf -inf BYSCORE REV", "ZRANGE z 5 2 BYSCORE REV WITHSCORES", "ZRANGE z 5 (2 BYSCORE REV",
		"ZRANGE z -inf inf BYSCORE LIMIT 2 3", "ZRANGE z -inf inf BYSCORE LIMIT 2 -1", "ZRANGE z -inf inf BYSCORE LIMIT -1 3",
		"ZRANGE z -inf inf BYSCORE LIMIT 100 1", "ZRANGE z -inf inf BYSCORE LIMIT 1 0", "ZRANGE z inf -inf BYSCORE REV LIMIT 1 2",
		"ZRANGE z -inf inf BYSCORE LIMIT 1", "ZRANGE z -inf inf BYSCORE LIMIT x 1", "ZRANGE z a b BYSCORE", "ZRANGE z 1 nan BYSCORE",
		"ZRANGE z ( 5 BYSCORE", "ZRANGE z \"\" 5 BYSCORE", "ZRANGE z \" 2\" 5 BYSCORE", "ZRANGE z 1e400 inf BYSCORE",
		"ZRANGE z 0 -1 BYSCORE BYLEX", "ZRANGE z 0 -1 BYSCORE BYSCORE", "ZRANGE z 0 -1 REV REV", "ZRANGE z - + BYLEX WITHSCORES",
		"ZRANGE z 0 -1 REV LIMIT 0 1",
		"ZRANGEBYSCORE z 2 5", "ZRANGEBYSCORE z 2 5 WITHSCORES LIMIT 1 2", "ZRANGEBYSCORE z 2 5 REV", "ZRANGEBYSCORE z 2 5 BYSCORE",
		"ZRANGEBYSCORE z x 5", "ZREVRANGEBYSCORE z 5 2", "ZREVRANGEBYSCORE z 5 2 WITHSCORES LIMIT 1 1", "ZREVRANGEBYSCORE z 2 5",
		"ZREVRANGE z 0 2", "ZREVRANGE z 0 2 WITHSCORES", "ZREVRANGE z 0 2 LIMIT 0 1", "ZREVRANGE z 0 2 REV",
		"ZCOUNT z 2 5", "ZCOUNT z (2 (5", "ZCOUNT z -inf +inf", "ZCOUNT z 5 2", "ZCOUNT z x y", "ZCOUNT nokey 0 1",
		"DEL l", "ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g",
		"ZRANGEBYLEX l - +", "ZRANGEBYLEX l [b [d", "ZRANGEBYLEX l (b (d", "ZRANGEBYLEX l [b +", "ZRANGEBYLEX l - (c",
		"ZRANGEBYLEX l + -", "ZRANGEBYLEX l [d [b", "ZRANGEBYLEX l - + LIMIT 2 3", "ZRANGEBYLEX l - + LIMIT -1 3",
		"ZRANGEBYLEX l b d", "ZRANGEBYLEX l [b d", "ZRANGEBYLEX l \"\" +", "ZRANGEBYLEX l +x -", "ZRANGEBYLEX l - + WITHSCORES",
		"ZRANGEBYLEX l [ +", "ZRANGEBYLEX l ( [c", "ZREVRANGEBYLEX l + -", "ZREVRANGEBYLEX l [d [b", "ZREVRANGEBYLEX l + - LIMIT 1 2",
		"ZRANGE l [b [d BYLEX", "ZRANGE l [d [b BYLEX REV", "ZRANGE l [d [b BYLEX REV LIMIT 1 5",
		"ZLEXCOUNT l - +", "ZLEXCOUNT l [b (e", "ZLEXCOUNT l x y", "ZLEXCOUNT nokey - +",
		"ZRANGESTORE dst z 0 2", "ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst z 2 5 BYSCORE LIMIT 1 2",
		"ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst l [b [d BYLEX", "ZRANGE dst 0 -1 WITHSCORES",
		"ZRANGESTORE dst z 5 2 BYSCORE REV", "ZRANGE dst 0 -1", "ZRANGESTORE dst z 0 -1 WITHSCORES", "ZRANGESTORE dst nokey 0 -1",
		"EXISTS dst", "SET str v", "ZRANGESTORE dst str 0 -1", "ZRANGESTORE str z 0 0", "TYPE str", "SET str v", "ZRANGESTORE z z 1 2",
		"ZRANGE z 0 -1 WITHSCORES", "ZRANGESTORE dst z 0 1 LIMIT 0 1",
		// Range removals.
		"DEL z", "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", "ZREMRANGEBYRANK z 0 1", "ZREMRANGEBYRANK z -1 -1", "ZREMRANGEBYRANK z 5 1",
		"ZREMRANGEBYRANK z x 1", "ZRANGE z 0 -1", "ZREMRANGEBYSCORE z (3 4", "ZREMRANGEBYSCORE z x 1", "ZREMRANGEBYSCORE z 10 20",
		"ZRANGE z 0 -1", "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z", "ZREMRANGEBYRANK nokey 0 -1", "ZREMRANGEBYSCORE nokey 0 1",
		"ZREMRANGEBYLEX l [b (d", "ZREMRANGEBYLEX l x y", "ZRANGE l 0 -1", "ZREMRANGEBYLEX l - +", "EXISTS l",
		// Pops.
		"ZADD p 1 a 2 b 3 c 4 d 5 e", "ZPOPMIN p", "ZPOPMAX p", "ZPOPMIN p 2", "ZPOPMAX p 0", "ZPOPMIN p -1", "ZPOPMIN p x",
		"ZPOPMIN p 1 2", "ZPOPMAX p 10", "EXISTS p", "ZPOPMIN nokey", "ZPOPMIN nokey 3", "ZPOPMAX nokey 0",
		"ZADD p 1 a 2 b 3 c", "ZMPOP 1 p MIN", "ZMPOP 2 nokey p MAX COUNT 5", "ZMPOP 1 nokey MIN", "ZMPOP 0 p MIN",
		"ZMPOP -1 p MIN", "ZMPOP x p MIN", "ZMPOP 2 p MIN", "ZMPOP 1 p LEFT", "ZMPOP 1 p MIN COUNT 0", "ZMPOP 1 p MIN COUNT x",
		"ZMPOP 1 p MIN COUNT 1 COUNT 1", "ZMPOP 1 p MIN bogus", "ZMPOP 1 p MIN COUNT",
		"ZADD b1 1 a 2 b", "ZADD b2 5 x", "BZPOPMIN nokey b1 b2 0", "BZPOPMAX b2 b1 0.5", "BZPOPMAX b2 b1 0", "BZPOPMIN b1 -1",
		"BZPOPMIN b1 x", "BZPOPMIN str b1 0", "ZADD b1 3 c", "BZMPOP 0 2 nokey b1 MAX COUNT 3", "ZADD b1 1 a 2 b", "BZMPOP 0.1 1 b1 MIN",
		"BZMPOP x 1 b1 MIN", "BZMPOP 0 0 b1 MIN", "BZMPOP 0 1 b1 UP", "BZMPOP 0 1 str MIN", "BZMPOP -1 1 b1 MIN",
		// Random members.
		"ZADD r1 7 only", "ZRANDMEMBER r1", "ZRANDMEMBER r1 1", "ZRANDMEMBER r1 -3", "ZRANDMEMBER r1 -2 WITHSCORES",
		"ZRANDMEMBER r1 5 WITHSCORES", "ZRANDMEMBER nokey", "ZRANDMEMBER nokey 3", "ZRANDMEMBER r1 0", "ZRANDMEMBER r1 x",
		"ZRANDMEMBER r1 1 bogus", "ZRANDMEMBER r1 1 WITHSCORES x", "ZRANDMEMBER r1 -9223372036854775808",
		"ZRANDMEMBER r1 -9223372036854775807 WITHSCORES", "ZRANDMEMBER r1 9223372036854775807 WITHSCORES",
		"ZADD r3 1 a 2 b 3 c", "ZRANDMEMBER r3 3", "ZRANDMEMBER r3 10 WITHSCORES",
		// Set algebra.
		"ZADD u1 1 a 2 b 3 c", "ZADD u2 1 b 2 c 3 d", "ZADD u3 10 c",
		"ZUNION 2 u1 u2", "ZUNION 2 u1 u2 WITHSCORES", "ZUNION 2 u1 u2 WEIGHTS 2 0.5 WITHSCORES", "ZUNION 3 u1 u2 nokey WITHSCORES",
		"ZUNION 2 u1 u2 AGGREGATE MIN WITHSCORES", "ZUNION 2 u1 u2 AGGREGATE max WITHSCORES", "ZUNION 2 u1 u2 AGGREGATE avg",
		"ZUNION 2 u1 u2 WEIGHTS 1", "ZUNION 2 u1 u2 WEIGHTS 1 x", "ZUNION 0 u1", "ZUNION -1 u1", "ZUNION x u1", "ZUNION 3 u1 u2",
		"ZUNION 2 u1 str", "ZUNION 2 u1 u2 bogus", "ZUNION 2 u1 u2 WEIGHTS 1 inf WITHSCORES", "ZUNION 1 u1 WEIGHTS 0 WITHSCORES",
		"ZADD ui 1 a 2 b", "ZADD ui2 -1 a", "ZUNION 2 ui ui2 WEIGHTS inf inf WITHSCORES", "ZUNION 2 ui ui2 WEIGHTS 0 inf WITHSCORES",
		"ZUNION 2 ui ui2 WEIGHTS inf inf AGGREGATE MIN WITHSCORES",
		"ZINTER 2 u1 u2", "ZINTER 2 u1 u2 WITHSCORES", "ZINTER 3 u1 u2 u3 WITHSCORES", "ZINTER 2 u1 nokey", "ZINTER 2 u1 u1 WITHSCORES",
		"ZINTER 2 u1 u2 WEIGHTS 2 3 AGGREGATE MAX WITHSCORES", "ZINTER 2 u1 u2 AGGREGATE MIN WITHSCORES", "ZINTER 0 u1",
		"ZINTER 2 str u1", "ZINTER 2 ui ui2 WEIGHTS inf 0 AGGREGATE MIN WITHSCORES", "ZINTER 2 ui ui2 WEIGHTS 0 inf AGGREGATE MAX WITHSCORES",
		"ZDIFF 2 u1 u2", "ZDIFF 2 u1 u2 WITHSCORES", "ZDIFF 1 u1 WITHSCORES", "ZDIFF 2 nokey u1", "ZDIFF 2 u1 u2 WEIGHTS 1 1",
		"ZDIFF 2 u1 u2 AGGREGATE SUM", "ZDIFF 0 u1", "ZDIFF 2 u1 str",
		"ZUNIONSTORE dst 2 u1 u2", "ZRANGE dst 0 -1 WITHSCORES", "ZUNIONSTORE dst 2 u1 u2 WITHSCORES", "ZINTERSTORE dst 2 u1 u2 WEIGHTS 1 2",
		"ZRANGE dst 0 -1 WITHSCORES", "ZINTERSTORE dst 2 u1 nokey", "EXISTS dst", "ZDIFFSTORE dst 2 u1 u2", "ZRANGE dst 0 -1 WITHSCORES",
		"ZDIFFSTORE dst 1 nokey", "EXISTS dst", "ZUNIONSTORE str 1 u1", "TYPE str", "SET str v", "ZUNIONSTORE u1 2 u1 u2", "ZRANGE u1 0 -1 WITHSCORES",
		"ZUNIONSTORE dst 0 u1", "ZINTERSTORE dst 3 u1 u2", "ZDIFFSTORE dst x u1", "ZUNIONSTORE dst 1 u1 AGGREGATE",
		"ZINTERCARD 2 u1 u2", "ZINTERCARD 2 u1 u2 LIMIT 1", "ZINTERCARD 2 u1 u2 LIMIT 0", "ZINTERCARD 2 u1 u2 LIMIT -1",
		"ZINTERCARD 2 u1 u2 LIMIT x", "ZINTERCARD 0 u1", "ZINTERCARD 2 u1", "ZINTERCARD 1 nokey", "ZINTERCARD 2 u1 str",
		"ZINTERCARD 2 u1 u2 WITHSCORES", "ZINTERCARD 2 u1 u2 WEIGHTS 1 1",
		// Scan.
		"ZSCAN u2 0", "ZSCAN u2 0 MATCH [bc]", "ZSCAN u2 0 COUNT 100", "ZSCAN u2 x", "ZSCAN nokey 0", "ZSCAN u2 0 COUNT 0",
		"ZSCAN u2 0 NOVALUES", "ZSCAN u2 0 TYPE zset", "ZSCAN str 0",
		// Wrong types and encodings.
		"ZADD str 1 a", "ZINCRBY str 1 a", "ZREM str a", "ZCARD str", "ZSCORE str a", "ZMSCORE str a", "ZRANK str a",
		"ZREVRANK str a", "ZRANGE str 0 -1", "ZRANGEBYSCORE str 0 1", "ZRANGEBYLEX str - +", "ZCOUNT str 0 1",
		"ZLEXCOUNT str - +", "ZREMRANGEBYRANK str 0 1", "ZREMRANGEBYSCORE str 0 1", "ZREMRANGEBYLEX str - +",
		"ZPOPMIN str", "ZPOPMAX str 2", "ZMPOP 1 str MIN", "ZRANDMEMBER str", "ZRANDMEMBER str 2", "HSET hh f v",
		"ZADD hh 1 a", "GET u2", "HGET u2 f", "TYPE u2", "OBJECT ENCODING u2", "ZADD big 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"OBJECT ENCODING big", "ZREM big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ZADD big 1 a",
		"OBJECT ENCODING big", "COPY u2 u2copy", "ZRANGE u2copy 0 -1 WITHSCORES", "RENAME u2copy u2moved", "ZCARD u2moved",
		// Arity.
		"ZADD z", "ZADD z 1", "ZINCRBY z 1", "ZREM z", "ZCARD", "ZCOUNT z 1", "ZSCORE z", "ZMSCORE z", "ZRANK z",
		"ZRANGE z 0", "ZRANGESTORE d z 0", "ZPOPMIN", "BZPOPMIN z", "ZMPOP 1 z", "BZMPOP 0 1 z", "ZUNION 1",
		"ZUNIONSTORE d 1", "ZINTERCARD 1", "ZSCAN z", "ZRANDMEMBER", "ZREMRANGEBYLEX z -",
	}
	getKeysSamples = append(getKeysSamples, "ZADD z 1 a", "ZRANGESTORE d s 0 -1", "ZUNION 2 a b WITHSCORES",
		"ZUNIONSTORE d 2 a b WEIGHTS 1 2", "ZINTERCARD 3 a b c LIMIT 1", "ZMPOP 2 a b MIN", "BZMPOP 0 2 a b MAX",
		"BZPOPMIN a b 0", "ZDIFFSTORE d 1 a", "ZUNION 0 a", "ZUNION 3 a b", "ZMPOP x a MIN")
	diffCompare["zunion"] = cmpExact
	diffCompare["zrandmember"] = cmpUnordered
	diffCompare["zscan"] = cmpScan
	// ZRANK and ZREVRANK take WITHSCORE since 7.2 (arity -3); 7.0 has 3.
	commandInfoSkips["zrank"] = map[int]string{1: "arity -3, as Redis 7.2 (WITHSCORE)"}
	commandInfoSkips["zrevrank"] = map[int]string{1: "arity -3, as Redis 7.2 (WITHSCORE)"}
	// 7.2 dropped noscript from the blocking commands: in a script they
	// run as in MULTI (redis#11568).
	commandInfoSkips["bzpopmin"] = map[int]string{2: "no noscript flag, as Redis 7.2"}
	commandInfoSkips["bzpopmax"] = map[int]string{2: "no noscript flag, as Redis 7.2"}
}

// Generated scripts: random operations on sets big enough to be
// skiplists, and on one-score sets for the lexical commands, from a fixed
// seed. Scores are multiples of 0.25 (and infinities), printed alike by
// 7.0 and 7.2.
func init() {
	rng := rand.New(rand.NewPCG(7, 2))
	score := func() string {
		switch rng.IntN(20) {
		case 0:
			return "inf"
		case 1:
			return "-inf"
		}
		return strconv.FormatFloat(float64(rng.IntN(80)-20)/4, 'f', -1, 64)
	}
	bound := func() string {
		s := score()
		if rng.IntN(3) == 0 {
			return "(" + s
		}
		return s
	}
	member := func() string { return "m" + strconv.Itoa(rng.IntN(300)) }
	lex := func() string {
		switch rng.IntN(8) {
		case 0:
			return "-"
		case 1:
			return "+"
		}
		return string("[("[rng.IntN(2)]) + "m" + strconv.Itoa(rng.IntN(300))
	}
	var script []string
	for i := 0; i < 200; i++ {
		line := "ZADD big"
		for j := 0; j < 5; j++ {
			line += " " + score() + " " + member()
		}
		script = append(script, line, "ZADD lex 0 "+member()+" 0 "+member())
	}
	// Encodings: a STORE result takes its form from its size, removals
	// never convert back. (A ZADD of more than 128 pairs converts at once
	// since 7.2, redis#12185, unlike 7.0: tested in package store.)
	many := "ZADD lp"
	for i := 0; i < 129; i++ {
		many += " 1 a"
	}
	script = append(script, "OBJECT ENCODING big", "ZRANGESTORE small big 0 9", "OBJECT ENCODING small",
		"ZUNIONSTORE s2 2 small small", "OBJECT ENCODING s2", "ZUNIONSTORE s3 1 big", "OBJECT ENCODING s3",
		"ZREMRANGEBYRANK s3 10 -1", "OBJECT ENCODING s3", "ZADD lp 1 a", "OBJECT ENCODING lp", many,
		"ZCARD lp")
	flags := []string{"", "NX ", "XX ", "GT ", "LT ", "CH ", "XX GT CH ", "INCR ", "LT INCR "}
	for i := 0; i < 600; i++ {
		var l string
		switch rng.IntN(16) {
		case 0:
			l = "ZADD big " + flags[rng.IntN(len(flags))] + score() + " " + member()
		case 1:
			l = "ZREM big " + member() + " " + member()
		case 2:
			l = "ZINCRBY big " + score() + " " + member()
		case 3:
			l = "ZRANGE big " + strconv.Itoa(rng.IntN(400)-200) + " " + strconv.Itoa(rng.IntN(400)-200) + []string{"", " REV", " WITHSCORES"}[rng.IntN(3)]
		case 4:
			l = "ZRANGE big " + bound() + " " + bound() + " BYSCORE" + []string{"", " REV", " WITHSCORES", " LIMIT 3 10"}[rng.IntN(4)]
		case 5:
			l = "ZCOUNT big " + bound() + " " + bound()
		case 6:
			l = "ZRANGE lex " + lex() + " " + lex() + " BYLEX" + []string{"", " REV", " LIMIT 2 5"}[rng.IntN(3)]
		case 7:
			l = "ZLEXCOUNT lex " + lex() + " " + lex()
		case 8:
			l = []string{"ZRANK big ", "ZREVRANK big ", "ZSCORE big "}[rng.IntN(3)] + member()
		case 9:
			l = []string{"ZPOPMIN big", "ZPOPMAX big 3", "ZMPOP 2 nokey big MAX COUNT 2"}[rng.IntN(3)]
		case 10:
			if rng.IntN(6) == 0 {
				l = "ZREMRANGEBYSCORE big " + bound() + " " + bound()
			} else {
				l = "ZREMRANGEBYRANK big " + strconv.Itoa(rng.IntN(300)) + " " + strconv.Itoa(rng.IntN(300))
			}
		case 11:
			l = "ZREMRANGEBYLEX lex " + lex() + " " + lex()
		case 12:
			l = "ZUNIONSTORE u 2 big lex WEIGHTS 2 0.5 AGGREGATE " + []string{"SUM", "MIN", "MAX"}[rng.IntN(3)]
		case 13:
			l = "ZINTER 2 big u WITHSCORES"
		case 14:
			l = "ZDIFF 2 big lex WITHSCORES"
		case 15:
			l = "ZRANGESTORE d big " + bound() + " " + bound() + " BYSCORE"
		}
		script = append(script, l)
		if i%50 == 0 {
			script = append(script, "ZCARD big", "ZRANGE big 0 -1 WITHSCORES", "ZRANGE u 0 -1 WITHSCORES", "OBJECT ENCODING big", "ZCARD lex")
		}
	}
	diffScripts["zsets_generated"] = script
}
