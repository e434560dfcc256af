package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/tests/testenv"
)

// The GEO family's differential scripts (see diff_test.go). Results of a
// search without ASC, DESC or COUNT come in the order Redis scans its
// cells, which meshcache reproduces, so they are compared exactly too;
// the points are chosen with distinct distances from every center, so
// sorting ties cannot differ.
func init() {
	diffScripts["geo"] = []string{
		// GEOADD: options, errors, counts.
		"GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
		"GEOADD Sicily 13.361389 38.115556 Palermo", "GEOADD Sicily CH 13.361389 38.115556 Palermo",
		"GEOADD Sicily CH 13.4 38.1 Palermo", "GEOADD Sicily 13.361389 38.115556 Palermo",
		"GEOADD Sicily NX 1 1 Palermo 12.758489 38.788135 edge1", "GEOADD Sicily XX 17.241510 38.788135 edge2",
		"GEOADD Sicily XX CH 15.087269 37.502669 Catania 2 2 nope", "GEOADD Sicily xx nx 1 1 a", "GEOADD Sicily NX XX 1 1 a",
		"GEOADD Sicily ch nx ch 1 1", "GEOADD Sicily 1 1", "GEOADD Sicily 1 1 a 2", "GEOADD Sicily ch ch ch",
		"GEOADD Sicily GT 1 1 a", "GEOADD Sicily 181 1 a", "GEOADD Sicily 1 86 a", "GEOADD Sicily -180.1 -85.06 a",
		"GEOADD Sicily abc 1 a", "GEOADD Sicily 1 abc a", "GEOADD Sicily 1 1 a 200 1 b", "GEOADD Sicily 1 1 a x 1 b",
		"GEOADD Sicily inf 1 a", "GEOADD Sicily -inf 1 a", "GEOADD Sicily 1 nan a", "GEOADD Sicily 1e400 1 a",
		"GEOADD Sicily 1e-400 1 a", "GEOADD Sicily \" 1\" 1 a", "GEOADD Sicily 1.5e300 1 a", "GEOADD Sicily \"\" 1 a",
		"EXISTS a", "GEOPOS Sicily a b",
		"GEOADD XXkey XX 1 1 a", "EXISTS XXkey", "GEOADD hexkey 0x10 0x1p3 h", "GEOPOS hexkey h",
		"GEOADD lim 180 0 e180 -180 0 w180 0 85.05112878 n 0 -85.05112878 s 1e-310 0 tiny -0 -0 zero",
		"GEOPOS lim e180 w180 n s tiny zero", "GEOHASH lim e180 w180 n s tiny zero",
		"TYPE Sicily",
		// GEOPOS GEOHASH GEODIST.
		"GEOPOS Sicily Palermo Catania NonExisting", "GEOPOS Sicily", "GEOPOS nokey a b", "GEOPOS nokey",
		"GEOHASH Sicily Palermo Catania NonExisting", "GEOHASH Sicily", "GEOHASH nokey a",
		"GEODIST Sicily Palermo Catania", "GEODIST Sicily Palermo Catania km", "GEODIST Sicily Palermo Catania MI",
		"GEODIST Sicily Palermo Catania ft", "GEODIST Sicily Palermo Catania m", "GEODIST Sicily Palermo Palermo",
		"GEODIST Sicily Palermo Catania parsec", "GEODIST Sicily Palermo Catania km x", "GEODIST Sicily Palermo nope",
		"GEODIST Sicily nope Palermo km", "GEODIST nokey a b", "GEODIST nokey a b parsec", "GEODIST Sicily a",
		"GEODIST lim e180 w180", "GEODIST lim n s km", "GEODIST lim tiny zero",
		// GEORADIUS and its _RO form.
		"GEORADIUS Sicily 15 37 200 km", "GEORADIUS Sicily 15 37 200 km ASC", "GEORADIUS Sicily 15 37 200 km DESC",
		"GEORADIUS Sicily 15 37 200 km WITHDIST", "GEORADIUS Sicily 15 37 200 km WITHCOORD",
		"GEORADIUS Sicily 15 37 200 km WITHHASH", "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC",
		"GEORADIUS Sicily 15 37 200 km COUNT 1", "GEORADIUS Sicily 15 37 200 km COUNT 1 DESC",
		"GEORADIUS Sicily 15 37 200 km COUNT 1 ANY", "GEORADIUS Sicily 15 37 200 km COUNT 5 ANY ASC",
		"GEORADIUS Sicily 15 37 200 km ANY", "GEORADIUS Sicily 15 37 200 km COUNT 0", "GEORADIUS Sicily 15 37 200 km COUNT -1",
		"GEORADIUS Sicily 15 37 200 km COUNT x", "GEORADIUS Sicily 15 37 200 km COUNT", "GEORADIUS Sicily 15 37 200 km bogus",
		"GEORADIUS Sicily 15 37 100 mi WITHDIST", "GEORADIUS Sicily 15 37 200000 M WITHDIST", "GEORADIUS Sicily 15 37 500000 ft WITHDIST",
		"GEORADIUS Sicily 15 37 10 km", "GEORADIUS Sicily 15 37 0 km", "GEORADIUS Sicily 15 37 -1 km", "GEORADIUS Sicily 15 37 x km",
		"GEORADIUS Sicily 15 37 1 parsec", "GEORADIUS Sicily 200 37 1 km", "GEORADIUS Sicily x 37 1 km", "GEORADIUS Sicily 15 37 inf km",
		"GEORADIUS Sicily 15 37 20000 km WITHDIST", "GEORADIUS nokey 15 37 200 km", "GEORADIUS nokey 200 37 200 km",
		"GEORADIUS nokey 15 37 200 km bogus", "GEORADIUS nokey 15 37 200 km STORE dst",
		"GEORADIUS Sicily 15 37 200 km STORE dst", "GEOPOS dst Palermo Catania", "TYPE dst", "ZRANGE dst 0 -1 WITHSCORES",
		"GEORADIUS Sicily 15 37 200 km STOREDIST dst", "GEOHASH dst Palermo Catania", "ZRANGE dst 0 -1",
		"GEORADIUS Sicily 15 37 200 km STORE dst COUNT 1 DESC", "GEOPOS dst Palermo Catania", "ZRANGE dst 0 -1 WITHSCORES",
		"GEORADIUS Sicily 15 37 1 km STORE dst", "EXISTS dst", "GEORADIUS Sicily 15 37 200 km STORE dst STOREDIST dst2",
		"EXISTS dst dst2", "GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST", "GEORADIUS Sicily 15 37 200 km WITHCOORD STOREDIST dst",
		"GEORADIUS Sicily 15 37 200 km STORE", "GEORADIUS Sicily 15 37 200 km STOREDIST", "GEORADIUS Sicily 15 37 -1 km STORE",
		"GEORADIUS Sicily 15 37 200 km COUNT 0 STORE", "GEORADIUS Sicily 15 37 200 km WITHDIST STOREDIST",
		"GEORADIUSBYMEMBER Sicily Palermo 200 km STORE", "GEORADIUS nokey 15 37 200 km STORE",
		"GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC", "GEORADIUS_RO Sicily 15 37 200 km STORE dst",
		"GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst", "GEORADIUS_RO nokey 15 37 200 km",
		// GEORADIUSBYMEMBER and its _RO form.
		"GEORADIUSBYMEMBER Sicily Palermo 200 km", "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST DESC",
		"GEORADIUSBYMEMBER Sicily Palermo 200 km WITHCOORD WITHHASH COUNT 1", "GEORADIUSBYMEMBER Sicily nope 200 km",
		"GEORADIUSBYMEMBER Sicily nope x km", "GEORADIUSBYMEMBER Sicily Palermo x km", "GEORADIUSBYMEMBER Sicily Palermo 1 parsec",
		"GEORADIUSBYMEMBER nokey m x km", "GEORADIUSBYMEMBER nokey m 1 km bogus", "GEORADIUSBYMEMBER nokey m 1 km STORE dst",
		"GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst", "GEOHASH dst Palermo Catania edge1", "ZRANGE dst 0 -1",
		"GEORADIUSBYMEMBER_RO Sicily Palermo 200 km ASC", "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst",
		// GEOSEARCH.
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
		"GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km DESC WITHDIST", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km WITHDIST",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km WITHDIST", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 250 250 mi COUNT 1",
		"GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 m", "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 m WITHDIST",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 0", "GEOSEARCH Sicily BYRADIUS 200 km FROMLONLAT 15 37 count 2 desc",
		"GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 200 km", "GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 200 km",
		"GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 200 km", "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km",
		"GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km BYBOX 1 1 km", "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 km BYRADIUS 1 km",
		"GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km BYRADIUS 300 km", "GEOSEARCH Sicily BYRADIUS 200 km WITHDIST",
		"geosearch Sicily BYRADIUS 200 km WITHDIST", "GEOSEARCH Sicily FROMLONLAT 15 37 WITHDIST ASC",
		"GeoSearch Sicily FROMMEMBER Palermo WITHDIST ASC", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 parsec",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsec", "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1",
		"GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 1 km", "GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km",
		"GEOSEARCH Sicily FROMMEMBER BYRADIUS 1 km", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE dst",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", "GEOSEARCH nokey FROMMEMBER x BYRADIUS 200 km",
		"GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km", "GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS x km",
		"GEOSEARCH nokey BYRADIUS 200 km WITHDIST", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY COUNT 1",
		// GEOSEARCHSTORE.
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km", "GEOPOS dst Palermo Catania", "ZRANGE dst 0 -1 WITHSCORES",
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1", "GEOHASH dst Palermo Catania",
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC STOREDIST", "GEOHASH dst Palermo Catania", "ZRANGE dst 0 -1",
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 km", "EXISTS dst",
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST", "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD",
		"GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x", "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST x",
		"GEOSEARCHSTORE dst Sicily BYRADIUS 200 km", "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo",
		"GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYBOX 1000 1000 km ANY", "SET dst x",
		"GEOSEARCHSTORE dst nokey FROMMEMBER Palermo BYRADIUS 1 km", "EXISTS dst", "SET dst x",
		"GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYRADIUS 1 km", "EXISTS dst",
		"GEOSEARCHSTORE Sicily2 Sicily FROMMEMBER Palermo BYRADIUS 1000 km", "GEOSEARCHSTORE Sicily2 Sicily2 FROMMEMBER Palermo BYRADIUS 100 km",
		"GEOPOS Sicily2 Palermo Catania", "ZRANGE Sicily2 0 -1 WITHSCORES", "OBJECT ENCODING Sicily2", "GEOSEARCHSTORE nokey2 nokey FROMMEMBER Palermo BYRADIUS 1 km", "EXISTS nokey2",
		// A set past the listpack limits (130 members, one with a long name).
		geoGridAdd("grid", 130), "OBJECT ENCODING grid", "GEOSEARCHSTORE gs grid FROMLONLAT 10 10 BYRADIUS 1000 km",
		"OBJECT ENCODING gs", "GEOSEARCHSTORE gs grid FROMLONLAT 10 10 BYRADIUS 1000 km COUNT 20", "OBJECT ENCODING gs",
		"GEOSEARCH grid FROMLONLAT 10.05 10.05 BYRADIUS 50 km COUNT 7 WITHDIST", "GEOSEARCH grid FROMLONLAT 10.05 10.05 BYBOX 20 10 km",
		"GEORADIUS grid 10 10 5 km STORE gs2", "ZRANGE gs2 0 -1", "OBJECT ENCODING gs2",
		"GEOADD small 10 10 " + strings.Repeat("x", 65), "OBJECT ENCODING small",
		"GEOSEARCHSTORE gs3 small FROMLONLAT 10 10 BYRADIUS 1 km", "OBJECT ENCODING gs3",
		// Scores GEOADD never writes decode as Redis decodes them.
		"ZADD odd -1.5 neg 1e30 big inf pinf -inf ninf 4503599627370496 top 0.5 half 3479099956230698 palermo",
		"GEOPOS odd neg big pinf ninf top half palermo", "GEOHASH odd neg big pinf ninf top half palermo",
		"GEODIST odd neg big km", "GEODIST odd half palermo",
		"GEOSEARCH odd FROMMEMBER palermo BYRADIUS 20000 km WITHHASH", "GEOADD odd 13.361389 38.115556 half",
		"ZSCORE odd half", "ZRANGE odd 0 -1",
		// Wrong type, arity.
		"SET str v", "GEOADD str 1 1 a", "GEOADD str 200 1 a", "GEOPOS str a", "GEOHASH str a", "GEODIST str a b",
		"GEODIST str a b parsec", "GEORADIUS str 200 1 1 km", "GEORADIUSBYMEMBER str a 1 km", "GEOSEARCH str bogus x y z",
		"GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km", "GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km", "TYPE str",
		"GEOADD", "GEOADD k 1 1", "GEOPOS", "GEOHASH", "GEODIST k a", "GEORADIUS k 1 1 1", "GEORADIUSBYMEMBER k a 1",
		"GEORADIUS_RO k 1 1 1", "GEORADIUSBYMEMBER_RO k a 1", "GEOSEARCH k FROMMEMBER a BYRADIUS 1",
		"GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1",
	}
}

