package events

import (
	"maps"
	"slices"
)

// BCAST's batches, as Redis's trackingRememberKeyToBroadcast and
// trackingBroadcastInvalidationMessages: a change of a key under a BCAST
// prefix is noted for the prefix, and the prefix's clients are sent every
// key noted since the last batch in one message, per prefix (prefixes and
// keys in byte order, as Redis's radix trees give them). Redis sends a
// batch before its event loop sleeps; a node sends one when a command
// ends (AfterCommand: a MULTI's or an MSET's keys go together, before the
// writer's reply) and, for the changes no command made (expiry, eviction,
// a replica applying its primary's writes), on the fan-out's turn
// (sendOrphans). A NOLOOP client is not sent the keys it changed last
// itself.

// bcastKeys are a prefix's keys changed since its last batch, each with
// the NOLOOP tracking client that changed it last (nil: someone else).
type bcastKeys map[string]*Client

// noteBcast notes that key, under prefix p, was changed by writer (the
// NOLOOP tracking client whose command holds its slot, or nil); t.mu is
// held.
func (t *tracker) noteBcast(p string, key []byte, writer *Client) {
	keys := t.bcast[p]
	if keys == nil {
		keys = bcastKeys{}
		t.bcast[p] = keys
	}
	keys[string(key)] = writer
}

// flushBcast sends every prefix's batch to its clients and forgets the
// batches; t.mu is held.
func (t *tracker) flushBcast() {
	if len(t.bcast) == 0 {
		return
	}
	for _, p := range slices.Sorted(maps.Keys(t.bcast)) {
		keys := t.bcast[p]
		names := slices.Sorted(maps.Keys(keys))
		all := make([][]byte, len(names))
		for i, k := range names {
			all[i] = []byte(k)
		}
		for c := range t.prefixes[p] {
			send := all
			if c.track.noloop {
				send = nil
				for i, k := range names {
					if keys[k] != c {
						send = append(send, all[i])
					}
				}
			}
			if len(send) > 0 {
				t.sendKeys(c, false, send...)
			}
		}
	}
	clear(t.bcast)
}
