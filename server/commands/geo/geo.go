// Package geo holds the GEO commands, with Redis 7.2 semantics: positions
// are members of a sorted set whose scores are 52-bit geohashes (package
// geohash), so every write is the sorted set's (ZAdd, ZStore) and
// replicates as its effects, and numbers parse as package zset parses
// scores.
package geo

import (
	"slices"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/geohash"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Commands are the GEO commands, the front end's "geo" group.
func Commands() []*commands.Command {
	const g = "geo"
	a := commands.ACLGeo
	w, r := commands.FlagWrite|commands.FlagDenyOOM, commands.FlagReadOnly
	src := commands.Range(commands.RO|commands.Access, 1, 0, 1)
	storeAt := func(keyword string, from int) commands.KeySpec {
		return commands.KeySpec{Flags: commands.OW | commands.Update, Keyword: keyword, StartFrom: from, Step: 1}
	}
	return []*commands.Command{
		{Name: "geoadd", Arity: -5, Flags: w, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Update, 1, 0, 1)}, Group: g, Since: "3.2.0",
			Summary: "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", Handler: geoaddCommand},
		{Name: "geodist", Arity: -4, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "3.2.0",
			Summary: "Returns the distance between two members of a geospatial index.", Handler: geodistCommand},
		{Name: "geohash", Arity: -2, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "3.2.0",
			Summary: "Returns members from a geospatial index as geohash strings.", Handler: geohashCommand},
		{Name: "geopos", Arity: -2, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "3.2.0",
			Summary: "Returns the longitude and latitude of members from a geospatial index.", Handler: geoposCommand},
		{Name: "georadius", Arity: -6, Flags: w, ACL: a, Keys: []commands.KeySpec{src, storeAt("STORE", 6), storeAt("STOREDIST", 6)},
			Group: g, Since: "3.2.0",
			Summary: "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.",
			Event:   radiusStore, Handler: func(c *commands.Call) { georadiusGeneric(c, 1, geoRadiusCoords) }},
		{Name: "georadius_ro", Arity: -6, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "3.2.10",
			Summary: "Returns members from a geospatial index that are within a distance from a coordinate.",
			Handler: func(c *commands.Call) { georadiusGeneric(c, 1, geoRadiusCoords|geoNoStore) }},
		{Name: "georadiusbymember", Arity: -5, Flags: w, ACL: a, Keys: []commands.KeySpec{src, storeAt("STORE", 5), storeAt("STOREDIST", 5)},
			Group: g, Since: "3.2.0",
			Summary: "Queries a geospatial index for members within a distance from a member, optionally stores the result.",
			Event:   radiusStore, Handler: func(c *commands.Call) { georadiusGeneric(c, 1, geoRadiusMember) }},
		{Name: "georadiusbymember_ro", Arity: -5, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "3.2.10",
			Summary: "Returns members from a geospatial index that are within a distance from a member.",
			Handler: func(c *commands.Call) { georadiusGeneric(c, 1, geoRadiusMember|geoNoStore) }},
		{Name: "geosearch", Arity: -7, Flags: r, ACL: a, Keys: []commands.KeySpec{src}, Group: g, Since: "6.2.0",
			Summary: "Queries a geospatial index for members inside an area of a box or a circle.",
			Handler: func(c *commands.Call) { georadiusGeneric(c, 1, geoSearchCmd) }},
		{Name: "geosearchstore", Arity: -8, Flags: w, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.OW|commands.Update, 1, 0, 1), commands.Range(commands.RO|commands.Access, 2, 0, 1)},
			Group: g, Since: "6.2.0",
			Summary: "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.",
			Event:   notify.Event{Class: notify.ZSet, Name: "geosearchstore"}, Handler: func(c *commands.Call) { georadiusGeneric(c, 2, geoSearchCmd|geoSearchStoreCmd) }},
	}
}

// geoaddCommand is GEOADD key [NX|XX] [CH] lon lat member ...: every
// position is checked before the key is looked at, then each pair is
// ZADDed; the reply counts the new members (and the moved ones with CH).
func geoaddCommand(c *commands.Call) {
	g, msg := parseGeoAdd(c.Args)
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	var flags store.ZAddFlags
	if g.nx {
		flags |= store.ZAddNX
	}
	if g.xx {
		flags |= store.ZAddXX
	}
	var n, changed int64
	for i, m := range g.members {
		out, _, err := c.Tx.ZAdd(c.Args[1], m, g.scores[i], flags, len(g.members))
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if out == store.ZAddAdded || (g.ch && out == store.ZAddUpdated) {
			n++
		}
		if out == store.ZAddAdded || out == store.ZAddUpdated {
			changed++
		}
	}
	if changed > 0 { // Redis runs GEOADD as ZADD: its event
		c.Notify(notify.ZAdd, c.Args[1])
	}
	c.Reply.Int(n)
}

