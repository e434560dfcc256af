package server

import (
	"strconv"
	"strings"
)

// The HyperLogLog family's differential script (see diff_test.go). GET of
// a PF key compares the representation itself: the same PFADDs must give
// redis-server's bytes, sparse and dense, with the cached cardinality.
func init() {
	diffScripts["hll"] = []string{
		"PFADD h a b c", "GET h", "PFCOUNT h", "GET h", "PFADD h a", "PFADD h", "PFADD new", "GET new", "PFCOUNT new",
		"PFADD h d e f g", "PFCOUNT h", "GET h", "PFCOUNT nokey", "PFCOUNT nokey h", "PFCOUNT h h", "GET h",
		pfaddMany("s", 0, 300), "GET s", "PFCOUNT s", "GET s", "STRLEN s",
		pfaddMany("d", 0, 3000), "STRLEN d", "PFCOUNT d", "GET d", pfaddMany("d", 2000, 4000), "PFCOUNT d", "GET d",
		"PFCOUNT s d", "PFCOUNT d s nokey",
		"PFMERGE m s h", "GET m", "PFCOUNT m", "PFMERGE m d", "STRLEN m", "PFCOUNT m", "GET m",
		"PFMERGE m2", "GET m2", "PFMERGE m3 nokey", "GET m3", "PFMERGE h h", "GET h", "PFMERGE s2 s", "GET s2",
		"SET ttl x", "DEL ttl", "PFADD ttl a", "EXPIRE ttl 100", "PFADD ttl b c d", "TTL ttl", "PFMERGE ttl h", "TTL ttl",
		// hll-sparse-max-bytes decides the promotion.
		"CONFIG SET hll-sparse-max-bytes 30", pfaddMany("p", 0, 40), "STRLEN p", "PFCOUNT p",
		"CONFIG SET hll-sparse-max-bytes 3000",
		// Invalid values.
		"SET str foo", "PFADD str a", "PFCOUNT str", "PFCOUNT h str", "PFMERGE str h", "PFMERGE h str", "PFMERGE m4 str", "EXISTS m4",
		"SET n 123", "PFADD n a", "PFCOUNT n", "SET e \"\"", "PFCOUNT e",
		"SET bad HYLLxxxxxxxxxxxxxxxx", "PFCOUNT bad", "PFADD bad a",
		"SET bad2 \"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\"", "PFCOUNT bad2",
		"SET bad3 \"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\"", "PFCOUNT bad3", "PFADD bad3 a",
		"SET sp1 \"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\"", "PFCOUNT sp1", "PFADD sp1 a", "PFCOUNT sp1 h", "PFMERGE sp1 h",
		"SET sp2 \"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\"", "PFCOUNT sp2", "PFADD sp2 a",
		"SET sp3 \"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\xff\xff\"", "PFCOUNT sp3", "PFADD sp3 a", "PFMERGE sp3",
		"SET sp4 \"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\"", "PFCOUNT sp4", "PFCOUNT sp4 h",
		"HSET hash f v", "PFADD hash a", "PFCOUNT hash", "PFCOUNT h hash", "PFMERGE hash h", "PFMERGE h hash",
		"PFADD", "PFCOUNT", "PFMERGE",
		// PFDEBUG.
		"PFDEBUG ENCODING h", "PFDEBUG DECODE h", "PFDEBUG ENCODING d", "PFDEBUG DECODE d", "PFDEBUG decode new",
		"PFDEBUG TODENSE d", "PFDEBUG TODENSE h", "PFDEBUG ENCODING h", "GET h", "PFDEBUG GETREG s2", "GET s2",
		"PFSELFTEST", "PFSELFTEST x", "PFDEBUG GETREG m", "PFDEBUG TODENSE sp3", "PFDEBUG GETREG sp4",
		"PFDEBUG ENCODING nokey", "PFDEBUG bogus nokey", "PFDEBUG bogus h", "PFDEBUG ENCODING str", "PFDEBUG ENCODING hash",
		"PFDEBUG", "PFDEBUG ENCODING", "PFDEBUG ENCODING h x",
	}
}

// pfaddMany is one PFADD of elements prefix:from..prefix:to-1 to key.
func pfaddMany(key string, from, to int) string {
	var b strings.Builder
	b.WriteString("PFADD " + key)
	for i := from; i < to; i++ {
		b.WriteString(" e" + strconv.Itoa(i))
	}
	return b.String()
}
