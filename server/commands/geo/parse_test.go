package geo

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/commands/geohash"
	"github.com/meshcache/meshcache/server/resp"
)

func TestGeoParseDouble(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+2", 2, true}, {".5", 0.5, true}, {"5.", 5, true}, {"1e3", 1000, true},
		{"1E-3", 0.001, true}, {"0x10", 16, true}, {"0X1p4", 16, true}, {"0x1.8", 1.5, true}, {"-0x1P-1", -0.5, true},
		{"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true}, {"+INF", math.Inf(1), true}, {"0", 0, true},
		{"-0", 0, true}, {"0e500", 0, true}, {"0.000", 0, true}, {"0x0p-5000", 0, true}, {"1e-310", 1e-310, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"abc", 0, false}, {"nan", 0, false}, {"-nan", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1e-400", 0, false}, {"0x1p-1100", 0, false}, {"1e", 0, false},
		{"1e+", 0, false}, {".", 0, false}, {"0x", 0, false}, {"0x1p", 0, false}, {"1_000", 0, false},
		{"0x1_0", 0, false}, {"infinit", 0, false}, {"1.2.3", 0, false}, {"--1", 0, false}, {"0xg", 0, false},
		{"1e5x", 0, false}, {"\x00", 0, false},
		// At the bottom of the denormals, as glibc's strtod rounds them (checked on redis-server).
		{"2e-324", 0, false}, {"3e-324", 5e-324, true}, {"0x1p-1075", 0, false}, {"0x1.8p-1075", 5e-324, true},
		{"0x.8", 0.5, true}, {"0x1.", 1, true},
	} {
		f, ok := geoParseDouble([]byte(c.in))
		assert.Equal(t, c.ok, ok, "%q", c.in)
		if ok && c.ok {
			assert.Equal(t, c.want, f, "%q", c.in)
		}
	}
}

func geoArgs(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func TestParseGeoAdd(t *testing.T) {
	for _, c := range []struct {
		in         string
		err        string
		nx, xx, ch bool
		members    string
	}{
		{in: "GEOADD k 1 2 a", members: "a"},
		{in: "GEOADD k NX CH 1 2 a 3 4 b", nx: true, ch: true, members: "a b"},
		{in: "GEOADD k ch xx ch 1 2 a", xx: true, ch: true, members: "a"},
		{in: "GEOADD k nx 1 2 nx", nx: true, members: "nx"},
		{in: "GEOADD k NX XX 1 2 a", err: resp.ErrSyntax},
		{in: "GEOADD k 1 2 a 3", err: resp.ErrSyntax},
		{in: "GEOADD k ch ch ch", err: resp.ErrSyntax},
		{in: "GEOADD k GT 1 2", err: resp.ErrNotFloat},
		{in: "GEOADD k GT 1 2 a", err: resp.ErrSyntax},
		{in: "GEOADD k 1 x a", err: resp.ErrNotFloat},
		{in: "GEOADD k 180.5 0 a", err: "ERR invalid longitude,latitude pair 180.500000,0.000000"},
		{in: "GEOADD k 0 -85.1 a", err: "ERR invalid longitude,latitude pair 0.000000,-85.100000"},
		{in: "GEOADD k 0 0 a -inf 0 b", err: "ERR invalid longitude,latitude pair -inf,0.000000"},
		{in: "GEOADD k 0 0 a x 0 b 200 0 c", err: resp.ErrNotFloat},
	} {
		g, msg := parseGeoAdd(geoArgs(c.in))
		assert.Equal(t, c.err, msg, c.in)
		if c.err != "" {
			continue
		}
		assert.Equal(t, [3]bool{c.nx, c.xx, c.ch}, [3]bool{g.nx, g.xx, g.ch}, c.in)
		assert.Equal(t, c.members, string(bytes.Join(g.members, []byte(" "))), c.in)
		assert.Len(t, g.scores, len(g.members))
	}
	g, _ := parseGeoAdd(geoArgs("GEOADD k 13.361389 38.115556 Palermo"))
	assert.Equal(t, 3479099956230698.0, g.scores[0]) // ZSCORE on redis-server
}

// geoTestLocate knows the members a (at 1,2) and b (at 3,4).
func geoTestLocate(m []byte) ([2]float64, bool) {
	switch string(m) {
	case "a":
		return [2]float64{1, 2}, true
	case "b":
		return [2]float64{3, 4}, true
	}
	return [2]float64{}, false
}

func TestParseGeoQuery(t *testing.T) {
	const (
		radius   = geoRadiusCoords
		radiusRO = geoRadiusCoords | geoNoStore
		member   = geoRadiusMember
		search   = geoSearchCmd
		store    = geoSearchCmd | geoSearchStoreCmd
	)
	storeErr := "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	for _, c := range []struct {
		in      string
		flags   int
		missing bool // the source key does not exist
		err     string
		check   func(t *testing.T, q geoQuery)
	}{
		{in: "GEORADIUS k 1 2 3 km", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geohash.Shape{Type: geohash.Circular, XY: [2]float64{1, 2}, Radius: 3, Conversion: 1000}, q.shape)
			assert.Nil(t, q.storeKey)
			assert.Equal(t, geoSortNone, q.sort)
		}},
		{in: "GEORADIUS k 1 2 3 KM withdist WITHHASH withcoord desc count 5 any", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.True(t, q.withDist && q.withHash && q.withCoord && q.any)
			assert.Equal(t, int64(5), q.count)
			assert.Equal(t, geoSortDesc, q.sort)
		}},
		{in: "GEORADIUS k 1 2 3 m COUNT 2", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geoSortAsc, q.sort) // COUNT implies the nearest
		}},
		{in: "GEORADIUS k 1 2 3 m COUNT 2 ANY", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geoSortNone, q.sort)
		}},
		{in: "GEORADIUS k 1 2 3 ft STORE d STOREDIST e", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, "e", string(q.storeKey))
			assert.True(t, q.storeDist)
			assert.Equal(t, 0.3048, q.shape.Conversion)
		}},
		{in: "GEORADIUS k 1 2 3 mi STOREDIST d STORE e", flags: radius, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, "e", string(q.storeKey))
			assert.False(t, q.storeDist)
		}},
		{in: "GEORADIUS k 1 2 3 km STORE", flags: radius, err: resp.ErrSyntax},
		{in: "GEORADIUS k 1 2 3 km STORE d WITHDIST", flags: radius, err: storeErr},
		{in: "GEORADIUS k 1 2 3 km WITHCOORD STOREDIST d", flags: radius, err: storeErr},
		{in: "GEORADIUS_RO k 1 2 3 km STORE d", flags: radiusRO, err: resp.ErrSyntax},
		{in: "GEORADIUS k 1 2 3 km FROMMEMBER a", flags: radius, err: resp.ErrSyntax},
		{in: "GEORADIUS k x 2 3 km COUNT x", flags: radius, err: resp.ErrNotFloat},
		{in: "GEORADIUS k 1 2 x km COUNT x", flags: radius, err: "ERR need numeric radius"},
		{in: "GEORADIUS k 1 2 -3 km", flags: radius, err: "ERR radius cannot be negative"},
		{in: "GEORADIUS k 1 2 3 au", flags: radius, err: geoErrUnit},
		{in: "GEORADIUS k 1 2 3 km COUNT 0", flags: radius, err: "ERR COUNT must be > 0"},
		{in: "GEORADIUS k 1 2 3 km COUNT -5", flags: radius, err: "ERR COUNT must be > 0"},
		{in: "GEORADIUS k 1 2 3 km COUNT 1.5", flags: radius, err: resp.ErrNotInteger},
		{in: "GEORADIUS k 1 2 3 km COUNT", flags: radius, err: resp.ErrSyntax},
		{in: "GEORADIUS k 1 2 3 km ANY", flags: radius, err: "ERR the ANY argument requires COUNT argument"},
		{in: "GEORADIUS k 1 2 3 km COUNT 0 bogus", flags: radius, err: "ERR COUNT must be > 0"},
		{in: "GEORADIUS k 1 2 3 km bogus COUNT 0", flags: radius, err: resp.ErrSyntax},
		{in: "GEORADIUSBYMEMBER k b 7 m", flags: member, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, [2]float64{3, 4}, q.shape.XY)
			assert.Equal(t, 7.0, q.shape.Radius)
		}},
		{in: "GEORADIUSBYMEMBER k z x m", flags: member, err: geoErrMember},
		{in: "GEORADIUSBYMEMBER k a x m", flags: member, err: "ERR need numeric radius"},
		{in: "GEORADIUSBYMEMBER k z x m", flags: member, missing: true},
		{in: "GEORADIUSBYMEMBER k z x m bogus", flags: member, missing: true, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMMEMBER a BYRADIUS 1 km", flags: search, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geohash.Shape{Type: geohash.Circular, XY: [2]float64{1, 2}, Radius: 1, Conversion: 1000}, q.shape)
		}},
		{in: "GEOSEARCH k BYBOX 2 4 m FROMLONLAT 5 6 ASC", flags: search, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geohash.Shape{Type: geohash.Rectangle, XY: [2]float64{5, 6}, Width: 2, Height: 4, Conversion: 1}, q.shape)
			assert.Equal(t, geoSortAsc, q.sort)
		}},
		{in: "GEOSEARCH k FROMMEMBER a FROMMEMBER b BYRADIUS 1 km BYRADIUS 2 m", flags: search, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, geohash.Shape{Type: geohash.Circular, XY: [2]float64{3, 4}, Radius: 2, Conversion: 1}, q.shape)
		}},
		{in: "GEOSEARCH k FROMMEMBER z BYRADIUS 1 km", flags: search, err: geoErrMember},
		{in: "GEOSEARCH k BYRADIUS x km FROMMEMBER z", flags: search, err: "ERR need numeric radius"},
		{in: "GEOSEARCH k FROMMEMBER z BYRADIUS 1 km", flags: search, missing: true},
		{in: "GEOSEARCH k FROMMEMBER a FROMLONLAT 1 2 BYRADIUS 1 km", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMLONLAT 1 2 FROMMEMBER a BYRADIUS 1 km", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYRADIUS 1 km BYBOX 1 1 km", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX 1 1 km BYRADIUS 1 km", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMLONLAT 1 BYRADIUS 1 km", flags: search, err: resp.ErrNotFloat},
		{in: "GEOSEARCH k FROMLONLAT 1 100 BYRADIUS 1 km", flags: search, err: "ERR invalid longitude,latitude pair 1.000000,100.000000"},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX x 1 km", flags: search, err: "ERR need numeric width"},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX 1 x km", flags: search, err: "ERR need numeric height"},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX -1 1 km", flags: search, err: "ERR height or width cannot be negative"},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX 1 -1 km", flags: search, err: "ERR height or width cannot be negative"},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX 1 1 yd", flags: search, err: geoErrUnit},
		{in: "GEOSEARCH k FROMLONLAT 1 2 BYBOX 1 1", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k BYRADIUS 1 km", flags: search, err: "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"},
		{in: "geoSearch k FROMMEMBER a", flags: search, err: "ERR exactly one of BYRADIUS and BYBOX can be specified for geoSearch"},
		{in: "GEOSEARCH k FROMMEMBER a BYRADIUS 1 km STORE d", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMMEMBER a BYRADIUS 1 km STOREDIST", flags: search, err: resp.ErrSyntax},
		{in: "GEOSEARCH k FROMMEMBER a BYRADIUS 1 km ANY", flags: search, err: "ERR the ANY argument requires COUNT argument"},
		{in: "GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1 km STOREDIST", flags: store, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, "d", string(q.storeKey))
			assert.True(t, q.storeDist)
		}},
		{in: "GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1 km", flags: store, check: func(t *testing.T, q geoQuery) {
			assert.Equal(t, "d", string(q.storeKey))
			assert.False(t, q.storeDist)
		}},
		{in: "GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1 km WITHHASH", flags: store,
			err: "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
		{in: "GEOSEARCHSTORE d k FROMMEMBER a BYRADIUS 1 km STORE x", flags: store, err: resp.ErrSyntax},
		{in: "GEOSEARCHSTORE d k BYRADIUS 1 km WITHDIST", flags: store, missing: true,
			err: "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"},
	} {
		var locate geoLocate = geoTestLocate
		if c.missing {
			locate = nil
		}
		q, msg := parseGeoQuery(geoArgs(c.in), c.flags, locate)
		assert.Equal(t, c.err, msg, c.in)
		if msg == "" && c.check != nil {
			c.check(t, q)
		}
	}
}