// geoCheckType answers WRONGTYPE when key holds something other than a
// sorted set, and reports whether it exists.
func geoCheckType(c *commands.Call, key []byte) (exists, ok bool) {
	n, err := c.Tx.ZCard(key)
	if err != nil {
		c.ReplyStoreError(err)
		return false, false
	}
	return n > 0, true
}

// geoMemberPos returns the decoded position of member in key.
func geoMemberPos(tx *store.Tx, key, member []byte) ([2]float64, bool) {
	score, ok, err := tx.ZScore(key, member)
	if err != nil || !ok {
		return [2]float64{}, false
	}
	return geohash.DecodeScore(score)
}

// geoReplyCoord writes a coordinate as Redis 7.2's addReplyHumanLongDouble:
// a bulk string in RESP2, a double in RESP3.
func geoReplyCoord(r *resp.Reply, f float64) {
	s := geohash.FormatCoord(f)
	if !r.RESP3() {
		r.BulkString(s)
		return
	}
	r.Raw([]byte("," + s + "\r\n"))
}

// geoposCommand is GEOPOS key member ...: [lon, lat] or a null array each.
func geoposCommand(c *commands.Call) {
	if _, ok := geoCheckType(c, c.Args[1]); !ok {
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		xy, ok := geoMemberPos(c.Tx, c.Args[1], m)
		if !ok {
			c.Reply.NullArray()
			continue
		}
		c.Reply.Array(2)
		geoReplyCoord(c.Reply, xy[0])
		geoReplyCoord(c.Reply, xy[1])
	}
}

// geohashCommand is GEOHASH key member ...: an 11-character geohash or a
// null each.
func geohashCommand(c *commands.Call) {
	if _, ok := geoCheckType(c, c.Args[1]); !ok {
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		score, found, _ := c.Tx.ZScore(c.Args[1], m)
		s, ok := geohash.HashString(score)
		if !found || !ok {
			c.Reply.Null()
			continue
		}
		c.Reply.BulkString(s)
	}
}

// geodistCommand is GEODIST key m1 m2 [unit]: the unit is checked before
// the key; a missing key or member answers null.
func geodistCommand(c *commands.Call) {
	toMeter := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if toMeter, ok = geoUnit(c.Args[4]); !ok {
			c.Reply.Error(geoErrUnit)
			return
		}
	case len(c.Args) > 5:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	exists, ok := geoCheckType(c, c.Args[1])
	if !ok {
		return
	}
	a, okA := geoMemberPos(c.Tx, c.Args[1], c.Args[2])
	b, okB := geoMemberPos(c.Tx, c.Args[1], c.Args[3])
	if !exists || !okA || !okB {
		c.Reply.Null()
		return
	}
	c.Reply.BulkString(geohash.FormatDistance(geohash.Distance(a[0], a[1], b[0], b[1]) / toMeter))
}

// geoPoint is one search result (Redis's geoPoint).
type geoPoint struct {
	xy     [2]float64
	dist   float64 // meters from the center, then in the query's unit
	score  float64
	member []byte
}

