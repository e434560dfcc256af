package commands

import (
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// LCSCommands is LCS, the longest common subsequence of two strings, as
// Redis 7.2's lcsCommand (t_string.c): the same dynamic-programming table
// and walk back, so that among equally long answers the same one is given.
func LCSCommands() []*Command {
	return []*Command{
		{Name: "lcs", Arity: -3, Flags: FlagReadOnly, ACL: ACLString, Keys: []KeySpec{Range(RO|Access, 1, 1, 1)},
			Group: "string", Since: "7.0.0", Summary: "Find longest common substring", Handler: lcsCommand},
	}
}

const (
	errLCSType    = "ERR The specified keys must contain string values"
	errLCSLenIdx  = "ERR If you want both the length and indexes, please just use IDX."
	errLCSTooLong = "ERR String too long for LCS"
	errLCSMemory  = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// lcsCommand is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN].
// Missing keys are empty strings. The table costs 4 bytes per pair of
// positions and is refused above proto-max-bulk-len, as in Redis.
func lcsCommand(c *Call) {
	a, errA := lcsValue(c.Tx, c.Args[1])
	b, errB := lcsValue(c.Tx, c.Args[2])
	if errA != nil || errB != nil {
		c.Reply.Error(errLCSType)
		return
	}
	var getlen, getidx, withlen bool
	var minlen int64
	for j := 3; j < len(c.Args); j++ {
		opt, more := c.Args[j], len(c.Args)-1-j > 0
		switch {
		case resp.EqualFold(opt, "idx"):
			getidx = true
		case resp.EqualFold(opt, "len"):
			getlen = true
		case resp.EqualFold(opt, "withmatchlen"):
			withlen = true
		case resp.EqualFold(opt, "minmatchlen") && more:
			n, ok := resp.ParseInt64(c.Args[j+1])
			if !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			minlen = max(n, 0)
			j++
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	if getlen && getidx {
		c.Reply.Error(errLCSLenIdx)
		return
	}
	if uint64(len(a)) >= 1<<32-2 || uint64(len(b)) >= 1<<32-2 {
		c.Reply.Error(errLCSTooLong)
		return
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1)*4 > uint64(c.MaxBulkLen()) {
		c.Reply.Error(errLCSMemory)
		return
	}
	w := blen + 1
	lcs := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			switch {
			case a[i-1] == b[j-1]:
				lcs[i*w+j] = lcs[(i-1)*w+j-1] + 1
			default:
				lcs[i*w+j] = max(lcs[(i-1)*w+j], lcs[i*w+j-1])
			}
		}
	}
	total := lcs[alen*w+blen]
	if getlen {
		c.Reply.Int(int64(total))
		return
	}
	type match struct{ a0, a1, b0, b1 int }
	var matches []match
	result := make([]byte, total)
	idx := int(total)
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0 // aStart == alen: no range open
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if lcs[(i-1)*w+j] > lcs[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if n := aEnd - aStart + 1; minlen == 0 || int64(n) >= minlen {
				matches = append(matches, match{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	if !getidx {
		c.Reply.Bulk(result)
		return
	}
	c.Reply.Map(2)
	c.Reply.BulkString("matches")
	c.Reply.Array(len(matches))
	for _, m := range matches {
		if withlen {
			c.Reply.Array(3)
		} else {
			c.Reply.Array(2)
		}
		c.Reply.Array(2)
		c.Reply.Int(int64(m.a0))
		c.Reply.Int(int64(m.a1))
		c.Reply.Array(2)
		c.Reply.Int(int64(m.b0))
		c.Reply.Int(int64(m.b1))
		if withlen {
			c.Reply.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	c.Reply.BulkString("len")
	c.Reply.Int(int64(total))
}

// lcsValue is the string at key, empty when missing.
func lcsValue(tx *store.Tx, key []byte) ([]byte, error) {
	v, _, err := tx.Get(key)
	return v, err
}
