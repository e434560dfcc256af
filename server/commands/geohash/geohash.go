// Package geohash is the arithmetic of the GEO commands, a port of Redis's geohash.c,
// geohash_helper.c and the pure parts of geo.c (no store, no replies: package commands
// runs GEO* on sorted sets with it). A position is stored as
// the score of a sorted-set member: a 52-bit integer interleaving 26 bits
// of latitude (even bits) and 26 bits of longitude (odd bits), each the
// fixed-point offset of the coordinate in [GEO_LAT_MIN, GEO_LAT_MAX] or
// [-180, 180]. Every formula is evaluated in Redis's order with explicit
// float64 conversions, so the Go compiler never fuses a multiply-add that
// the C code rounds twice; the trigonometric functions are Go's, which may
// differ from glibc's in the last bit (a distance within one ulp of a
// radius, or a rounding boundary of "%.4f", could differ).
package geohash

import (
	"math"
	"strconv"
	"strings"
)

// Geohash limits, as Redis's geohash.h.
const (
	geoStepMax = 26 // 26*2 = 52 bits
	LatMin     = -85.05112878
	LatMax     = 85.05112878
	LongMin    = -180.0
	LongMax    = 180.0
)

// earthRadiusInMeters is Redis's EARTH_RADIUS_IN_METERS, the quadratic
// mean radius of WGS-84 the haversine formula uses.
const earthRadiusInMeters = 6372797.560856

// mercatorMax is Redis's MERCATOR_MAX.
const mercatorMax = 20037726.37

// geoPi is M_PI as a variable, so that geoDegRad is computed as C's
// M_PI/180.0 is (a rounded double divided by 180), not exactly by Go's
// constant arithmetic.
var geoPi = math.Pi

// geoDegRad is Redis's D_R.
var geoDegRad = geoPi / 180.0

func degRad(ang float64) float64 { return ang * geoDegRad }
func radDeg(ang float64) float64 { return ang / geoDegRad }

// geoHashBits is Redis's GeoHashBits: the interleaved bits of a cell at a
// precision of step bits per coordinate. The zero value (bits and step
// zero) is an excluded cell.
type geoHashBits struct {
	bits uint64
	step uint8
}

func (h geoHashBits) isZero() bool { return h.bits == 0 && h.step == 0 }

// geoRange is a coordinate interval.
type geoRange struct{ min, max float64 }

func (r geoRange) isZero() bool { return r.min == 0 && r.max == 0 }

// geoArea is a decoded cell: its hash and its longitude and latitude
// intervals.
type geoArea struct {
	hash      geoHashBits
	longitude geoRange
	latitude  geoRange
}

// geoNeighbors are the eight cells around one, as Redis's GeoHashNeighbors.
type geoNeighbors struct {
	north, east, west, south                   geoHashBits
	northEast, southEast, northWest, southWest geoHashBits
}

// geoRadius is Redis's GeoHashRadius: the center cell of a search, its
// neighbours (zero ones excluded) and the center's area.
type geoRadius struct {
	hash      geoHashBits
	area      geoArea
	neighbors geoNeighbors
}

// Shape types, as Redis's CIRCULAR_TYPE and RECTANGLE_TYPE.
const (
	Circular = 1 + iota
	Rectangle
)

// Shape is a search area: a circle of Radius (Type Circular), or a Width x
// Height box (Type Rectangle), in the unit of Conversion (meters per unit),
// around XY (longitude, latitude). bounds is filled by geoBoundingBox: min
// longitude, min latitude, max longitude, max latitude.
type Shape struct {
	Type          int
	XY            [2]float64
	Conversion    float64
	Radius        float64
	Width, Height float64
	bounds        [4]float64
}

var (
	geoWGS84Long = geoRange{min: LongMin, max: LongMax}
	geoWGS84Lat  = geoRange{min: LatMin, max: LatMax}
)

// interleave64 interleaves the low 32 bits of x (even bits) and y (odd bits).
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | (x << s[i])) & b[i]
		y = (y | (y << s[i])) & b[i]
	}
	return x | (y << 1)
}

// deinterleave64 reverses interleave64: the even bits in the low 32 bits
// of the result, the odd bits in the high 32.
func deinterleave64(interleaved uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := interleaved, interleaved>>1
	for i := range 6 {
		x = (x | (x >> s[i])) & b[i]
		y = (y | (y >> s[i])) & b[i]
	}
	return x | (y << 32)
}

