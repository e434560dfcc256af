package client

import (
	"errors"

	"github.com/meshcache/meshcache/lock"
)

// Errors of the lock helpers. They are package lock's sentinels (the same
// values), so errors.Is works with either name.
var (
	// ErrTaken: another holder has the lock (TryLock reports it as false).
	ErrTaken = lock.ErrTaken
	// ErrExpired: the lock's validity ran out (acquiring took too long, or
	// the holder was paused past it): the critical section may have
	// overlapped another holder's.
	ErrExpired = lock.ErrExpired
	// ErrNotHeld: the Mutex does not hold the lock (never locked, already
	// unlocked, or lost).
	ErrNotHeld = lock.ErrNotHeld
	// ErrUnavailable: too few lock nodes answered to form a quorum.
	ErrUnavailable = lock.ErrUnavailable
)

// ErrLeadershipLost is the cause (context.Cause) of the cancellation of an
// Elect function's context when the leader's lock was lost.
var ErrLeadershipLost = errors.New("leadership lost")

// ErrLocked is returned by Lock and TryLock on a Mutex that already holds
// its lock or is acquiring it from another goroutine.
var ErrLocked = errors.New("mutex already locked or locking")
