package zset

import (
	"bytes"
	"math"
	"slices"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD, and ZSCAN.

// Set operations.
type zsetOp uint8

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

// Aggregates of ZUNION and ZINTER.
const (
	aggrSum = iota
	aggrMin
	aggrMax
)

// zsrc is one input of a set operation. A sorted set is probed in the
// store and read whole only when iterated (load); a set is read at once.
type zsrc struct {
	tx      *store.Tx
	key     []byte
	zset    bool // a sorted set, probed with ZScore
	card    int
	loaded  bool
	members [][]byte
	scores  []float64
	weight  float64
	index   map[string]float64 // a set's member -> score, built when probed
	obj     int                // which key it came from, to spot repeats
}

func zunionCommand(c *commands.Call)      { zsetAlgebra(c, nil, 1, zopUnion, false) }
func zinterCommand(c *commands.Call)      { zsetAlgebra(c, nil, 1, zopInter, false) }
func zdiffCommand(c *commands.Call)       { zsetAlgebra(c, nil, 1, zopDiff, false) }
func zintercardCommand(c *commands.Call)  { zsetAlgebra(c, nil, 1, zopInter, true) }
func zunionstoreCommand(c *commands.Call) { zsetAlgebra(c, c.Args[1], 2, zopUnion, false) }
func zinterstoreCommand(c *commands.Call) { zsetAlgebra(c, c.Args[1], 2, zopInter, false) }
func zdiffstoreCommand(c *commands.Call)  { zsetAlgebra(c, c.Args[1], 2, zopDiff, false) }

// zsetAlgebra is zunionInterDiffGenericCommand: numkeys at numkeysIdx,
// then the keys (each a sorted set, a set, or missing: checked before the
// options), then WEIGHTS, AGGREGATE, WITHSCORES (not with dst) or, for
// ZINTERCARD, LIMIT. The result is ordered by (score, member).
func zsetAlgebra(c *commands.Call, dst []byte, numkeysIdx int, op zsetOp, cardOnly bool) {
	setnum, ok := resp.ParseInt64(c.Args[numkeysIdx])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if setnum < 1 {
		c.Reply.Error("ERR at least 1 input key is needed for '" + c.Name() + "' command")
		return
	}
	if setnum > int64(len(c.Args)-(numkeysIdx+1)) {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	keys := c.Args[numkeysIdx+1 : numkeysIdx+1+int(setnum)]
	src := make([]zsrc, len(keys))
	for i, k := range keys {
		src[i].weight = 1
		src[i].obj = i
		for j := 0; j < i; j++ {
			if string(keys[j]) == string(k) {
				src[i].obj = j
				break
			}
		}
		if err := readZInput(c.Tx, k, &src[i]); err != nil {
			c.ReplyStoreError(err)
			return
		}
	}
	aggregate, withScores := aggrSum, false
	limit := int64(0)
	j := numkeysIdx + 1 + int(setnum)
	for j < len(c.Args) {
		remaining := len(c.Args) - j
		a := c.Args[j]
		switch {
		case op != zopDiff && !cardOnly && remaining >= len(src)+1 && resp.EqualFold(a, "weights"):
			j++
			for i := range src {
				w, ok := ParseScore(c.Args[j])
				if !ok {
					c.Reply.Error("ERR weight value is not a float")
					return
				}
				src[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && resp.EqualFold(a, "aggregate"):
			switch v := c.Args[j+1]; {
			case resp.EqualFold(v, "sum"):
				aggregate = aggrSum
			case resp.EqualFold(v, "min"):
				aggregate = aggrMin
			case resp.EqualFold(v, "max"):
				aggregate = aggrMax
			default:
				c.Reply.Error(resp.ErrSyntax)
				return
			}
			j += 2
		case remaining >= 1 && dst == nil && !cardOnly && resp.EqualFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && resp.EqualFold(a, "limit"):
			n, ok := resp.ParseInt64(c.Args[j+1])
			if !ok || n < 0 {
				c.Reply.Error("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	if op != zopDiff {
		slices.SortStableFunc(src, func(a, b zsrc) int { return a.card - b.card })
	}
	var members [][]byte
	var scores []float64
	switch op {
	case zopInter:
		n := 0
		members, scores, n = zinter(src, aggregate, cardOnly, limit)
		if cardOnly {
			c.Reply.Int(int64(n))
			return
		}
	case zopUnion:
		members, scores = zunion(src, aggregate)
	case zopDiff:
		members, scores = zdiff(src)
	}
	sortByScore(members, scores)
	if dst != nil {
		existed := c.StoreExisted(dst)
		n, err := c.Tx.ZStore(dst, members, scores)
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Stored(dst, int64(n), existed, 1)
		c.Reply.Int(int64(n))
		return
	}
	resp3 := c.Reply.RESP3()
	if withScores && !resp3 {
		c.Reply.Array(2 * len(members))
	} else {
		c.Reply.Array(len(members))
	}
	for i, m := range members {
		if withScores && resp3 {
			c.Reply.Array(2)
		}
		c.Reply.Bulk(m)
		if withScores {
			replyDouble(c.Reply, scores[i])
		}
	}
}

// readZInput checks key and prepares s: a sorted set (its size; read
// later), a set (its members with score 1), or nothing when missing.
func readZInput(tx *store.Tx, key []byte, s *zsrc) error {
	t, err := tx.Type(key)
	if err != nil {
		return err
	}
	s.tx, s.key, s.loaded = tx, key, true
	switch {
	case t == store.TypeZSet:
		s.zset, s.loaded = true, false
		s.card, err = tx.ZCard(key)
		return err
	case t == store.TypeSet:
		// A plain set counts as a sorted set whose scores are all 1, as
		// in Redis. Its members are copied: a STORE may replace the key.
		_, err = tx.SMembers(key, func(int) {}, func(m []byte) {
			s.members = append(s.members, bytes.Clone(m))
			s.scores = append(s.scores, 1)
		})
		s.card = len(s.members)
		return err
	case t == store.TypeNone:
		return nil
	}
	return store.ErrWrongType
}

// load reads a sorted set's members and scores, in ascending order.
func (s *zsrc) load() {
	if !s.loaded {
		s.members, s.scores, _ = zsetMembers(s.tx, s.key)
		s.loaded = true
	}
}

// lookup returns member's score in s.
func (s *zsrc) lookup(m []byte) (float64, bool) {
	if s.zset {
		v, ok, _ := s.tx.ZScore(s.key, m)
		return v, ok
	}
	if s.index == nil {
		s.index = make(map[string]float64, len(s.members))
		for i, x := range s.members {
			s.index[string(x)] = s.scores[i]
		}
	}
	v, ok := s.index[string(m)]
	return v, ok
}

// weighted is weight*score with NaN (0 * inf) taken as 0, as Redis does.
func weighted(w, s float64) float64 {
	v := w * s
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// aggregateInto is zunionInterAggregate.
func aggregateInto(target *float64, v float64, aggregate int) {
	switch aggregate {
	case aggrSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin: // C's comparisons: a NaN v leaves target as it is
		if v < *target {
			*target = v
		}
	case aggrMax:
		if v > *target {
			*target = v
		}
	}
}

// zinter intersects src (sorted by size): the members of the smallest
// present in every input. With cardOnly it only counts, up to limit (0:
// no limit).
func zinter(src []zsrc, aggregate int, cardOnly bool, limit int64) ([][]byte, []float64, int) {
	var members [][]byte
	var scores []float64
	n := 0
	src[0].load()
	for i, m := range src[0].members {
		score := weighted(src[0].weight, src[0].scores[i])
		j := 1
		for ; j < len(src); j++ {
			var v float64
			if src[j].obj == src[0].obj {
				v = src[0].scores[i]
			} else if x, ok := src[j].lookup(m); ok {
				v = x
			} else {
				break
			}
			aggregateInto(&score, src[j].weight*v, aggregate)
		}
		if j < len(src) {
			continue
		}
		n++
		if cardOnly {
			if limit > 0 && int64(n) >= limit {
				break
			}
			continue
		}
		members = append(members, m)
		scores = append(scores, score)
	}
	return members, scores, n
}

// zunion unites src.
func zunion(src []zsrc, aggregate int) ([][]byte, []float64) {
	pos := map[string]int{}
	var members [][]byte
	var scores []float64
	for k := range src {
		s := &src[k]
		s.load()
		for i, m := range s.members {
			score := weighted(s.weight, s.scores[i])
			if k, ok := pos[string(m)]; ok {
				aggregateInto(&scores[k], score, aggregate)
				continue
			}
			pos[string(m)] = len(members)
			members = append(members, m)
			scores = append(scores, score)
		}
	}
	return members, scores
}

// zdiff returns the members of src[0] in no other input, with their scores.
func zdiff(src []zsrc) ([][]byte, []float64) {
	var members [][]byte
	var scores []float64
	src[0].load()
	for i, m := range src[0].members {
		found := false
		for j := 1; j < len(src) && !found; j++ {
			_, found = src[j].lookup(m)
		}
		if !found {
			members = append(members, m)
			scores = append(scores, src[0].scores[i])
		}
	}
	return members, scores
}

// sortByScore sorts members and scores together by (score, member).
func sortByScore(members [][]byte, scores []float64) {
	idx := make([]int, len(members))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return compareBytes(members[a], members[b])
	})
	m2 := make([][]byte, len(members))
	s2 := make([]float64, len(scores))
	for i, k := range idx {
		m2[i], s2[i] = members[k], scores[k]
	}
	copy(members, m2)
	copy(scores, s2)
}

func compareBytes(a, b []byte) int {
	switch sa, sb := string(a), string(b); {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// zscanCommand is ZSCAN key cursor [MATCH pattern] [COUNT n]: the cursor
// is checked first, then the key (a missing key is an empty, finished
// scan), then the options. Scores are bulk strings in both protocols.
func zscanCommand(c *commands.Call) {
	cursor, opts, ok := commands.ScanStart(c, store.TypeZSet)
	if !ok {
		return
	}
	key := c.Args[1]
	var body resp.Reply
	n := 0
	var buf [40]byte
	next, err := c.Tx.ZScan(key, cursor, int(min(opts.Count, math.MaxInt32)), func(m []byte, s float64) {
		if opts.Pattern != nil && !resp.GlobMatch(opts.Pattern, m, false) {
			return
		}
		body.Bulk(m)
		body.Bulk(appendDouble(buf[:0], s))
		n += 2
	})
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	commands.ScanReply(c, next, n, &body)
}