// geohashEncode encodes a position at step bits per coordinate within the
// given ranges; ok is false outside Redis's limits or the ranges.
func geohashEncode(longRange, latRange geoRange, longitude, latitude float64, step uint8) (geoHashBits, bool) {
	if step > 32 || step == 0 || latRange.isZero() || longRange.isZero() {
		return geoHashBits{}, false
	}
	if longitude > LongMax || longitude < LongMin || latitude > LatMax || latitude < LatMin {
		return geoHashBits{}, false
	}
	if latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max {
		return geoHashBits{step: step}, false
	}
	latOffset := (latitude - latRange.min) / (latRange.max - latRange.min)
	longOffset := (longitude - longRange.min) / (longRange.max - longRange.min)
	latOffset *= float64(uint64(1) << step)
	longOffset *= float64(uint64(1) << step)
	return geoHashBits{bits: interleave64(uint32(latOffset), uint32(longOffset)), step: step}, true
}

// geohashEncodeWGS84 encodes a position with Redis's coordinate limits.
func geohashEncodeWGS84(longitude, latitude float64, step uint8) (geoHashBits, bool) {
	return geohashEncode(geoWGS84Long, geoWGS84Lat, longitude, latitude, step)
}

// geohashDecode returns the area of cell h within the given ranges.
func geohashDecode(longRange, latRange geoRange, h geoHashBits) (geoArea, bool) {
	if h.isZero() || latRange.isZero() || longRange.isZero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latRange.max - latRange.min
	longScale := longRange.max - longRange.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	a := geoArea{hash: h}
	// ilato+1 is uint32 arithmetic, as in C: it wraps for the all-ones
	// cell that only a score GEOADD never writes can hold.
	a.latitude.min = latRange.min + float64(float64(float64(ilato)*1.0/div)*latScale)
	a.latitude.max = latRange.min + float64(float64(float64(ilato+1)*1.0/div)*latScale)
	a.longitude.min = longRange.min + float64(float64(float64(ilono)*1.0/div)*longScale)
	a.longitude.max = longRange.min + float64(float64(float64(ilono+1)*1.0/div)*longScale)
	return a, true
}

// center returns the middle of a, clamped to Redis's limits (longitude, latitude).
func (a geoArea) center() [2]float64 {
	x := (a.longitude.min + a.longitude.max) / 2
	x = min(max(x, LongMin), LongMax)
	y := (a.latitude.min + a.latitude.max) / 2
	y = min(max(y, LatMin), LatMax)
	return [2]float64{x, y}
}

// DecodeScore decodes a sorted-set score into a position, as Redis's
// decodeGeohash: the score truncated to an integer is a 52-bit hash.
func DecodeScore(score float64) ([2]float64, bool) {
	a, ok := geohashDecode(geoWGS84Long, geoWGS84Lat, geoHashBits{bits: geoScoreBits(score), step: geoStepMax})
	if !ok {
		return [2]float64{}, false
	}
	return a.center(), true
}

// geoScoreBits converts a score to hash bits as C's (uint64_t) cast does
// when gcc compiles it for amd64 (Go leaves the conversion of a negative
// or too large float unspecified): below 2^63 through a signed
// truncation, so -1.5 gives 2^64-1; from 2^63 to 2^64 directly; 2^64 and
// +inf give 0; below -2^63, -inf and NaN give 2^63. Only a score that
// GEOADD did not write needs these cases.
func geoScoreBits(score float64) uint64 {
	switch {
	case score != score:
		return 1 << 63
	case score >= 1<<64:
		return 0
	case score >= 1<<63:
		return uint64(score)
	case score >= -(1 << 63):
		return uint64(int64(score))
	}
	return 1 << 63
}

// Score returns the score of a position (GEOADD's encoding), ok false
// outside the limits.
func Score(longitude, latitude float64) (float64, bool) {
	h, ok := geohashEncodeWGS84(longitude, latitude, geoStepMax)
	if !ok {
		return 0, false
	}
	return float64(geohashAlign52Bits(h)), true
}

// geohashAlign52Bits left-aligns h's bits to 52 bits.
func geohashAlign52Bits(h geoHashBits) uint64 {
	return h.bits << (52 - uint(h.step)*2)
}

