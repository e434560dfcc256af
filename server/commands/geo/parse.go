package geo

import (
	"math"
	"strconv"

	"github.com/meshcache/meshcache/server/commands/geohash"
	"github.com/meshcache/meshcache/server/commands/zset"
	"github.com/meshcache/meshcache/server/resp"
)

// Argument parsing of the GEO commands, as pure functions of the
// arguments, with Redis's error texts in Redis's order (geo.c). The one
// thing they need of the keyspace, the position of a FROMMEMBER or
// GEORADIUSBYMEMBER member, is asked through a geoLocate function.

// geoParseDouble parses a coordinate or radius as Redis's string2d
// (getDoubleFromObject), as scores are parsed (zset.ParseScore).
func geoParseDouble(b []byte) (float64, bool) { return zset.ParseScore(b) }

// geoCFloat formats f as C's "%f".
func geoCFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoParseLonLat parses a longitude and a latitude as Redis's
// extractLongLatOrReply: each a float, then both within the limits.
func geoParseLonLat(lon, lat []byte) ([2]float64, string) {
	var xy [2]float64
	for i, a := range [][]byte{lon, lat} {
		f, ok := geoParseDouble(a)
		if !ok {
			return xy, resp.ErrNotFloat
		}
		xy[i] = f
	}
	if xy[0] < geohash.LongMin || xy[0] > geohash.LongMax || xy[1] < geohash.LatMin || xy[1] > geohash.LatMax {
		return xy, "ERR invalid longitude,latitude pair " + geoCFloat(xy[0]) + "," + geoCFloat(xy[1])
	}
	return xy, ""
}

const geoErrUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"

// geoParseDistance parses "<radius> <unit>" (extractDistanceOrReply).
func geoParseDistance(radius, unit []byte) (r, conversion float64, msg string) {
	r, ok := geoParseDouble(radius)
	if !ok {
		return 0, 0, "ERR need numeric radius"
	}
	if r < 0 {
		return 0, 0, "ERR radius cannot be negative"
	}
	conversion, ok = geoUnit(unit)
	if !ok {
		return 0, 0, geoErrUnit
	}
	return r, conversion, ""
}

// geoParseBox parses "<width> <height> <unit>" (extractBoxOrReply).
func geoParseBox(width, height, unit []byte) (w, h, conversion float64, msg string) {
	w, ok := geoParseDouble(width)
	if !ok {
		return 0, 0, 0, "ERR need numeric width"
	}
	h, ok = geoParseDouble(height)
	if !ok {
		return 0, 0, 0, "ERR need numeric height"
	}
	if h < 0 || w < 0 {
		return 0, 0, 0, "ERR height or width cannot be negative"
	}
	conversion, ok = geoUnit(unit)
	if !ok {
		return 0, 0, 0, geoErrUnit
	}
	return w, h, conversion, ""
}

// geoAddArgs is a parsed GEOADD: its conditions and the (score, member)
// pairs to add, in order.
type geoAddArgs struct {
	nx, xx, ch bool
	members    [][]byte
	scores     []float64
}

// parseGeoAdd parses GEOADD key [NX|XX] [CH] lon lat member ... as
// geoaddCommand does, then as the ZADD it becomes would: the options in
// any order, a whole number of triples (at least one), NX and XX not
// together (all "syntax error"), every position valid before anything is
// added.
func parseGeoAdd(args [][]byte) (geoAddArgs, string) {
	var g geoAddArgs
	i := 2
	for ; i < len(args); i++ {
		switch {
		case resp.EqualFold(args[i], "nx"):
			g.nx = true
		case resp.EqualFold(args[i], "xx"):
			g.xx = true
		case resp.EqualFold(args[i], "ch"):
			g.ch = true
		default:
			goto triples
		}
	}
triples:
	if (len(args)-i)%3 != 0 || (g.xx && g.nx) {
		return g, resp.ErrSyntax
	}
	n := (len(args) - i) / 3
	g.members, g.scores = make([][]byte, 0, n), make([]float64, 0, n)
	for ; i < len(args); i += 3 {
		xy, msg := geoParseLonLat(args[i], args[i+1])
		if msg != "" {
			return g, msg
		}
		score, _ := geohash.Score(xy[0], xy[1])
		g.scores = append(g.scores, score)
		g.members = append(g.members, args[i+2])
	}
	if n == 0 { // ZADD's own check: no score/member pair
		return g, resp.ErrSyntax
	}
	return g, ""
}

// Which command a search is (Redis's RADIUS_* and GEOSEARCH* flags).
const (
	geoRadiusCoords   = 1 << iota // GEORADIUS[_RO]: around coordinates
	geoRadiusMember               // GEORADIUSBYMEMBER[_RO]: around a member
	geoNoStore                    // the _RO forms: no STORE/STOREDIST
	geoSearchCmd                  // GEOSEARCH and GEOSEARCHSTORE
	geoSearchStoreCmd             // GEOSEARCHSTORE: STOREDIST without argument
)

// Result orders.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// geoQuery is a parsed search.
type geoQuery struct {
	shape                         geohash.Shape
	storeKey                      []byte // nil: the results are the reply
	storeDist                     bool   // store distances, not positions
	withDist, withHash, withCoord bool
	sort                          int
	count                         int64 // 0: all
	any                           bool  // stop at count found, unsorted search
}

// geoLocate returns the position of a member of the source set, ok false
// when it is not there. A nil geoLocate means the source key is missing.
type geoLocate func(member []byte) ([2]float64, bool)

const geoErrMember = "ERR could not decode requested zset member"

