package geohash

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/tests/testenv"
)

func geoArg(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// replyCoord writes a coordinate as GEOPOS does (package commands'
// geoReplyCoord, Redis's addReplyHumanLongDouble): a bulk string in RESP2,
// a double in RESP3.
func replyCoord(r *resp.Reply, f float64) {
	if !r.RESP3() {
		r.BulkString(FormatCoord(f))
		return
	}
	r.Raw([]byte("," + FormatCoord(f) + "\r\n"))
}

// geoExpect builds a reply with Reply in the protocol of rc's session.
func geoExpect(resp3 bool, f func(r *resp.Reply)) string {
	var r resp.Reply
	r.SetRESP3(resp3)
	f(&r)
	return string(r.Bytes())
}

// TestGeohashAgainstRedis compares the pure geohash code with a real
// redis-server for many positions: GEOADD's score (the 52-bit encoding),
// GEOPOS (decoding and coordinate formatting), GEOHASH strings and
// GEODIST in every unit, in RESP2 and RESP3; and the decoding of scores
// GEOADD never writes (negative, beyond 52 bits, infinite).
func TestGeohashAgainstRedis(t *testing.T) {
	rc := testenv.DialRaw(t, testenv.StartOneRedis(t).Addr)
	pts := TestPoints(1200)
	for i, p := range pts {
		member := "p" + strconv.Itoa(i)
		rc.Must(t, "GEOADD", "g", geoArg(p[0]), geoArg(p[1]), member)
		want, ok := Score(p[0], p[1])
		require.True(t, ok, "%v", p)
		got := string(rc.Must(t, "ZSCORE", "g", member))
		assert.Equal(t, geoExpect(false, func(r *resp.Reply) { r.BulkString(strconv.FormatUint(uint64(want), 10)) }), got,
			"score of %v", p)
	}
	scores := []string{"-1.5", "-1e30", "-inf", "inf", "4503599627370496", "4503599627370497", "9007199254740993",
		"1e19", "9223372036854775808", "18446744073709551616", "1e30", "0.5", "12345678.9", "-0", "0", "4503599627370495"}
	for i, s := range scores {
		rc.Must(t, "ZADD", "g", s, "s"+strconv.Itoa(i))
	}
	for _, resp3 := range []bool{false, true} {
		proto := map[bool]string{false: "2", true: "3"}[resp3]
		rc.Must(t, "HELLO", proto)
		check := func(member string, score float64) {
			xy, ok := DecodeScore(score)
			require.True(t, ok)
			want := geoExpect(resp3, func(r *resp.Reply) {
				r.Array(1)
				r.Array(2)
				replyCoord(r, xy[0])
				replyCoord(r, xy[1])
			})
			assert.Equal(t, want, string(rc.Must(t, "GEOPOS", "g", member)), "GEOPOS of %s (score %v) RESP%s", member, score, proto)
			h, ok := HashString(score)
			require.True(t, ok)
			want = geoExpect(resp3, func(r *resp.Reply) { r.Array(1); r.BulkString(h) })
			assert.Equal(t, want, string(rc.Must(t, "GEOHASH", "g", member)), "GEOHASH of %s RESP%s", member, proto)
		}
		for i, p := range pts {
			score, _ := Score(p[0], p[1])
			check("p"+strconv.Itoa(i), score)
		}
		for i, s := range scores {
			f, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			check("s"+strconv.Itoa(i), f)
		}
		units := []struct {
			name string
			to   float64
		}{{"m", 1}, {"km", 1000}, {"ft", 0.3048}, {"mi", 1609.34}}
		for i := range pts {
			j := (i*7 + 1) % len(pts)
			a, _ := Score(pts[i][0], pts[i][1])
			b, _ := Score(pts[j][0], pts[j][1])
			xa, _ := DecodeScore(a)
			xb, _ := DecodeScore(b)
			u := units[i%len(units)]
			want := geoExpect(resp3, func(r *resp.Reply) {
				r.BulkString(FormatDistance(Distance(xa[0], xa[1], xb[0], xb[1]) / u.to))
			})
			got := rc.Must(t, "GEODIST", "g", "p"+strconv.Itoa(i), "p"+strconv.Itoa(j), u.name)
			assert.Equal(t, want, string(got), "GEODIST %v %v %s", pts[i], pts[j], u.name)
		}
	}
}

// TestGeohashRoundTrip checks that decoding an encoded position lands
// within half a cell of it (the cell's center), for every test point.
func TestGeohashRoundTrip(t *testing.T) {
	for _, p := range TestPoints(5000) {
		h, ok := geohashEncodeWGS84(p[0], p[1], geoStepMax)
		require.True(t, ok)
		a, ok := geohashDecode(geoWGS84Long, geoWGS84Lat, h)
		require.True(t, ok)
		cellLon := 360.0 / (1 << geoStepMax)
		cellLat := 2 * LatMax / (1 << geoStepMax)
		xy := a.center()
		assert.InDelta(t, p[0], xy[0], cellLon, "%v", p)
		assert.InDelta(t, p[1], xy[1], cellLat, "%v", p)
		// Re-encoding the center gives the same cell (except on the
		// upper edges, which Redis's encoding puts past the grid).
		if p[0] < 180 && p[1] < LatMax {
			h2, _ := geohashEncodeWGS84(xy[0], xy[1], geoStepMax)
			assert.Equal(t, h, h2, "%v", p)
		}
	}
	_, ok := geohashEncodeWGS84(180.0000001, 0, geoStepMax)
	assert.False(t, ok)
	_, ok = geohashEncodeWGS84(0, -85.06, geoStepMax)
	assert.False(t, ok)
	_, ok = geohashEncodeWGS84(0, 0, 0)
	assert.False(t, ok)
	_, ok = geohashDecode(geoWGS84Long, geoWGS84Lat, geoHashBits{})
	assert.False(t, ok)
}

// TestGeohashNeighbors checks that the eight neighbours of a cell touch
// it on the right side at every step, away from the edges of the grid,
// and wrap around at them.
func TestGeohashNeighbors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		step := uint8(1 + rnd.IntN(26))
		lon, lat := rnd.Float64()*360-180, rnd.Float64()*2*LatMax-LatMax
		h, ok := geohashEncodeWGS84(lon, lat, step)
		require.True(t, ok)
		a, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, h)
		n := geohashNeighbors(h)
		area := func(b geoHashBits) geoArea {
			x, ok := geohashDecode(geoWGS84Long, geoWGS84Lat, b)
			require.True(t, ok)
			require.Equal(t, step, b.step)
			return x
		}
		east, west, north, south := area(n.east), area(n.west), area(n.north), area(n.south)
		if a.longitude.max < 180 {
			assert.Equal(t, a.longitude.max, east.longitude.min)
		} else {
			assert.Equal(t, -180.0, east.longitude.min) // wraps
		}
		if a.longitude.min > -180 {
			assert.Equal(t, a.longitude.min, west.longitude.max)
		}
		if a.latitude.max < LatMax {
			assert.InDelta(t, a.latitude.max, north.latitude.min, 1e-9)
		}
		if a.latitude.min > LatMin {
			assert.InDelta(t, a.latitude.min, south.latitude.max, 1e-9)
		}
		for _, d := range []struct {
			corner      geoHashBits
			side, side2 geoArea
		}{{n.northEast, north, east}, {n.northWest, north, west}, {n.southEast, south, east}, {n.southWest, south, west}} {
			c := area(d.corner)
			assert.Equal(t, d.side.latitude, c.latitude)
			assert.Equal(t, d.side2.longitude, c.longitude)
		}
		assert.Equal(t, a.latitude, east.latitude)
		assert.Equal(t, a.longitude, north.longitude)
	}
}

