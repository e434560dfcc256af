package server

import "strings"

// Differential script of the encoding thresholds (see diff_test.go): the
// settings' names, aliases, ranges and error texts, and OBJECT ENCODING
// under limits changed with CONFIG SET, at, below and above each limit,
// including a change between two writes of the same key. Lists are left
// out of the encodings (redis-server 7.0 reports every list as a
// quicklist; the store's tests hold lists to 7.2's rules), and so are
// listpack sets (7.0 has none: a new set of one integer under
// set-max-intset-entries 0 is a listpack in 7.2, a hashtable in 7.0),
// set-max-listpack-*, which 7.0 does not know, and ZADD's size hint (7.2
// makes a new sorted set a skiplist when ZADD brings more pairs than
// zset-max-listpack-entries, 7.0 does not): the store's tests hold those
// to 7.2's rules. CONFIG GET patterns are left out too: Redis answers in
// its dict's order. The script ends by restoring Redis's defaults, as the scripts
// share their servers.
func init() {
	script := []string{
		// The settings: names, aliases, defaults, ranges and errors.
		"CONFIG GET hash-max-listpack-entries", "CONFIG GET hash-max-ziplist-entries", "CONFIG GET hash-max-listpack-value",
		"CONFIG GET hash-max-ziplist-value", "CONFIG GET set-max-intset-entries", "CONFIG GET zset-max-listpack-entries",
		"CONFIG GET zset-max-ziplist-entries", "CONFIG GET zset-max-listpack-value", "CONFIG GET zset-max-ziplist-value",
		"CONFIG GET list-max-listpack-size", "CONFIG GET list-max-ziplist-size", "CONFIG GET list-compress-depth",
		"CONFIG SET hash-max-listpack-entries -1", "CONFIG SET hash-max-listpack-entries abc",
		"CONFIG SET hash-max-listpack-value -1", "CONFIG SET hash-max-listpack-value abc",
		"CONFIG SET set-max-intset-entries 1.5", "CONFIG SET zset-max-listpack-entries -5",
		"CONFIG SET list-max-listpack-size 99999999999", "CONFIG SET list-max-listpack-size x",
		"CONFIG SET list-compress-depth -1", "CONFIG SET list-compress-depth 2", "CONFIG GET list-compress-depth",
		"CONFIG SET list-compress-depth 0",
		"CONFIG SET hash-max-listpack-value 1kb", "CONFIG GET hash-max-listpack-value",
		"CONFIG SET zset-max-ziplist-value 2gb", "CONFIG GET zset-max-listpack-value",
		"CONFIG SET list-max-ziplist-size 5", "CONFIG GET list-max-listpack-size",
		"CONFIG SET list-max-listpack-size -5", "CONFIG GET list-max-ziplist-size",
		"CONFIG SET list-max-listpack-size -2", "CONFIG SET zset-max-listpack-value 64",

		// Hashes: at, above, a change between writes, an overwrite past
		// a lowered limit, long fields and values, aliases.
		"CONFIG SET hash-max-listpack-entries 4", "CONFIG SET hash-max-listpack-value 8",
		"HSET h a 1 b 2 c 3 d 4", "OBJECT ENCODING h", "HSET h e 5", "OBJECT ENCODING h", "HDEL h e d c",
		"OBJECT ENCODING h", "HSET h2 a 12345678", "OBJECT ENCODING h2", "HSET h3 a 123456789", "OBJECT ENCODING h3",
		"HSET h4 abcdefghi 1", "OBJECT ENCODING h4", "HSET h5 a 1 b 2 c 3", "CONFIG SET hash-max-ziplist-entries 2",
		"OBJECT ENCODING h5", "HSET h5 a 9", "OBJECT ENCODING h5", "CONFIG SET hash-max-listpack-entries 0",
		"HSET h6 a 1", "OBJECT ENCODING h6", "HINCRBY h7 n 1", "OBJECT ENCODING h7",
		"CONFIG SET hash-max-listpack-entries 512", "CONFIG SET hash-max-listpack-value 64",
		"HSET h8 a 1", "OBJECT ENCODING h8", "HSET h " + strings.Repeat("x", 64), "OBJECT ENCODING h",

		// Sets (intset and hashtable only): at and above the intset
		// limit, a limit lowered between writes, the *STORE results.
		"CONFIG SET set-max-intset-entries 4", "SADD {s}a 1 2 3 4", "OBJECT ENCODING {s}a", "SADD {s}a 5",
		"OBJECT ENCODING {s}a", "SREM {s}a 5 4 3", "OBJECT ENCODING {s}a", "SADD {s}b 1 2 3",
		"CONFIG SET set-max-intset-entries 2", "OBJECT ENCODING {s}b", "SADD {s}b 3", "OBJECT ENCODING {s}b",
		"SADD {s}b 4", "OBJECT ENCODING {s}b", "SADD {s}c 7 8", "OBJECT ENCODING {s}c",
		"SUNIONSTORE {s}d {s}c", "OBJECT ENCODING {s}d", "SADD {s}e 1 2 3 4 5 6", "SINTERSTORE {s}f {s}e {s}e",
		"OBJECT ENCODING {s}f", "CONFIG SET set-max-intset-entries 512", "SADD {s}h 1", "OBJECT ENCODING {s}h",

		// Sorted sets: entries and value limits, ZADD's size hint, a
		// lowered limit at the next insert, STORE results that pick
		// their form from the final contents.
		"CONFIG SET zset-max-listpack-entries 3", "CONFIG SET zset-max-listpack-value 4",
		"ZADD {z}a 1 a 2 b 3 c", "OBJECT ENCODING {z}a", "ZADD {z}a 4 d", "OBJECT ENCODING {z}a",
		"ZREM {z}a d c b", "OBJECT ENCODING {z}a",
		"ZADD {z}c 1 abcd", "OBJECT ENCODING {z}c", "ZADD {z}d 1 abcde", "OBJECT ENCODING {z}d",
		"ZADD {z}e 1 a 2 b", "CONFIG SET zset-max-ziplist-entries 1", "OBJECT ENCODING {z}e", "ZADD {z}e 5 a",
		"OBJECT ENCODING {z}e", "ZADD {z}e 1 c", "OBJECT ENCODING {z}e", "ZUNIONSTORE {z}f 1 {z}a",
		"OBJECT ENCODING {z}f", "ZUNIONSTORE {z}g 1 {z}e", "OBJECT ENCODING {z}g", "ZINCRBY {z}h 1 m",
		"OBJECT ENCODING {z}h", "CONFIG SET zset-max-listpack-entries 0", "ZADD {z}i 1 a", "OBJECT ENCODING {z}i",
		"CONFIG SET zset-max-listpack-entries 128", "CONFIG SET zset-max-listpack-value 64",
		"ZADD {z}j 1 a", "OBJECT ENCODING {z}j", "ZRANGESTORE {z}k {z}e 0 -1", "OBJECT ENCODING {z}k",

		// Lists: the pushes and pops under changed limits answer alike
		// (encodings differ between 7.0 and 7.2, see above).
		"CONFIG SET list-max-listpack-size 2", "RPUSH l a b c d e", "LRANGE l 0 -1", "LPOP l 4", "LLEN l",
		"CONFIG SET list-max-listpack-size -1", "RPUSH l " + strings.Repeat("y", 5000), "LINDEX l 1",
		"CONFIG SET list-max-listpack-size -2",
	}
	diffScripts["encodings"] = script
}
