// Package lock implements distributed locks with fencing tokens: Redlock
// over N independent RESP endpoints, either meshcache nodes (through their
// node-local LOCK.* commands, served by Table) or plain Redis servers
// (through SET NX PX and Lua compare-and-delete/extend scripts).
//
// The package speaks RESP through go-redis and never imports the server,
// store or cluster packages; the server wraps Table.Do in thin command-table
// entries (see Commands and the protocol in protocol.go).
//
// # Acquiring
//
// A Locker over N endpoints takes a lock in one attempt as follows, with a
// fresh random holder value and per-endpoint deadlines (WithEndpointTimeout):
//
//  1. start := now; ask every endpoint, in parallel, for the lease
//     (LOCK.ACQUIRE name holder ttl). Each grant carries the endpoint's
//     fencing high-water mark for the name.
//  2. Fewer than a quorum Q = N/2+1 grants: release on all N, fail (ErrTaken
//     when endpoints said taken, ErrUnavailable when they did not answer).
//  3. token := max(marks of the granting endpoints) + 1; confirm it
//     (LOCK.CONFIRM name holder token) on the granting endpoints, which
//     raises their marks to token. Fewer than Q confirmations: release on
//     all N, fail.
//  4. validity := TTL - (now - start) - drift, drift = TTL/100 + 2ms. If
//     validity <= 0, release on all N and fail with ErrExpired. Otherwise
//     the lock is held, with fencing token token, until start + validity.
//
// Locker.Acquire repeats attempts after a random pause (WithRetryDelay)
// until ctx is done. The returned Lock renews itself from a watchdog
// goroutine (every TTL/3; each renewal that reaches a quorum moves the
// validity to extend-start + TTL - elapsed - drift) and closes Lost when
// renewals fail until the validity runs out, or when a quorum answers that
// it no longer has the holder. Release and Extend act only on this holder's
// lease (compare-and-delete, compare-and-extend on every endpoint).
//
// # Fencing tokens: why they strictly increase
//
// Redlock's mutual exclusion rests on timing (bounded clock drift, no
// process pause longer than the validity). Fencing tokens do not: a
// resource that refuses any token lower than the highest it has seen stays
// safe even when a paused holder wakes up after its lock expired.
//
// Facts used, each guaranteed per endpoint by Table (one mutex, so its
// operations on a name are totally ordered):
//
//	(F1) At most one holder has a live lease on a name at a time.
//	(F2) CONFIRM(token) succeeds only while the caller holds the lease,
//	     and leaves the mark >= token.
//	(F3) The mark of a name never decreases (while the endpoint lives).
//	(F4) A grant reports the mark at the time of the grant.
//
// Claim. Let A be a lock holder with token tA, and let B be a later holder:
// B was granted the lease, on some endpoint n where A had confirmed, after
// A's lease on n had ended (released or expired). Then tB > tA. In
// particular this holds whenever B's attempt starts after A released the
// lock or after A's leases expired, and whenever A paused past its validity
// and B took the lock meanwhile.
//
// Proof. A counted as holding only after a quorum CA of endpoints confirmed
// tA. B counted as holding only after a quorum GB granted it. Any two
// quorums of the same N endpoints intersect, since |CA| + |GB| >= 2(N/2+1)
// > N; let n be in CA ∩ GB. On n, A confirmed tA while holding the lease
// (F2), and B was granted later, after A's lease there ended (F1 and the
// hypothesis). At the confirm the mark became >= tA (F2) and it did not
// decrease before B's grant (F3), so n reported a mark >= tA to B (F4).
// B's token is the maximum of the marks reported by GB plus one, hence
// tB >= tA + 1 > tA. QED.
//
// Without the confirm step the argument breaks: if marks were raised only
// at grant time, or taken from independent counters (INCR), two holders
// whose quorums meet on an endpoint with a small counter could get tokens
// out of order. A holder whose confirmations reach fewer than Q endpoints
// never holds the lock and never uses its token; its partial confirmations
// only raise marks, which is harmless.
//
// # Restarts and memory
//
// (F3) holds while an endpoint lives. A meshcache node keeps marks in
// memory only; so that a restart does not reset them, a new Table starts
// every name's mark at a floor equal to its creation time in Unix
// microseconds. Tokens grow by one per holder, far slower than a million per
// second, so every token issued before a restart is below the restarted
// node's floor, provided its clock is not behind the issuing nodes' clocks
// by more than the restart took. Redlock's own advice applies as well:
// restart a node no sooner than one TTL after it died ("delayed restart"),
// or its forgotten leases may admit a second holder while the first is valid.
//
// A Table bounds its memory (TableConfig.MaxMarks) by folding the marks of
// idle names into its floor: before an idle name's entry is dropped, the
// floor is raised to at least its mark, and a name without an entry reports
// the floor. Effective marks (max(own mark, floor)) therefore never
// decrease, so (F3) and the proof hold; eviction only makes later tokens
// jump. Held names are never evicted, and a grant pins the floor into the
// entry so the holder's mark does not move under it.
//
// # Plain Redis
//
// Against Redis the lease is a key (prefix{name}) set with SET NX PX, and
// the mark a second key (prefix{name}:fence) that the same scripts read at
// grant and raise at confirm, so the protocol and the proof are the same.
// But Redis may lose the fence key (restart without fsynced persistence,
// failover to a lagging replica, eviction under an allkeys-* policy,
// FLUSHALL), which breaks (F3): there fencing is best effort.
package lock
