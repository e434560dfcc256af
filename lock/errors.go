package lock

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions wrap them with context (the lock name, how many
// endpoints answered what); test with errors.Is.
var (
	// ErrTaken means another holder holds the lock on enough endpoints that
	// no quorum could be had.
	ErrTaken = errors.New("lock taken by another holder")
	// ErrExpired means the lock's validity ran out: acquiring took longer
	// than the TTL allows, or the handle's validity passed before an Extend
	// or Release. The critical section may no longer be exclusive.
	ErrExpired = errors.New("lock validity expired")
	// ErrNotHeld means the caller does not hold the lock: on a node, the
	// lease belongs to someone else or has ended; on a handle, it was
	// released, or a quorum of endpoints no longer knows the holder.
	ErrNotHeld = errors.New("lock not held")
	// ErrUnavailable means too few endpoints answered to form a quorum.
	ErrUnavailable = errors.New("lock quorum unavailable")
	// ErrStaleToken means a fencing token was not above a node's high-water
	// mark, so it cannot be confirmed there.
	ErrStaleToken = errors.New("fencing token not above the high-water mark")
	// ErrRedisCluster means an endpoint is a node of a Redis Cluster (it
	// redirects the lock's keys, -MOVED or -ASK). Redlock needs endpoints
	// that each hold every key: independent Redis servers, or meshcache
	// (whose LOCK.* commands place each lock on its own nodes). A Redis
	// Cluster's masters split the keys between them, so it is refused.
	ErrRedisCluster = errors.New("endpoint is a Redis Cluster node: Redlock needs independent Redis servers or meshcache")
)

// staleTokenError says which token and mark made a confirm fail.
type staleTokenError struct {
	token, mark uint64
}

func (e *staleTokenError) Error() string {
	return fmt.Sprintf("fencing token %d is not above the high-water mark %d", e.token, e.mark)
}

func (e *staleTokenError) Unwrap() error { return ErrStaleToken }