// FuzzParseGeo feeds arbitrary arguments to every GEO parser: none may
// panic, an accepted query must be usable (a known shape with a positive
// conversion, a position within the limits, a positive COUNT with ANY),
// and GEOADD's accepted positions must encode.
func FuzzParseGeo(f *testing.F) {
	for _, s := range []string{
		"GEORADIUS k 1 2 3 km WITHDIST COUNT 2 ANY", "GEORADIUSBYMEMBER k a 1 m STORE d", "GEOSEARCH k FROMMEMBER a BYBOX 1 2 ft",
		"GEOSEARCHSTORE d k FROMLONLAT 0x10 1e1 BYRADIUS inf mi STOREDIST", "GEOADD k NX CH 1 2 a 180 -85.05112878 b",
		"GEOSEARCH k FROMLONLAT 1 2 BYRADIUS 1 km COUNT 9223372036854775807", "GEORADIUS_RO k -180 85 0 m DESC",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := geoArgs(line)
		if len(args) < 2 {
			return
		}
		for _, flags := range []int{geoRadiusCoords, geoRadiusCoords | geoNoStore, geoRadiusMember,
			geoSearchCmd, geoSearchCmd | geoSearchStoreCmd} {
			minArgs := map[int]int{geoRadiusCoords: 6, geoRadiusMember: 5}[flags&^geoNoStore]
			if len(args) < max(minArgs, 3) {
				continue
			}
			for _, locate := range []geoLocate{geoTestLocate, nil} {
				q, msg := parseGeoQuery(args, flags, locate)
				if msg != "" {
					continue
				}
				if q.any && q.count <= 0 {
					t.Fatalf("%q: ANY without COUNT accepted", line)
				}
				if locate == nil && flags&geoRadiusMember != 0 {
					continue // nothing parsed of the center: the key is missing
				}
				if q.shape.Type != geohash.Circular && q.shape.Type != geohash.Rectangle {
					t.Fatalf("%q: no shape", line)
				}
				if q.shape.Conversion <= 0 || q.shape.Radius < 0 || q.shape.Width < 0 || q.shape.Height < 0 {
					t.Fatalf("%q: bad shape %+v", line, q.shape)
				}
				if (flags&geoSearchCmd == 0 || locate != nil) && (math.Abs(q.shape.XY[0]) > 180 || math.Abs(q.shape.XY[1]) > geohash.LatMax) {
					t.Fatalf("%q: center %v", line, q.shape.XY)
				}
				if locate != nil {
					q.shape.Boxes()
				}
			}
		}
		g, msg := parseGeoAdd(args)
		if msg == "" {
			if len(g.members) == 0 || len(g.members) != len(g.scores) || (g.nx && g.xx) {
				t.Fatalf("%q: %+v", line, g)
			}
			for _, s := range g.scores {
				if s < 0 || s >= 1<<54 {
					t.Fatalf("%q: score %v", line, s)
				}
			}
		}
	})
}

// TestGeoCFloat: the "%f" of C's printf for the coordinates in GEOADD's
// error texts.
func TestGeoCFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{{200, "200.000000"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {1.5e300, fmt.Sprintf("%f", 1.5e300)}} {
		assert.Equal(t, c.want, geoCFloat(c.f))
	}
}