// geoGridAdd is a GEOADD of n members on a grid around (10, 10), at
// steps that give every member a distinct distance from the centers
// the script searches around.
func geoGridAdd(key string, n int) string {
	var b strings.Builder
	b.WriteString("GEOADD " + key)
	for i := range n {
		fmt.Fprintf(&b, " %.4f %.4f m%d", 10+float64(i%13)*0.0371, 10+float64(i/13)*0.0293, i)
	}
	return b.String()
}

// geoGetKeysSamples are GEO commands whose keys COMMAND GETKEYS and
// GETKEYSANDFLAGS find: the keyword specs of GEORADIUS's STORE and
// STOREDIST (searched from the options on), GEOSEARCHSTORE's two keys.
var geoGetKeysSamples = []string{
	"GEOADD k 1 2 m", "GEOPOS k a b", "GEODIST k a b km", "GEOHASH k a", "GEOSEARCH k FROMMEMBER a BYRADIUS 1 km",
	"GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1 km", "GEORADIUS k 1 2 3 km", "GEORADIUS k 1 2 3 km STORE d",
	"GEORADIUS k 1 2 3 km STOREDIST d", "GEORADIUS k 1 2 3 km STORE d STOREDIST e", "GEORADIUS k 1 2 3 km store",
	"GEORADIUS k STORE 2 3 km STORE d", "GEORADIUSBYMEMBER k m 3 km STORE d", "GEORADIUSBYMEMBER k STORE 3 km",
	"GEORADIUS_RO k 1 2 3 km STORE d", "GEORADIUSBYMEMBER_RO k m 3 km",
}

// TestGeoGetKeysAgainstRedis compares COMMAND GETKEYS and GETKEYSANDFLAGS
// of the GEO commands, replies and errors, with redis-server's.
func TestGeoGetKeysAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ourAddr := startDataServer(t)
	for _, proto := range []string{"2", "3"} {
		theirs, ours := testenv.DialRaw(t, redisAddr), testenv.DialRaw(t, ourAddr)
		theirs.Must(t, "HELLO", proto)
		ours.Must(t, "HELLO", proto)
		for _, sample := range geoGetKeysSamples {
			for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
				args := append([]string{"COMMAND", sub}, splitCommand(sample)...)
				assert.Equal(t, string(theirs.Must(t, args...)), string(ours.Must(t, args...)), "RESP%s %q", proto, args)
			}
		}
	}
}
