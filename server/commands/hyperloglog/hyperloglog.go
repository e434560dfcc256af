// Package hyperloglog holds PFADD, PFCOUNT, PFMERGE and PFDEBUG over
// Redis's own HLL representation (package hll), so that GET of a PF key is
// byte-identical to redis-server's after the same writes. PFCOUNT of
// several keys and PFMERGE need their keys in one slot, as on Redis
// Cluster (no multi-shard tip). What replicates: a dense value's changed
// bytes (the header's cache byte and the span of changed registers, as
// range effects); a sparse value, at most hll-sparse-max-bytes, whole.
package hyperloglog

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/hll"
	"github.com/meshcache/meshcache/server/notify"
)

// Commands are the PF commands, the front end's "hyperloglog" group.
func Commands() []*commands.Command {
	const g = "hyperloglog"
	a := commands.ACLHyperLogLog
	return []*commands.Command{
		{Name: "pfadd", Arity: -2, Flags: commands.FlagWrite | commands.FlagDenyOOM | commands.FlagFast, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Insert, 1, 0, 1)},
			Group: g, Since: "2.8.9", Summary: "Adds the specified elements to the specified HyperLogLog.", Handler: pfaddCommand},
		{Name: "pfcount", Arity: -2, Flags: commands.FlagReadOnly | commands.FlagMayReplicate, ACL: a, Keys: []commands.KeySpec{{Flags: commands.RW | commands.Access, Index: 1, LastKey: -1, Step: 1,
			Notes: "RW because it may change the internal representation of the key, and propagate to replicas"}},
			Group: g, Since: "2.8.9", Summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
			Handler: pfcountCommand},
		{Name: "pfmerge", Arity: -2, Flags: commands.FlagWrite | commands.FlagDenyOOM, ACL: a,
			Keys:  []commands.KeySpec{commands.Range(commands.RW|commands.Access|commands.Insert, 1, 0, 1), commands.Range(commands.RO|commands.Access, 2, -1, 1)},
			Group: g, Since: "2.8.9", Summary: "Merge N different HyperLogLogs into a single one.", Handler: pfmergeCommand},
		{Name: "pfdebug", Arity: 3, Flags: commands.FlagWrite | commands.FlagDenyOOM | commands.FlagAdmin, ACL: a, Keys: []commands.KeySpec{commands.Range(commands.RW|commands.Access, 2, 0, 1)},
			Group: g, Since: "2.8.9", Summary: "Internal commands for debugging HyperLogLog values", Handler: pfdebugCommand},
		{Name: "pfselftest", Arity: 1, Flags: commands.FlagAdmin, ACL: a, Group: g, Since: "2.8.9",
			Summary: "An internal command for testing HyperLogLog values", Handler: pfselftestCommand},
	}
}

// pfselftestCommand is PFSELFTEST: Redis's checks of the representation
// (hll.SelfTest) up to 10^7 elements, +OK or the TESTFAILED error. It takes
// seconds, as Redis's does, and holds no key.
func pfselftestCommand(c *commands.Call) {
	if err := hll.SelfTest(rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), 10_000_000, sparseMax(c)); err != nil {
		c.Reply.Error(err.Error())
		return
	}
	c.Reply.OK()
}

const errNotHLL = "WRONGTYPE Key is not a valid HyperLogLog string value."

// sparseMax is hll-sparse-max-bytes.
func sparseMax(c *commands.Call) int {
	if c.Host == nil {
		return hll.DefaultSparseMaxBytes
	}
	return int(min(max(c.Host.HLLSparseMaxBytes(), 0), 1<<30))
}