// georadiusGeneric runs GEORADIUS, GEORADIUSBYMEMBER, their _RO forms,
// GEOSEARCH and GEOSEARCHSTORE (flags say which; srcIdx is the source
// key's argument) as Redis's georadiusGeneric.
func georadiusGeneric(c *commands.Call, srcIdx int, flags int) {
	if c.Tx == nil {
		// The key specs did not fit (STORE or STOREDIST as the last
		// argument), so no key is held: Redis's parser answers a syntax
		// error there, or an error it meets before it. The source cannot
		// be looked at, so a WRONGTYPE or a missing member that Redis
		// would report first is not.
		_, msg := parseGeoQuery(c.Args, flags, nil)
		if msg == "" {
			msg = resp.ErrSyntax
		}
		c.Reply.Error(msg)
		return
	}
	src := c.Args[srcIdx]
	exists, ok := geoCheckType(c, src)
	if !ok {
		return
	}
	var locate geoLocate
	if exists {
		locate = func(m []byte) ([2]float64, bool) { return geoMemberPos(c.Tx, src, m) }
	}
	q, msg := parseGeoQuery(c.Args, flags, locate)
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	if q.storeKey != nil && !slices.Contains(c.Tx.Slots(), ring.KeySlot(q.storeKey)) {
		// STORE d STORE e: the key specs found d, Redis (georadiusGetKeys)
		// routes by the last one, e, which this call does not hold; Redis
		// Cluster answers CROSSSLOT when e's slot is not the source's.
		c.Reply.Error(geoErrCrossSlot)
		return
	}
	if !exists {
		if q.storeKey != nil {
			deleted, err := c.Tx.Delete(q.storeKey)
			if err != nil {
				c.ReplyStoreError(err)
				return
			}
			if deleted {
				c.Notify(notify.Del, q.storeKey)
			}
			c.Reply.Int(0)
		} else {
			c.Reply.Array(0)
		}
		return
	}
	limit := 0
	if q.any {
		limit = int(min(q.count, int64(geoMaxInt)))
	}
	pts, err := geoSearchPoints(c.Tx, src, &q.shape, limit)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if len(pts) == 0 && q.storeKey == nil {
		c.Reply.Array(0)
		return
	}
	returned := len(pts)
	if q.count != 0 && int64(returned) > q.count {
		returned = int(q.count)
	}
	switch q.sort {
	case geoSortAsc:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return geoCmpFloat(a.dist, b.dist) })
	case geoSortDesc:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return geoCmpFloat(b.dist, a.dist) })
	}
	pts = pts[:returned]
	for i := range pts {
		pts[i].dist /= q.shape.Conversion
	}
	if q.storeKey == nil {
		geoReplyPoints(c.Reply, &q, pts)
		return
	}
	members, scores := make([][]byte, 0, len(pts)), make([]float64, 0, len(pts))
	seen := make(map[string]bool, len(pts))
	for _, p := range pts {
		if seen[string(p.member)] {
			continue // a cell searched twice (Redis would not survive it)
		}
		seen[string(p.member)] = true
		members = append(members, p.member)
		if q.storeDist {
			scores = append(scores, p.dist)
		} else {
			scores = append(scores, p.score)
		}
	}
	existed := c.StoreExisted(q.storeKey)
	if _, err := c.Tx.ZStore(q.storeKey, members, scores); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Stored(q.storeKey, int64(returned), existed, returned)
	c.Reply.Int(int64(returned))
}

const geoMaxInt = int(^uint(0) >> 1)

// radiusStore is the event of GEORADIUS and GEORADIUSBYMEMBER with STORE.
var radiusStore = notify.Event{Class: notify.ZSet, Name: "georadiusstore"}

// geoErrCrossSlot is Redis Cluster's CROSSSLOT error, as the front end words it.
const geoErrCrossSlot = "CROSSSLOT Keys in request don't hash to the same slot"

func geoCmpFloat(a, b float64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// geoReplyPoints writes the results of a search: members, or with
// WITH* options [member, dist, hash, [lon, lat]] each.
func geoReplyPoints(r *resp.Reply, q *geoQuery, pts []geoPoint) {
	opts := int(commands.BoolInt(q.withDist) + commands.BoolInt(q.withHash) + commands.BoolInt(q.withCoord))
	r.Array(len(pts))
	for _, p := range pts {
		if opts > 0 {
			r.Array(opts + 1)
		}
		r.Bulk(p.member)
		if q.withDist {
			r.BulkString(geohash.FormatDistance(p.dist))
		}
		if q.withHash {
			r.Int(int64(p.score))
		}
		if q.withCoord {
			r.Array(2)
			geoReplyCoord(r, p.xy[0])
			geoReplyCoord(r, p.xy[1])
		}
	}
}

// geoSearchPoints finds the members of key inside shape by scanning the
// score ranges of the cells covering it (shape.Boxes, in Redis's order of
// membersOfAllNeighbors). With limit > 0 it stops once limit members are
// found (ANY).
func geoSearchPoints(tx *store.Tx, key []byte, shape *geohash.Shape, limit int) ([]geoPoint, error) {
	var pts []geoPoint
	full := func() bool { return len(pts) > 0 && limit > 0 && len(pts) >= limit }
	for _, box := range shape.Boxes() {
		if full() {
			break
		}
		lo, hi := box[0], box[1]
		r := store.ZScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}
		err := tx.ZRangeByScore(key, r, func(member []byte, score float64) bool {
			if xy, dist, ok := shape.Within(score); ok {
				pts = append(pts, geoPoint{xy: xy, dist: dist, score: score, member: member})
			}
			return !full()
		})
		if err != nil {
			return nil, err
		}
	}
	return pts, nil
}
