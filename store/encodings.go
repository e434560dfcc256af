package store

import (
	"github.com/meshcache/meshcache/store/hash"
	"github.com/meshcache/meshcache/store/list"
	"github.com/meshcache/meshcache/store/set"
	"github.com/meshcache/meshcache/store/zset"
)

// Encodings are Redis's encoding thresholds (hash-max-listpack-entries,
// list-max-listpack-size, set-max-intset-entries, zset-max-listpack-value
// and the rest): the bounds past which a collection leaves its small
// encoding. They change at run time (CONFIG SET): a Tx reads them once,
// when it begins, and hands them to every write of the structures, so one
// command sees one set of limits; a collection converts when a write
// passes the limits of that write, never when the limits change (Redis's
// rule). A replica or a slot transfer's receiver rebuilds a collection
// through the same writes, under its own node's Encodings.
type Encodings struct {
	Hash hash.Limits
	List list.Limits
	Set  set.Limits
	ZSet zset.Limits
}

// DefaultEncodings are Redis 7.2's defaults.
func DefaultEncodings() Encodings {
	return Encodings{Hash: hash.DefaultLimits, List: list.DefaultLimits, Set: set.DefaultLimits, ZSet: zset.DefaultLimits}
}

// SetEncodings changes the encoding thresholds; Txs that begin afterwards
// use them.
func (s *Store) SetEncodings(e Encodings) { s.enc.Store(&e) }

// Encodings returns the encoding thresholds in force.
func (s *Store) Encodings() Encodings { return *s.enc.Load() }

// Encodings returns the encoding thresholds the Tx's writes use (those in
// force when it began).
func (tx *Tx) Encodings() Encodings { return *tx.enc }