// pfaddCommand is PFADD key [element ...]: 1 when the key was created or a
// register changed. A dense value is updated in place; a sparse one is
// rebuilt (it is small) and kept with its TTL.
func pfaddCommand(c *commands.Call) {
	tx, key, elems := c.Tx, c.Args[1], c.Args[2:]
	var dense, valid bool
	var changed []int // dense: the registers that would rise
	var counts []uint8
	var old []byte // sparse: a copy to rebuild
	found, err := tx.PeekString(key, func(v []byte) {
		if valid = hll.Valid(v); !valid {
			return
		}
		if dense = v[4] == hll.Dense; !dense {
			old = bytes.Clone(v)
			return
		}
		regs := v[hll.HdrSize:]
		var raised map[int]uint8 // registers an earlier element raised, when there are several
		for _, e := range elems {
			i, n := hll.PatLen(e)
			cur, ok := raised[i]
			if !ok {
				cur = hll.DenseGet(regs, i)
			}
			if n > cur {
				changed, counts = append(changed, i), append(counts, n)
				if len(elems) > 1 {
					if raised == nil {
						raised = make(map[int]uint8)
					}
					raised[i] = n
				}
			}
		}
	})
	switch {
	case err != nil:
		c.ReplyStoreError(err)
		return
	case found && !valid:
		c.Reply.Error(errNotHLL)
		return
	case found && dense:
		if len(changed) > 0 && !pfaddDense(c, key, changed, counts) {
			return
		}
		if len(changed) > 0 {
			c.Notify(notify.PFAdd, key)
			c.CountChanges(len(changed)) // Redis counts each element that raised a register
		}
		c.Reply.Int(commands.BoolInt(len(changed) > 0))
		return
	}
	updates := 0 // as Redis's "updated": the creation and each element that raised a register
	if !found {
		updates++
	}
	v := old
	if !found {
		v = hll.New()
	}
	limit := sparseMax(c)
	for _, e := range elems {
		var up bool
		if v, up, err = hll.Add(v, e, limit); err != nil {
			c.Reply.Error(err.Error())
			return
		}
		if up {
			updates++
		}
	}
	updated := updates > 0
	if updated {
		hll.Invalidate(v)
		if err := commands.PutKeepTTL(tx, key, v); err != nil {
			c.ReplyStoreError(err)
			return
		}
		c.Notify(notify.PFAdd, key)
		c.CountChanges(updates)
	}
	c.Reply.Int(commands.BoolInt(updated))
}

// pfaddDense raises the registers of the dense HLL at key in place: the
// header's cache byte and the span of changed registers replicate as two
// range effects. It answers the error and returns false on failure.
func pfaddDense(c *commands.Call, key []byte, changed []int, counts []uint8) bool {
	if _, err := c.Tx.ModifyRange(key, 15, 1, func(v []byte) { hll.Invalidate(v) }); err != nil {
		c.ReplyStoreError(err)
		return false
	}
	lo, hi := hll.DenseSize, 0
	for _, i := range changed {
		b := hll.HdrSize + i*hll.Bits/8
		lo, hi = min(lo, b), max(hi, min(b+1, hll.DenseSize-1))
	}
	_, err := c.Tx.ModifyRange(key, lo, hi-lo+1, func(v []byte) {
		for j, i := range changed {
			hll.DenseSet(v[hll.HdrSize:], i, counts[j])
		}
	})
	if err != nil {
		c.ReplyStoreError(err)
		return false
	}
	return true
}

// pfcountCommand is PFCOUNT key [key ...]. With one key it answers the
// cached cardinality, computing and storing it (8 bytes, replicated) when
// stale; with several, the cardinality of their union, storing nothing.
func pfcountCommand(c *commands.Call) {
	if len(c.Args) > 2 {
		var regs [hll.Registers]uint8
		if _, ok := mergeKeys(c, c.Args[1:], &regs); ok {
			c.Reply.Int(int64(hll.CountRegisters(&regs)))
		}
		return
	}
	key := c.Args[1]
	var card uint64
	var cached, valid bool
	var cerr error
	found, err := c.Tx.PeekString(key, func(v []byte) {
		if valid = hll.Valid(v); !valid {
			return
		}
		if card, cached = hll.CachedCount(v); !cached {
			card, cerr = hll.Count(v)
		}
	})
	switch {
	case err != nil:
		c.ReplyStoreError(err)
		return
	case !found:
		c.Notify(notify.KeyMissed, key) // Redis reads it as a read (lookupKeyRead)
		c.Reply.Int(0)
		return
	case !valid:
		c.Reply.Error(errNotHLL)
		return
	case cerr != nil:
		c.Reply.Error(cerr.Error())
		return
	}
	if !cached {
		if _, err := c.Tx.ModifyRange(key, 8, 8, func(v []byte) { hll.PutCount(v, card) }); err != nil {
			c.ReplyStoreError(err)
			return
		}
	}
	c.Reply.Int(int64(card))
}