func geohashMoveX(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

func geohashMoveY(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// geohashNeighbors returns the eight cells around h at its step (wrapping
// around at the edges of the grid, as Redis's).
func geohashNeighbors(h geoHashBits) geoNeighbors {
	move := func(dx, dy int) geoHashBits {
		n := h
		geohashMoveX(&n, dx)
		geohashMoveY(&n, dy)
		return n
	}
	return geoNeighbors{
		east: move(1, 0), west: move(-1, 0), south: move(0, -1), north: move(0, 1),
		northWest: move(-1, 1), northEast: move(1, 1), southEast: move(1, -1), southWest: move(-1, -1),
	}
}

// geohashEstimateStepsByRadius estimates the step of the nine search
// cells for a radius in meters at a latitude.
func geohashEstimateStepsByRadius(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2 // make sure range is included in most of the base cases
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// geoBoundingBox fills s.bounds with the box around the search area.
func geoBoundingBox(s *Shape) {
	longitude, latitude := s.XY[0], s.XY[1]
	var height, width float64
	if s.Type == Circular {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	} else {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	}
	latDelta := radDeg(height / earthRadiusInMeters)
	longDeltaTop := radDeg(width / earthRadiusInMeters / math.Cos(degRad(latitude+latDelta)))
	longDeltaBottom := radDeg(width / earthRadiusInMeters / math.Cos(degRad(latitude-latDelta)))
	if latitude < 0 {
		s.bounds[0] = longitude - longDeltaBottom
		s.bounds[2] = longitude + longDeltaBottom
	} else {
		s.bounds[0] = longitude - longDeltaTop
		s.bounds[2] = longitude + longDeltaTop
	}
	s.bounds[1] = latitude - latDelta
	s.bounds[3] = latitude + latDelta
}

// geohashCalculateAreasByShapeWGS84 returns the cells (center + 8) that
// cover a search of shape s, as Redis's function of that name; it fills
// s.bounds.
func geohashCalculateAreasByShapeWGS84(s *Shape) geoRadius {
	geoBoundingBox(s)
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	longitude, latitude := s.XY[0], s.XY[1]
	var radiusMeters float64
	if s.Type == Circular {
		radiusMeters = s.Radius
	} else {
		hw, hh := s.Width/2, s.Height/2
		radiusMeters = math.Sqrt(float64(hw*hw) + float64(hh*hh))
	}
	radiusMeters *= s.Conversion

	steps := geohashEstimateStepsByRadius(radiusMeters, latitude)
	hash, _ := geohashEncode(geoWGS84Long, geoWGS84Lat, longitude, latitude, steps)
	neighbors := geohashNeighbors(hash)
	area, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, hash)

	// Decrease the step when a neighbour is too near the search area to
	// cover it (the search area lies near an edge of the center cell).
	decrease := false
	north, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, neighbors.north)
	south, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, neighbors.south)
	east, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, neighbors.east)
	west, _ := geohashDecode(geoWGS84Long, geoWGS84Lat, neighbors.west)
	if north.latitude.max < maxLat || south.latitude.min > minLat ||
		east.longitude.max < maxLon || west.longitude.min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(geoWGS84Long, geoWGS84Lat, longitude, latitude, steps)
		neighbors = geohashNeighbors(hash)
		area, _ = geohashDecode(geoWGS84Long, geoWGS84Lat, hash)
	}

	// Exclude the useless search cells.
	if steps >= 2 {
		if area.latitude.min < minLat {
			neighbors.south, neighbors.southWest, neighbors.southEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.latitude.max > maxLat {
			neighbors.north, neighbors.northEast, neighbors.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.longitude.min < minLon {
			neighbors.west, neighbors.southWest, neighbors.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.longitude.max > maxLon {
			neighbors.east, neighbors.southEast, neighbors.northEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
	}
	return geoRadius{hash: hash, neighbors: neighbors, area: area}
}

// cells returns the center cell and its neighbours in the order Redis
// searches them.
func (r geoRadius) cells() [9]geoHashBits {
	n := r.neighbors
	return [9]geoHashBits{r.hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest}
}

// Boxes returns the score ranges [lo, hi) that cover a search of s, one
// per cell of the nine around its center (geohashCalculateAreasByShapeWGS84),
// in the order Redis's membersOfAllNeighbors searches them: the center,
// then N S E W NE NW SE SW, leaving out excluded cells and a neighbour
// equal to the last neighbour kept (as Redis, which never compares with
// the center: its last_processed 0 means none). A member inside the shape has a score in one of them;
// Within tells which members of those ranges are inside.
func (s *Shape) Boxes() [][2]uint64 {
	cells := geohashCalculateAreasByShapeWGS84(s).cells()
	out := make([][2]uint64, 0, len(cells))
	last := 0
	for i, cell := range cells {
		if cell.isZero() || (last != 0 && cell == cells[last]) {
			continue
		}
		lo, hi := geoScoresOfBox(cell)
		out = append(out, [2]uint64{lo, hi})
		last = i
	}
	return out
}

// geoScoresOfBox returns the scores [min, max) of the members inside cell h.
func geoScoresOfBox(h geoHashBits) (lo, hi uint64) {
	lo = geohashAlign52Bits(h)
	h.bits++
	return lo, geohashAlign52Bits(h)
}

// geohashGetLatDistance is the distance between two latitudes on a meridian.
func geohashGetLatDistance(lat1d, lat2d float64) float64 {
	return earthRadiusInMeters * math.Abs(degRad(lat2d)-degRad(lat1d))
}

// Distance is the haversine great-circle distance in meters.
func Distance(lon1d, lat1d, lon2d, lat2d float64) float64 {
	lon1r, lon2r := degRad(lon1d), degRad(lon2d)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0.0 {
		return geohashGetLatDistance(lat1d, lat2d)
	}
	lat1r, lat2r := degRad(lat1d), degRad(lat2d)
	u := math.Sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(math.Cos(lat1r)*math.Cos(lat2r))*v)*v)
	return 2.0 * earthRadiusInMeters * math.Asin(math.Sqrt(a))
}

// geohashGetDistanceIfInRectangle reports whether (x2, y2) is inside the
// width_m x height_m box centered on (x1, y1), and its distance to the center.
func geohashGetDistanceIfInRectangle(widthM, heightM, x1, y1, x2, y2 float64) (float64, bool) {
	if geohashGetLatDistance(y2, y1) > heightM/2 {
		return 0, false
	}
	if Distance(x2, y2, x1, y2) > widthM/2 {
		return 0, false
	}
	return Distance(x1, y1, x2, y2), true
}

// Within reports whether the member of score lies in the shape, with its
// position and its distance to the center in meters (geoWithinShape).
func (s *Shape) Within(score float64) (xy [2]float64, dist float64, ok bool) {
	xy, ok = DecodeScore(score)
	if !ok {
		return xy, 0, false
	}
	if s.Type == Circular {
		dist = Distance(s.XY[0], s.XY[1], xy[0], xy[1])
		return xy, dist, dist <= s.Radius*s.Conversion
	}
	dist, ok = geohashGetDistanceIfInRectangle(s.Width*s.Conversion, s.Height*s.Conversion, s.XY[0], s.XY[1], xy[0], xy[1])
	return xy, dist, ok
}

// HashString is GEOHASH's 11-character geohash of the member of score:
// the position decoded, re-encoded with the standard latitude range
// [-90, 90], the last character always '0' (52 bits only). ok is false
// when the score does not decode.
func HashString(score float64) (string, bool) {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	xy, ok := DecodeScore(score)
	if !ok {
		return "", false
	}
	h, _ := geohashEncode(geoRange{-180, 180}, geoRange{-90, 90}, xy[0], xy[1], 26)
	var buf [11]byte
	for i := range buf {
		idx := 0
		if i < 10 {
			idx = int((h.bits >> (52 - (uint(i)+1)*5)) & 0x1f)
		}
		buf[i] = alphabet[idx]
	}
	return string(buf[:]), true
}

// FormatDistance formats a distance as Redis's addReplyDoubleDistance
// (fixedpoint_d2string with 4 digits: llrint(d*10000), then the digits
// with a dot before the last four).
func FormatDistance(d float64) string {
	if d == 0 {
		return "0.0000"
	}
	v := math.RoundToEven(d * 10000) // llrint in the default rounding mode
	neg := v < 0
	if neg {
		v = -v
	}
	digits := strconv.FormatUint(uint64(v), 10)
	for len(digits) < 5 {
		digits = "0" + digits
	}
	s := digits[:len(digits)-4] + "." + digits[len(digits)-4:]
	if neg {
		s = "-" + s
	}
	return s
}

// FormatCoord formats a coordinate as Redis 7.2's
// addReplyHumanLongDouble does (ld2string LD_STR_HUMAN): "%.17Lf" with
// trailing zeros and a trailing dot removed, "-0" as "0".
func FormatCoord(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'f', 17, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