// parseGeoQuery parses the arguments of a search command of kind flags
// as Redis's georadiusGeneric does, after the source key's type was
// checked: the fixed arguments, then the options, then the combination
// checks; the first error wins, in Redis's order (a FROMMEMBER member is
// looked up where it is met, unless the source key is missing).
func parseGeoQuery(args [][]byte, flags int, locate geoLocate) (geoQuery, string) {
	var q geoQuery
	var base int
	switch {
	case flags&geoRadiusCoords != 0:
		base = 6
		q.shape.Type = geohash.Circular
		xy, msg := geoParseLonLat(args[2], args[3])
		if msg != "" {
			return q, msg
		}
		q.shape.XY = xy
		if q.shape.Radius, q.shape.Conversion, msg = geoParseDistance(args[4], args[5]); msg != "" {
			return q, msg
		}
	case flags&geoRadiusMember != 0:
		base = 5
		if locate != nil {
			q.shape.Type = geohash.Circular
			xy, ok := locate(args[2])
			if !ok {
				return q, geoErrMember
			}
			q.shape.XY = xy
			var msg string
			if q.shape.Radius, q.shape.Conversion, msg = geoParseDistance(args[3], args[4]); msg != "" {
				return q, msg
			}
		}
	default:
		base = 2
		if flags&geoSearchStoreCmd != 0 {
			base = 3
			q.storeKey = args[1]
		}
	}

	var fromMember, fromLoc, byRadius, byBox bool
	remaining := len(args) - base
	for i := 0; i < remaining; i++ {
		arg := args[base+i]
		more := func(n int) bool { return i+n < remaining }
		search := flags&geoSearchCmd != 0
		canStore := flags&geoNoStore == 0 && !search
		switch {
		case resp.EqualFold(arg, "withdist"):
			q.withDist = true
		case resp.EqualFold(arg, "withhash"):
			q.withHash = true
		case resp.EqualFold(arg, "withcoord"):
			q.withCoord = true
		case resp.EqualFold(arg, "any"):
			q.any = true
		case resp.EqualFold(arg, "asc"):
			q.sort = geoSortAsc
		case resp.EqualFold(arg, "desc"):
			q.sort = geoSortDesc
		case resp.EqualFold(arg, "count") && more(1):
			n, ok := resp.ParseInt64(args[base+i+1])
			if !ok {
				return q, resp.ErrNotInteger
			}
			if n <= 0 {
				return q, "ERR COUNT must be > 0"
			}
			q.count = n
			i++
		case resp.EqualFold(arg, "store") && more(1) && canStore:
			q.storeKey, q.storeDist = args[base+i+1], false
			i++
		case resp.EqualFold(arg, "storedist") && more(1) && canStore:
			q.storeKey, q.storeDist = args[base+i+1], true
			i++
		case resp.EqualFold(arg, "storedist") && search && flags&geoSearchStoreCmd != 0:
			q.storeDist = true
		case resp.EqualFold(arg, "frommember") && more(1) && search && !fromLoc:
			if locate != nil {
				xy, ok := locate(args[base+i+1])
				if !ok {
					return q, geoErrMember
				}
				q.shape.XY = xy
			}
			fromMember = true
			i++
		case resp.EqualFold(arg, "fromlonlat") && more(2) && search && !fromMember:
			xy, msg := geoParseLonLat(args[base+i+1], args[base+i+2])
			if msg != "" {
				return q, msg
			}
			q.shape.XY = xy
			fromLoc = true
			i += 2
		case resp.EqualFold(arg, "byradius") && more(2) && search && !byBox:
			r, conv, msg := geoParseDistance(args[base+i+1], args[base+i+2])
			if msg != "" {
				return q, msg
			}
			q.shape.Type, q.shape.Radius, q.shape.Conversion = geohash.Circular, r, conv
			byRadius = true
			i += 2
		case resp.EqualFold(arg, "bybox") && more(3) && search && !byRadius:
			w, h, conv, msg := geoParseBox(args[base+i+1], args[base+i+2], args[base+i+3])
			if msg != "" {
				return q, msg
			}
			q.shape.Type, q.shape.Width, q.shape.Height, q.shape.Conversion = geohash.Rectangle, w, h, conv
			byBox = true
			i += 3
		default:
			return q, resp.ErrSyntax
		}
	}

	name := string(args[0]) // as the client spelled it, as Redis's argv[0]
	switch {
	case q.storeKey != nil && (q.withDist || q.withHash || q.withCoord):
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStoreCmd != 0 {
			what = "GEOSEARCHSTORE"
		}
		return q, "ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	case flags&geoSearchCmd != 0 && !(fromMember || fromLoc):
		return q, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name
	case flags&geoSearchCmd != 0 && !(byRadius || byBox):
		return q, "ERR exactly one of BYRADIUS and BYBOX can be specified for " + name
	case q.any && q.count == 0:
		return q, "ERR the ANY argument requires COUNT argument"
	}
	// COUNT needs the nearest ones: ascending unless an order or ANY was asked.
	if q.count != 0 && q.sort == geoSortNone && !q.any {
		q.sort = geoSortAsc
	}
	return q, ""
}

// geoUnit returns the meters per unit of a unit argument (m km ft mi, any
// case), ok false for another.
func geoUnit(u []byte) (float64, bool) {
	switch {
	case resp.EqualFold(u, "m"):
		return 1, true
	case resp.EqualFold(u, "km"):
		return 1000, true
	case resp.EqualFold(u, "ft"):
		return 0.3048, true
	case resp.EqualFold(u, "mi"):
		return 1609.34, true
	}
	return 0, false
}
