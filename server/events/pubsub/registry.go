// Package pubsub is the node's subscriber registry: which subscribers
// listen to which channels, patterns and shard channels, and who receives
// a message published to a channel. It is pure: subscribers are opaque
// comparable values (package events uses its connections), and the
// registry never writes to them; delivering is the caller's business.
//
// Patterns match channels as Redis's stringmatchlen does (resp.GlobMatch:
// '*', '?', '[...]' with ranges and '^', backslash escapes), case
// sensitively.
//
// The registry is safe for concurrent use: one RWMutex guards the three
// maps; publishing takes it for reading only. Active is one atomic load, so
// a producer of events (keyspace notifications) can skip building a message
// when nobody listens.
package pubsub

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/meshcache/meshcache/server/resp"
)

// Kind is what a subscription names.
type Kind uint8

const (
	Channel Kind = iota // SUBSCRIBE: an exact channel name
	Pattern             // PSUBSCRIBE: a glob pattern over channel names
	Shard               // SSUBSCRIBE: an exact shard channel name
	nkinds
)

// Receiver is one delivery of a published message: the subscriber, and the
// pattern it matched by ("" for a direct channel or shard channel
// subscription; a pattern subscriber receives "pmessage").
type Receiver[S comparable] struct {
	Sub     S
	Pattern string
}

// Registry maps channels, patterns and shard channels to their
// subscribers. The zero value is not usable; call New.
type Registry[S comparable] struct {
	mu   sync.RWMutex                      // guards subs
	subs [nkinds]map[string]map[S]struct{} // kind -> name -> subscribers; a name without subscribers is deleted
	// live counts the subscriptions (subscriber, name) of each kind, kept
	// with mu held for writing and read without it (Active).
	live [nkinds]atomic.Int64
}

// New returns an empty registry.
func New[S comparable]() *Registry[S] {
	r := &Registry[S]{}
	for k := range r.subs {
		r.subs[k] = make(map[string]map[S]struct{})
	}
	return r
}

// Subscribe adds s to name's subscribers; false if it was one already.
func (r *Registry[S]) Subscribe(k Kind, name string, s S) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.subs[k][name]
	if set == nil {
		set = make(map[S]struct{}, 1)
		r.subs[k][name] = set
	}
	if _, ok := set[s]; ok {
		return false
	}
	set[s] = struct{}{}
	r.live[k].Add(1)
	return true
}

// Unsubscribe removes s from name's subscribers; false if it was not one.
func (r *Registry[S]) Unsubscribe(k Kind, name string, s S) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.subs[k][name]
	if _, ok := set[s]; !ok {
		return false
	}
	delete(set, s)
	if len(set) == 0 {
		delete(r.subs[k], name)
	}
	r.live[k].Add(-1)
	return true
}

// Active reports whether any subscriber listens to a channel or a pattern
// (shard channels aside): one atomic load each, for producers of events
// that would otherwise build messages nobody receives.
func (r *Registry[S]) Active() bool {
	return r.live[Channel].Load() > 0 || r.live[Pattern].Load() > 0
}

// ActiveShard reports whether any subscriber listens to a shard channel.
func (r *Registry[S]) ActiveShard() bool { return r.live[Shard].Load() > 0 }

// Receivers appends to out the deliveries of a message published to
// channel: its direct subscribers, then one per (subscriber, pattern) that
// matches, as Redis counts them (a subscriber with a channel and two
// matching patterns receives three messages).
func (r *Registry[S]) Receivers(channel []byte, out []Receiver[S]) []Receiver[S] {
	if !r.Active() {
		return out
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for s := range r.subs[Channel][string(channel)] {
		out = append(out, Receiver[S]{Sub: s})
	}
	for pat, set := range r.subs[Pattern] {
		if !resp.GlobMatch([]byte(pat), channel, false) {
			continue
		}
		for s := range set {
			out = append(out, Receiver[S]{Sub: s, Pattern: pat})
		}
	}
	return out
}

// ShardReceivers appends to out the subscribers of a shard channel.
func (r *Registry[S]) ShardReceivers(channel []byte, out []Receiver[S]) []Receiver[S] {
	if !r.ActiveShard() {
		return out
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for s := range r.subs[Shard][string(channel)] {
		out = append(out, Receiver[S]{Sub: s})
	}
	return out
}

// Names returns the names of kind k that have subscribers and match
// pattern (every one when pattern is nil), sorted (PUBSUB CHANNELS,
// SHARDCHANNELS; Redis's order is its hash table's, which clients cannot
// rely on).
func (r *Registry[S]) Names(k Kind, pattern []byte) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for name := range r.subs[k] {
		if pattern == nil || resp.GlobMatch(pattern, []byte(name), false) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Count returns the number of subscribers of name (PUBSUB NUMSUB,
// SHARDNUMSUB).
func (r *Registry[S]) Count(k Kind, name []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.subs[k][string(name)])
}

// Distinct returns how many names of kind k have subscribers (PUBSUB
// NUMPAT counts the distinct patterns).
func (r *Registry[S]) Distinct(k Kind) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.subs[k])
}

// ShardNamesIn returns the shard channels with subscribers for which in
// reports true (the shard channels of the slots a node lost).
func (r *Registry[S]) ShardNamesIn(in func(name string) bool) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for name := range r.subs[Shard] {
		if in(name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Subscribers returns the subscribers of name.
func (r *Registry[S]) Subscribers(k Kind, name string) []S {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]S, 0, len(r.subs[k][name]))
	for s := range r.subs[k][name] {
		out = append(out, s)
	}
	return out
}