// mergeKeys folds the HyperLogLogs at keys (missing ones skipped) into
// regs, register-wise maximum, and reports whether any was dense. On a
// key that is not a HyperLogLog or a corrupt one it answers the error and
// ok is false.
func mergeKeys(c *commands.Call, keys [][]byte, regs *[hll.Registers]uint8) (anyDense, ok bool) {
	for _, k := range keys {
		v, found, err := c.Tx.Get(k)
		if err != nil {
			c.ReplyStoreError(err)
			return false, false
		}
		if !found {
			continue
		}
		if !hll.Valid(v) {
			c.Reply.Error(errNotHLL)
			return false, false
		}
		anyDense = anyDense || v[4] == hll.Dense
		if err := hll.Merge(regs, v); err != nil {
			c.Reply.Error(err.Error())
			return false, false
		}
	}
	return anyDense, true
}

// pfmergeCommand is PFMERGE destkey [sourcekey ...]: destkey (one of the
// inputs) gets the register-wise maximum, dense when any input is dense.
func pfmergeCommand(c *commands.Call) {
	var regs [hll.Registers]uint8
	useDense, ok := mergeKeys(c, c.Args[1:], &regs)
	if !ok {
		return
	}
	dst := c.Args[1]
	v, found, err := commands.GetString(c.Tx, dst)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if !found {
		v = hll.New()
	}
	if useDense {
		if v, err = hll.ToDense(v); err != nil {
			c.Reply.Error(err.Error())
			return
		}
	}
	limit := sparseMax(c)
	for i, x := range regs {
		if x != 0 {
			v, _, _ = hll.Set(v, i, x, limit) // validated by Merge above
		}
	}
	hll.Invalidate(v)
	if err := commands.PutKeepTTL(c.Tx, dst, v); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Notify(notify.PFAdd, c.Args[1]) // Redis's: PFMERGE is a mass-add
	c.Reply.OK()
}

// pfdebugCommand is PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. GETREG and
// TODENSE convert a sparse value to dense (a write, kept with its TTL).
func pfdebugCommand(c *commands.Call) {
	sub, key := c.Args[1], c.Args[2]
	v, found, err := commands.GetString(c.Tx, key)
	switch {
	case err != nil:
		c.ReplyStoreError(err)
		return
	case !found:
		c.Reply.Error("ERR The specified key does not exist")
		return
	case !hll.Valid(v):
		c.Reply.Error(errNotHLL)
		return
	}
	toDense := func() bool {
		d, err := hll.ToDense(v)
		if err != nil {
			c.Reply.Error(err.Error())
			return false
		}
		if err := commands.PutKeepTTL(c.Tx, key, d); err != nil {
			c.ReplyStoreError(err)
			return false
		}
		v = d
		return true
	}
	switch {
	case bytes.EqualFold(sub, []byte("getreg")):
		if v[4] == hll.Sparse && !toDense() {
			return
		}
		c.Reply.Array(hll.Registers)
		for i := range hll.Registers {
			c.Reply.Int(int64(hll.DenseGet(v[hll.HdrSize:], i)))
		}
	case bytes.EqualFold(sub, []byte("decode")):
		if v[4] != hll.Sparse {
			c.Reply.Error("ERR HLL encoding is not sparse")
			return
		}
		c.Reply.Bulk([]byte(hll.Decode(v)))
	case bytes.EqualFold(sub, []byte("encoding")):
		if v[4] == hll.Dense {
			c.Reply.Status("dense")
		} else {
			c.Reply.Status("sparse")
		}
	case bytes.EqualFold(sub, []byte("todense")):
		conv := v[4] == hll.Sparse
		if conv && !toDense() {
			return
		}
		c.Reply.Int(commands.BoolInt(conv))
	default:
		c.Reply.Error(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub))
	}
}
