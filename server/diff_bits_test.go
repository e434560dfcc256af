package server

// The bitmap family's differential script (see diff_test.go): SETBIT
// GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, their errors and edge
// cases (offsets 0 and 2^32-1, the 512 MB bound, empty and missing keys,
// negative and BIT ranges, every overflow mode and width).
func init() {
	diffScripts["bits"] = []string{
		// SETBIT GETBIT: offsets, values, growth, errors.
		"SETBIT b 7 1", "GET b", "SETBIT b 7 1", "SETBIT b 7 0", "GETBIT b 7", "SETBIT b 0 1", "GET b", "STRLEN b",
		"SETBIT b 100 1", "STRLEN b", "GETBIT b 100", "GETBIT b 101", "GETBIT b 1000000", "GETBIT nokey 0",
		"SETBIT b 4294967296 1", "SETBIT b 4294967295 2", "SETBIT b -1 1", "SETBIT b x 1", "SETBIT b 1 x", "SETBIT b 1 -1",
		"SETBIT b 1 01", "SETBIT b \"\" 1", "SETBIT b 1 \"\"", "SETBIT b 01 1", "SETBIT b +1 1", "SETBIT b 1 +1",
		"SETBIT b 9223372036854775807 1", "SETBIT b 9223372036854775808 1", "GETBIT b 4294967296", "GETBIT b -1",
		"GETBIT b x", "GETBIT nokey x", "EXISTS e", "SETBIT e 0 0", "GET e", "SETBIT t 0 1", "EXPIRE t 100",
		"SETBIT t 9 1", "TTL t", "GET t",
		"SETBIT", "SETBIT b 1", "GETBIT b", "GETBIT b 1 2",
		// Integer-encoded strings read as their digits.
		"SET n 12345", "GETBIT n 2", "GETBIT n 7", "BITCOUNT n", "BITPOS n 1", "SETBIT n 6 1", "GET n",
		// BITCOUNT: byte and bit ranges, negatives, errors.
		"SET s foobar", "BITCOUNT s", "BITCOUNT s 0 0", "BITCOUNT s 1 1", "BITCOUNT s 1 1 BYTE", "BITCOUNT s 5 30 BIT",
		"BITCOUNT s -1 -1", "BITCOUNT s -2 -1", "BITCOUNT s -1 -2", "BITCOUNT s -100 -1", "BITCOUNT s 0 -100",
		"BITCOUNT s 2 1", "BITCOUNT s 0 100", "BITCOUNT s -5 -1 bit", "BITCOUNT s -48 -1 BIT", "BITCOUNT s 47 47 bit",
		"BITCOUNT s 1 6 BIT", "BITCOUNT s 3 3 BIT", "BITCOUNT s 9223372036854775807 -9223372036854775808",
		"BITCOUNT s -9223372036854775808 9223372036854775807 BIT", "BITCOUNT s 0", "BITCOUNT s 0 1 bits",
		"BITCOUNT s a 1", "BITCOUNT s 0 b", "BITCOUNT s 0 1 BYTE x", "BITCOUNT nokey", "BITCOUNT nokey 0",
		"BITCOUNT nokey 0 1 bogus", "BITCOUNT nokey a b", "SET empty \"\"", "BITCOUNT empty", "BITCOUNT empty 0 -1",
		"BITCOUNT empty 0 -1 BIT", "BITCOUNT",
		// BITPOS: start/end, BIT mode, clear bits, errors.
		"SET p \"\\xff\\xf0\\x00\"", "SET p1 \"\xff\xf0\x00\"", "BITPOS p1 0", "BITPOS p1 1", "BITPOS p1 0 1", "BITPOS p1 0 2",
		"BITPOS p1 0 0 0", "BITPOS p1 0 0 1", "BITPOS p1 1 2", "BITPOS p1 1 2 -1", "BITPOS p1 0 7 15 BIT",
		"BITPOS p1 0 12 15 bit", "BITPOS p1 1 12 15 BIT", "BITPOS p1 1 3 3 BIT", "BITPOS p1 0 3 3 BIT",
		"BITPOS p1 0 -1 -1 BIT", "BITPOS p1 1 -8 -1 BIT", "BITPOS p1 0 -2 -1 BYTE", "BITPOS p1 0 -100 100",
		"BITPOS p1 1 5 2", "BITPOS p1 0 5 2 BIT", "BITPOS p1 1 9223372036854775807", "BITPOS p1 0 0 -1",
		"BITPOS p1 0 1 BIT", "BITPOS p1 1 1 BIT", "BITPOS p1 0 20 BIT",
		"SET ones \"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\"", "BITPOS ones 0", "BITPOS ones 0 0 -1", "BITPOS ones 0 0 -1 BIT",
		"BITPOS ones 0 3 BIT", "BITPOS ones 1 79 79 BIT", "BITPOS ones 0 2", "SET zeros \"\x00\x00\x00\x00\x00\x00\x00\x00\x00\"",
		"BITPOS zeros 1", "BITPOS zeros 0", "BITPOS zeros 1 3", "BITPOS zeros 0 8 8", "BITPOS zeros 0 71 71 BIT",
		"BITPOS empty 0", "BITPOS empty 1", "BITPOS empty 0 0 -1", "BITPOS nokey 0", "BITPOS nokey 1",
		"BITPOS nokey 1 x", "BITPOS nokey 2", "BITPOS p1 2", "BITPOS p1 -1", "BITPOS p1 x", "BITPOS p1 1 x", "BITPOS p1 1 0 x",
		"BITPOS p1 1 0 1 bogus", "BITPOS p1 1 0 1 BIT x", "BITPOS p1", "BITPOS",
		// BITOP.
		"SET k1 foobar", "SET k2 abcdef", "SET k3 \"\x01\x02\"", "BITOP AND dest k1 k2", "GET dest", "BITOP OR dest k1 k2 k3",
		"GET dest", "BITOP XOR dest k1 k2 k3", "GET dest", "BITOP NOT dest k1", "GET dest", "BITOP not dest k3", "GET dest",
		"BITOP and dest k1 nokey", "GET dest", "BITOP OR dest nokey k3", "GET dest", "BITOP AND dest nokey nokey2",
		"EXISTS dest", "SET dest x EX 100", "BITOP OR dest k1", "TTL dest", "BITOP NOT dest k1 k2", "BITOP NOT dest",
		"BITOP NAND dest k1", "BITOP", "BITOP AND dest", "BITOP AND k1 k1 k1", "GET k1", "BITOP NOT e2 empty", "EXISTS e2",
		"SET l1 0123456789abcdef0123456789abcdef0123456789", "SET l2 fedcba9876543210fedcba9876543210fedcb",
		"BITOP AND d2 l1 l2", "GET d2", "BITOP OR d2 l1 l2 k1", "GET d2", "BITOP XOR d2 l1 l2", "GET d2", "BITOP NOT d2 l1", "GET d2",
		// BITFIELD: widths, signs, offsets, overflow modes.
		"BITFIELD f SET i8 0 100 GET i8 0", "GET f", "BITFIELD f INCRBY i8 0 100", "BITFIELD f OVERFLOW SAT INCRBY i8 0 100",
		"BITFIELD f OVERFLOW FAIL INCRBY i8 0 100", "BITFIELD f OVERFLOW WRAP INCRBY i8 0 100", "BITFIELD f GET u8 0",
		"BITFIELD f SET u4 #1 15 GET u4 #1 GET u4 4 GET i4 4", "GET f", "BITFIELD f INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1",
		"BITFIELD f OVERFLOW sat INCRBY u2 100 -10 INCRBY i3 50 -100 INCRBY i3 50 100", "BITFIELD f overflow fail INCRBY u2 100 -10 INCRBY u2 100 4 GET u2 100",
		"BITFIELD f SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1 GET i64 1", "BITFIELD f INCRBY i64 0 -9223372036854775808",
		"BITFIELD f OVERFLOW SAT INCRBY i64 0 -9223372036854775808", "BITFIELD f SET i64 0 9223372036854775807 INCRBY i64 0 1",
		"BITFIELD f OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1", "BITFIELD f OVERFLOW FAIL INCRBY i64 0 1",
		"BITFIELD f SET u63 0 -1", "BITFIELD f OVERFLOW SAT SET u63 0 -1", "BITFIELD f OVERFLOW SAT SET u8 0 -5 GET u8 0",
		"BITFIELD f OVERFLOW FAIL SET u8 0 256 SET u8 0 255", "BITFIELD f SET i5 3 100 GET i5 3 SET i1 0 1 GET i1 0 GET u1 0",
		"BITFIELD f OVERFLOW SAT SET i5 3 -100 GET i5 3", "BITFIELD f INCRBY u63 0 9223372036854775807 INCRBY u63 0 9223372036854775807",
		"BITFIELD f OVERFLOW SAT INCRBY u63 0 9223372036854775807", "BITFIELD f GET u8 #1000 GET i64 4294967232",
		"BITFIELD f SET u8 #3 1 SET u8 #3 2", "GET f", "STRLEN f",
		// A BITFIELD whose SETs and INCRBYs change no bit is no write: a
		// WATCH on the key still lets EXEC run. One that changes a bit or
		// grows the string aborts it.
		"SET w x", "WATCH w", "BITFIELD w SET u8 0 120 GET u8 0 GET u8 100", "MULTI", "GET w", "EXEC",
		"WATCH w", "BITFIELD w OVERFLOW FAIL SET u8 0 120 SET i4 2 7", "MULTI", "GET w", "EXEC",
		"WATCH w", "BITFIELD w SET u8 0 121", "MULTI", "GET w", "EXEC",
		"WATCH w", "BITFIELD w SET u8 8 0", "MULTI", "STRLEN w", "EXEC",
		"WATCH w", "BITFIELD w INCRBY u8 0 0", "MULTI", "GET w", "EXEC",
		"WATCH w", "BITFIELD w INCRBY u8 0 1", "MULTI", "GET w", "EXEC",
		"BITFIELD nokey GET u8 0 GET i64 100", "EXISTS nokey", "BITFIELD nokey", "BITFIELD f", "BITFIELD nk OVERFLOW FAIL SET u2 0 7", "GET nk",
		"BITFIELD f GET u64 0", "BITFIELD f GET i65 0", "BITFIELD f GET i0 0", "BITFIELD f GET x8 0", "BITFIELD f GET \"\" 0",
		"BITFIELD f GET i8 -1", "BITFIELD f GET i8 x", "BITFIELD f GET i8 #-1", "BITFIELD f GET i8 #x", "BITFIELD f GET i8 ##1",
		"BITFIELD f GET i8 4294967295", "BITFIELD f GET i8 4294967296", "BITFIELD f GET i8 #536870911", "BITFIELD f GET i8 #536870912",
		"BITFIELD f GET i64 #1152921504606846976", "BITFIELD f GET i8 #1152921504606846976", "BITFIELD f SET i8 0 x",
		"BITFIELD f SET i8 0", "BITFIELD f GET i8", "BITFIELD f INCRBY i8 0", "BITFIELD f OVERFLOW", "BITFIELD f OVERFLOW bogus GET i8 0",
		"BITFIELD f bogus", "BITFIELD f GET i8 0 bogus", "BITFIELD f get i08 0", "BITFIELD f get i+8 0", "BITFIELD f SET i8 0 1.5",
		"BITFIELD f SET u8 4294967296 1", "BITFIELD", "BITFIELD f GET u8 0 SET x",
		// BITFIELD_RO.
		"BITFIELD_RO f GET u8 0 GET i16 #2", "BITFIELD_RO f SET u8 0 1", "BITFIELD_RO f INCRBY u8 0 1", "BITFIELD_RO f OVERFLOW SAT",
		"BITFIELD_RO f OVERFLOW SAT GET u8 0", "BITFIELD_RO nokey GET u8 0", "BITFIELD_RO f", "BITFIELD_RO f bogus", "BITFIELD_RO",
		"BITFIELD_RO f GET u64 0",
		// Wrong type.
		"HSET h f v", "SETBIT h 0 1", "SETBIT h x 1", "GETBIT h 0", "GETBIT h x", "BITCOUNT h", "BITCOUNT h 0 1 bogus",
		"BITPOS h 1", "BITPOS h 2", "BITOP AND dest h", "BITOP AND dest k1 h", "BITOP NOT dest h", "BITOP AND h k1", "TYPE h",
		"BITFIELD h GET u8 0", "BITFIELD h SET u8 0 1", "BITFIELD h SET u8 x 1", "BITFIELD_RO h GET u8 0", "BITFIELD_RO h SET u8 0 1",
	}
	if !raceEnabled {
		// The largest offsets make 512 MB strings: too slow for the
		// differential test's reply deadline under the race detector's
		// shadow memory, so they run in plain test runs only.
		diffScripts["bits"] = append(diffScripts["bits"],
			"SETBIT big 4294967295 1", "STRLEN big", "GETBIT big 4294967295", "GETBIT big 4294967294", "BITCOUNT big -2 -1",
			"BITCOUNT big 536870911 536870911", "BITCOUNT big -1 -1 BIT", "BITCOUNT big", "BITPOS big 0", "BITPOS big 1",
			"BITPOS big 1 -1", "BITPOS big 1 -8 -1 BIT", "BITPOS big 0 -1 -1 BIT", "DEL big",
			"SET f x", "BITFIELD f SET u8 4294967295 1 GET u8 0", "STRLEN f", "BITFIELD f GET u8 4294967295", "DEL f")
	}
	diffScripts["lcs"] = []string{
		"MSET key1 ohmytext key2 mynewtext", "LCS key1 key2", "LCS key1 key2 LEN", "LCS key1 key2 IDX",
		"LCS key1 key2 IDX MINMATCHLEN 4", "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS key1 key2 idx withmatchlen",
		"LCS key1 key2 IDX MINMATCHLEN -5", "LCS key1 key2 IDX MINMATCHLEN 0 WITHMATCHLEN MINMATCHLEN 2",
		"MSET a1 rhhuifhskfdjhfgsdufsuidfgskdjfhaaa a2 ahfdjksfhaaaiufdskjfgdsdkfsdfhsdkfhaa", "LCS a1 a2", "LCS a1 a2 IDX WITHMATCHLEN",
		"LCS a1 a2 IDX MINMATCHLEN 3", "LCS a2 a1 IDX", "LCS a1 a1", "LCS a1 a1 IDX WITHMATCHLEN",
		"LCS key1 nokey", "LCS nokey key1 IDX", "LCS nokey nokey2 IDX WITHMATCHLEN", "LCS nokey nokey2 LEN",
		"SET empty \"\"", "LCS empty key1", "LCS empty key1 IDX", "SET n 12345", "SET m 2340", "LCS n m", "LCS n m IDX",
		"LCS key1 key2 LEN IDX", "LCS key1 key2 IDX LEN", "LCS key1 key2 MINMATCHLEN", "LCS key1 key2 MINMATCHLEN x",
		"LCS key1 key2 MINMATCHLEN 1.5 LEN IDX", "LCS key1 key2 bogus", "LCS key1 key2 LEN bogus", "LCS key1 key2 LEN LEN",
		"HSET h f v", "LCS h key1", "LCS key1 h", "LCS h h bogus", "LCS nokey h LEN", "LCS", "LCS key1",
	}
}
