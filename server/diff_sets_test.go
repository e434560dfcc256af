package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Differential scripts of the set commands (see diff_test.go). Keys of a
// multi-key command share the hash tag {s}, as Redis Cluster needs them in
// one slot. OBJECT ENCODING is compared for intset and hashtable only:
// redis-server 7.0 has no listpack sets (7.2 does; the store tests hold
// that encoding to 7.2's rules).
func init() {
	setsScript = []string{
		// SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS
		"SADD {s}a 1 2 3", "SADD {s}a 3 4", "SADD {s}a", "SCARD {s}a", "SCARD nokey", "SISMEMBER {s}a 1",
		"SISMEMBER {s}a 9", "SISMEMBER nokey 1", "SISMEMBER {s}a", "SMISMEMBER {s}a 1 9 4", "SMISMEMBER nokey 1 2",
		"SMISMEMBER {s}a", "SMEMBERS {s}a", "SMEMBERS nokey", "SMEMBERS {s}a extra", "OBJECT ENCODING {s}a",
		"SADD {s}b x y z 1", "SMEMBERS {s}b", "SREM {s}b x x nope", "SREM nokey x", "SREM {s}b", "SCARD {s}b",
		"SREM {s}b y z 1", "EXISTS {s}b", "SADD {s}n -1 0 9223372036854775807 -9223372036854775808 01 +1 -0 \" 1\"",
		"SMEMBERS {s}n", "SISMEMBER {s}n 01", "SISMEMBER {s}n -0", "SISMEMBER {s}n 9223372036854775807",
		"SISMEMBER {s}n 9223372036854775808",
		// Types: TYPE, SCAN TYPE, wrong types both ways, EXPIRE, COPY, RENAME, DEL.
		"TYPE {s}a", "SET {s}str v", "HSET {s}h f v", "SADD {s}str x", "SREM {s}str x", "SCARD {s}str",
		"SISMEMBER {s}str x", "SMISMEMBER {s}str x", "SMEMBERS {s}str", "SPOP {s}str", "SPOP {s}str 2",
		"SPOP {s}str 0", "SRANDMEMBER {s}str", "SRANDMEMBER {s}str 2", "SRANDMEMBER {s}str 0", "SSCAN {s}str 0",
		"GET {s}a", "HGET {s}a f", "SCAN 0 TYPE set COUNT 1000", "EXPIRE {s}a 100", "TTL {s}a",
		"COPY {s}a {s}c", "SMEMBERS {s}c", "TTL {s}c", "RENAME {s}c {s}d", "SMEMBERS {s}d", "EXISTS {s}c",
		"DEL {s}d", "EXISTS {s}d", "PERSIST {s}a",
		// SPOP and SRANDMEMBER: counts, errors, missing keys, one-member sets.
		"SPOP nokey", "SPOP nokey 3", "SPOP nokey 0", "SPOP {s}a -1", "SPOP {s}a x", "SPOP {s}a 1.5",
		"SPOP {s}a 1 2", "SPOP {s}a 0", "SPOP {s}a 9223372036854775808", "SRANDMEMBER nokey", "SRANDMEMBER nokey 5",
		"SRANDMEMBER nokey -5", "SRANDMEMBER nokey 0", "SRANDMEMBER {s}a 0", "SRANDMEMBER {s}a x",
		"SRANDMEMBER {s}a 1 2", "SRANDMEMBER {s}a -9223372036854775808", "SRANDMEMBER nokey -9223372036854775807",
		"SRANDMEMBER {s}a 100", "SRANDMEMBER {s}a 9223372036854775807", "SADD {s}one only", "SRANDMEMBER {s}one",
		"SRANDMEMBER {s}one -3", "SRANDMEMBER {s}one 1", "SRANDMEMBER {s}one 5", "SPOP {s}one 5", "EXISTS {s}one",
		"SADD {s}one only", "SPOP {s}one", "EXISTS {s}one", "SADD {s}p 1 2 3", "SPOP {s}p 3", "EXISTS {s}p",
		"SADD {s}p 1 2 3", "SPOP {s}p 100", "EXISTS {s}p", "SADD {s}p a", "SPOP {s}p 1", "SADD {s}q 5 6",
		"SCARD {s}q",
		// SMOVE: wrong types at either end, missing source, same key, new destination.
		"SMOVE {s}a {s}e 1", "SMEMBERS {s}e", "SMOVE {s}a {s}e 1", "SMOVE nokey{s} {s}e 1", "SMOVE nokey{s} {s}str 1",
		"SMOVE {s}a {s}str 2", "SMOVE {s}str {s}a 2", "SMOVE {s}a {s}a 2", "SMOVE {s}a {s}a 99", "SMOVE {s}e {s}a 1",
		"EXISTS {s}e", "SMOVE {s}a {s}h 2", "SMOVE {s}a {s}e 2 extra",
		// Algebra, with missing keys, wrong types anywhere, repeated keys.
		"DEL {s}a", "SADD {s}a 1 2 3 4 5", "SADD {s}b 3 4 5 6 x", "SADD {s}c 4 5 y",
		"SINTER {s}a {s}b {s}c", "SINTER {s}a", "SINTER {s}a {s}a", "SINTER {s}a {s}none", "SINTER {s}none {s}a",
		"SINTER {s}none {s}str", "SINTER {s}a {s}str", "SINTER {s}b {s}c",
		"SUNION {s}a {s}b {s}c", "SUNION {s}a {s}none", "SUNION {s}none", "SUNION {s}a {s}str", "SUNION {s}a {s}a",
		"SDIFF {s}a {s}b {s}c", "SDIFF {s}a {s}none", "SDIFF {s}none {s}a", "SDIFF {s}a {s}a", "SDIFF {s}b {s}a {s}b",
		"SDIFF {s}a {s}str", "SDIFF {s}none {s}str", "SDIFF {s}b", "SDIFF {s}b {s}c {s}a",
		"SINTERCARD 3 {s}a {s}b {s}c", "SINTERCARD 2 {s}a {s}b", "SINTERCARD 2 {s}a {s}b LIMIT 1",
		"SINTERCARD 2 {s}a {s}b LIMIT 0", "SINTERCARD 2 {s}a {s}b limit 100", "SINTERCARD 2 {s}a {s}b LIMIT -1",
		"SINTERCARD 2 {s}a {s}b LIMIT x", "SINTERCARD 2 {s}a {s}b LIMIT", "SINTERCARD 2 {s}a {s}b bogus 1",
		"SINTERCARD 2 {s}a {s}b LIMIT 1 LIMIT 2", "SINTERCARD 0 {s}a", "SINTERCARD -1 {s}a", "SINTERCARD x {s}a",
		"SINTERCARD 3 {s}a {s}b", "SINTERCARD 1 {s}none", "SINTERCARD 2 {s}a {s}str", "SINTERCARD 1 {s}a",
		"SINTERCARD 2 {s}none {s}str",
		"SINTERSTORE {s}d {s}a {s}b", "SMEMBERS {s}d", "OBJECT ENCODING {s}d", "SINTERSTORE {s}d {s}a {s}none",
		"EXISTS {s}d", "SET {s}d v EX 100", "SUNIONSTORE {s}d {s}a {s}b", "TYPE {s}d", "TTL {s}d", "SMEMBERS {s}d",
		"SDIFFSTORE {s}d {s}a {s}b", "SMEMBERS {s}d", "SDIFFSTORE {s}d {s}a {s}a",
		"EXISTS {s}d", "SET {s}d v", "SINTERSTORE {s}d {s}none", "EXISTS {s}d", "SUNIONSTORE {s}d {s}a {s}str",
		"SDIFFSTORE {s}d {s}str", "SINTERSTORE {s}d {s}a {s}str", "SUNIONSTORE {s}a {s}a {s}c", "SMEMBERS {s}a",
		"SDIFFSTORE {s}a {s}a {s}c", "SMEMBERS {s}a", "SUNIONSTORE {s}d {s}none", "SDIFFSTORE {s}d",
		"SUNIONSTORE {s}h {s}a", "TYPE {s}h", "SINTERSTORE {s}u {s}a {s}a", "SMEMBERS {s}u",
		// SSCAN: cursor, options, wrong type, missing key.
		// A small set of integers (an intset) is returned whole, cursor 0,
		// whatever the cursor or COUNT; small sets of strings are
		// hashtables in 7.0 but listpacks (also returned whole) in 7.2, so
		// they are scanned with a COUNT that covers them.
		"SSCAN nokey 0", "SSCAN nokey 0 bogus", "SSCAN {s}b x", "SSCAN {s}q -1", "SSCAN {s}b 0 COUNT 0",
		"SSCAN {s}b 0 COUNT x", "SSCAN {s}b 0 TYPE set", "SSCAN {s}b 0 NOVALUES", "SSCAN {s}b 0 MATCH",
		"SSCAN {s}b 0 COUNT 1000", "SSCAN {s}b 0 MATCH [3x] COUNT 1000", "SSCAN {s}q 0 match * count 1",
		"SSCAN {s}q 5 MATCH 5", "SSCAN {s}b 0 MATCH nomatch COUNT 1000",
		// Arity.
		"SADD {s}a", "SREM {s}a", "SCARD", "SMEMBERS", "SISMEMBER {s}a", "SMISMEMBER {s}a", "SPOP", "SRANDMEMBER",
		"SMOVE {s}a {s}b", "SINTER", "SINTERCARD 1", "SINTERSTORE {s}d", "SUNION", "SUNIONSTORE {s}d", "SDIFF",
		"SDIFFSTORE {s}d", "SSCAN {s}a",
	}
	// Encodings redis-server 7.0 and 7.2 agree on: intset while integers
	// and at most 512 of them, hashtable past that or for long members.
	enc := []string{"DEL {s}i"}
	for i := range 16 {
		args := "SADD {s}i"
		for j := range 32 {
			args += " " + itoa(i*32+j)
		}
		enc = append(enc, args)
	}
	enc = append(enc, "SCARD {s}i", "OBJECT ENCODING {s}i", "SADD {s}i 512", "OBJECT ENCODING {s}i", "SCARD {s}i",
		"SREM {s}i 512", "OBJECT ENCODING {s}i", "SADD {s}j 1 2 3 "+longMember(70), "OBJECT ENCODING {s}j",
		"SADD {s}k 1 2 3", "SADD {s}k "+longMember(70), "OBJECT ENCODING {s}k", "SISMEMBER {s}k "+longMember(70),
		"SINTERSTORE {s}x {s}i {s}k", "OBJECT ENCODING {s}x", "SMEMBERS {s}x", "SUNIONSTORE {s}x {s}k {s}i",
		"OBJECT ENCODING {s}x", "SCARD {s}x", "SDIFFSTORE {s}x {s}i {s}k", "OBJECT ENCODING {s}x", "SCARD {s}x",
		"SMOVE {s}k {s}m 1", "OBJECT ENCODING {s}m", "SINTERCARD 2 {s}i {s}k", "SINTERCARD 2 {s}i {s}x LIMIT 10",
		"SPOP {s}i 600", "EXISTS {s}i", "SSCAN {s}x 0 COUNT 10000",
	)
	setsScript = append(setsScript, enc...)
	diffScripts["sets"] = setsScript
	for _, c := range []string{"smembers", "sinter", "sunion", "sdiff", "srandmember"} {
		diffCompare[c] = cmpUnordered
	}
	diffCompare["sscan"] = cmpScan
	// 7.0 flags SINTERSTORE's destination RW; 7.2's command table (as
	// SUNIONSTORE's and SDIFFSTORE's) OW, and meshcache follows 7.2.
	getKeysSamples = append(getKeysSamples, "SADD s m", "SMOVE a b m", "SINTER a b c", "SUNIONSTORE d a b",
		"SINTERCARD 2 a b LIMIT 1", "SINTERCARD 3 a b", "SINTERCARD 0 a", "SSCAN s 0")
	commandInfoSkips["sinterstore"] = map[int]string{8: "destination key spec OW, as Redis 7.2"}
	diffCompare["spop"] = cmpUnordered
}

