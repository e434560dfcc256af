package server

// SORT and SORT_RO against redis-server. Patterns name keys with the
// sorted key's hash tag ({s}), the only ones a cluster allows (package
// sortcmd); both differential servers are standalone, which allows every
// pattern: "sort-any-slot" forms keys of many slots (Redis's sort.tcl
// does).
func init() {
	diffScripts["sort"] = []string{
		"SORT {s}none", "SORT_RO {s}none", "SORT {s}none STORE {s}dst", "EXISTS {s}dst",
		"RPUSH {s}l 3 1 2 10 -1.5 1e2", "SORT {s}l", "SORT {s}l DESC", "SORT {s}l ALPHA", "SORT {s}l ALPHA DESC",
		"SORT {s}l LIMIT 1 2", "SORT {s}l LIMIT -1 2", "SORT {s}l LIMIT 0 -1", "SORT {s}l LIMIT 10 5", "SORT {s}l LIMIT 5 100",
		"SORT {s}l LIMIT 1 x", "SORT {s}l LIMIT 1", "SORT {s}l bogus", "SORT {s}l ASC DESC ALPHA",
		"SORT {s}l BY nosort", "SORT {s}l BY nosort DESC", "SORT {s}l BY nosort LIMIT 1 3", "SORT {s}l BY nosort DESC LIMIT 1 3",
		"MSET {s}w_3 30 {s}w_1 10 {s}w_2 20 {s}w_10 5 {s}w_-1.5 7 {s}w_1e2 100",
		"SORT {s}l BY {s}w_*", "SORT {s}l BY {s}w_* DESC", "SORT {s}l BY {s}w_* GET #", "SORT {s}l BY {s}w_* GET {s}w_* GET #",
		"SORT {s}l GET {s}w_*", "SORT {s}l GET {s}nothing_*", "SORT {s}l BY {s}w_* ALPHA", "SORT {s}l BY {s}w_* LIMIT 1 2",
		"HSET {s}h_3 f c", "HSET {s}h_1 f a", "SORT {s}l GET {s}h_*->f", "SORT {s}l BY {s}h_*->f ALPHA GET {s}h_*->f",
		"SORT {s}l GET {s}h_*->", "SORT {s}l STORE {s}out", "LRANGE {s}out 0 -1", "TYPE {s}out",
		"SORT {s}l GET {s}w_* STORE {s}out", "LRANGE {s}out 0 -1", "SORT {s}l LIMIT 100 1 STORE {s}out", "EXISTS {s}out",
		"SET {s}str x", "SORT {s}str", "SORT {s}l STORE {s}str", "TYPE {s}str", "HSET {s}hh a 1", "SORT {s}hh",
		"RPUSH {s}bad 1 x 2", "SORT {s}bad", "SORT {s}bad ALPHA", "SORT_RO {s}l", "SORT_RO {s}l STORE {s}x",
		"SORT_RO {s}l BY {s}w_* GET #", "SORT {s}l STORE", "SORT {s}l GET", "SORT {s}l BY",
		"SADD {s}set 5 3 9 -2", "SORT {s}set", "SORT {s}set DESC", "SORT {s}set ALPHA LIMIT 1 2",
		"SORT {s}set BY nosort STORE {s}o", "LRANGE {s}o 0 -1", "SADD {s}sw b a c", "SORT {s}sw ALPHA DESC",
		"ZADD {s}z 3 a 1 b 2 c", "SORT {s}z ALPHA", "SORT {s}z BY nosort", "SORT {s}z BY nosort DESC LIMIT 0 2",
		"SORT {s}z BY nosort LIMIT 1 5", "SORT {s}z", "ZUNION 2 {s}z {s}sw WITHSCORES", "ZINTERSTORE {s}zi 2 {s}z {s}sw",
		"ZRANGE {s}zi 0 -1 WITHSCORES",
	}
	diffScripts["sort-any-slot"] = []string{
		"RPUSH l 3 1 2 10", "MSET w_3 30 w_1 10 w_2 20 w_10 5", "HSET h_1 f z", "HSET h_10 f a",
		"SORT l BY w_*", "SORT l BY w_* DESC GET #", "SORT l GET w_* GET #", "SORT l BY nosort GET w_*",
		"SORT l BY h_*->f ALPHA GET h_*->f GET #", "SORT l BY w_* STORE out", "LRANGE out 0 -1",
		"SORT_RO l BY w_* GET w_*", "SORT l BY w_* GET nothing_* LIMIT 1 2", "SADD s 3 1 2", "SORT s BY w_* GET w_*",
		"SORT l BY w_{x}* GET w?_*", "SORT l GET w_* STORE w_3", "TYPE w_3", "LRANGE w_3 0 -1",
	}
}