// TestGeohashHelpers checks the step estimate, the search cells and the
// box test on fixed cases worked from Redis's formulas.
func TestGeohashHelpers(t *testing.T) {
	for _, c := range []struct {
		meters, lat float64
		want        uint8
	}{
		{0, 0, 26}, {1, 0, 24}, {100, 0, 17}, {1000, 0, 14}, {100000, 0, 7}, {5000000, 0, 2}, {20000000, 0, 1}, {1000, 70, 13},
		{1000, -81, 12}, {1e9, 0, 1}, {math.Inf(1), 0, 1}, {0.001, 0, 26},
	} {
		assert.Equal(t, c.want, geohashEstimateStepsByRadius(c.meters, c.lat), "%v m at %v", c.meters, c.lat)
	}
	// A point inside the circle is inside the covering cells' score ranges.
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		s := Shape{Type: Circular, Conversion: 1, Radius: math.Exp(rnd.Float64() * 15),
			XY: [2]float64{rnd.Float64()*360 - 180, rnd.Float64()*170 - 85}}
		cells := geohashCalculateAreasByShapeWGS84(&s).cells()
		// A point at a random bearing, just inside the radius.
		brg, d := rnd.Float64()*2*math.Pi, s.Radius*0.999*rnd.Float64()
		lat := s.XY[1] + radDeg(d/earthRadiusInMeters)*math.Cos(brg)
		lon := s.XY[0] + radDeg(d/earthRadiusInMeters)*math.Sin(brg)/math.Cos(degRad(s.XY[1]))
		if lat <= LatMin || lat >= LatMax || lon <= -180 || lon >= 180 {
			continue
		}
		score, _ := Score(lon, lat)
		if _, _, in := s.Within(score); !in {
			continue
		}
		found := false
		for _, c := range cells {
			if c.isZero() {
				continue
			}
			lo, hi := geoScoresOfBox(c)
			found = found || (score >= float64(lo) && score < float64(hi))
		}
		assert.True(t, found, "%v within %v m of %v not covered", [2]float64{lon, lat}, s.Radius, s.XY)
	}
	// The box: 200 km wide and 100 km high around (15, 37).
	box := Shape{Type: Rectangle, Conversion: 1000, Width: 200, Height: 100, XY: [2]float64{15, 37}}
	for _, c := range []struct {
		lon, lat float64
		in       bool
	}{{15, 37, true}, {16, 37, true}, {16.2, 37, false}, {15, 37.4, true}, {15, 37.5, false}, {13.9, 37, true}, {13.7, 37, false}, {15, 36.6, true}} {
		score, _ := Score(c.lon, c.lat)
		_, _, in := box.Within(score)
		assert.Equal(t, c.in, in, "%v,%v", c.lon, c.lat)
	}
}

// TestGeoFormat checks the reply formats: distances as Redis's
// fixedpoint_d2string(4), coordinates as ld2string's human mode.
func TestGeoFormat(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{
		{0, "0.0000"}, {0.00004, "0.0000"}, {0.00005, "0.0000"}, {0.00015, "0.0001"}, {0.00025, "0.0002"}, {0.00035, "0.0004"}, {0.0001, "0.0001"}, {1, "1.0000"},
		{166274.1516, "166274.1516"}, {12.34565, "12.3456"}, {12.34575, "12.3458"}, {99999.99999, "100000.0000"}, {0.1234, "0.1234"},
		{-1.5, "-1.5000"}, {123.4567, "123.4567"},
	} {
		assert.Equal(t, c.want, FormatDistance(c.d), "%v", c.d)
	}
	for _, c := range []struct {
		f    float64
		want string
	}{
		{13.361389338970184, "13.36138933897018433"}, {180, "180"}, {math.Copysign(0, -1), "0"}, {0, "0"}, {0.5, "0.5"},
		{1e-18, "0"}, {-1e-18, "0"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		assert.Equal(t, c.want, FormatCoord(c.f), "%v", c.f)
	}
}