// setsScript is the script of the set commands.
var setsScript []string

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// longMember is a member too long for a listpack (over 64 bytes).
func longMember(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return string(b)
}

// TestSetsCrossSlot checks that on a cluster the multi-key set commands
// refuse keys in several slots, SINTERCARD's keynum keys included, as
// Redis Cluster does, and run when the keys share a slot.
func TestSetsCrossSlot(t *testing.T) {
	s, _ := newKeysServer(t, true)
	c := testClient(s)
	for _, line := range []string{"SINTER a b", "SUNION a b", "SDIFF a b", "SINTERSTORE d a", "SUNIONSTORE d a b",
		"SDIFFSTORE {a}d a b", "SMOVE a b m", "SINTERCARD 2 a b", "SINTERCARD 2 a b LIMIT 1"} {
		assert.Equal(t, "-"+errCrossSlot+"\r\n", do(s, c, splitCommand(line)...), line)
	}
	assert.Equal(t, ":2\r\n", do(s, c, "SADD", "{a}x", "1", "2"))
	assert.Equal(t, ":1\r\n", do(s, c, "SADD", "{a}y", "2"))
	assert.Equal(t, ":1\r\n", do(s, c, "SINTERCARD", "2", "{a}x", "{a}y"))
	assert.Equal(t, ":1\r\n", do(s, c, "SMOVE", "{a}x", "{a}z", "1"))
	assert.Equal(t, ":1\r\n", do(s, c, "SINTERSTORE", "{a}d", "{a}x", "{a}y"))
}
