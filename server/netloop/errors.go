package netloop

import "errors"

// ErrUnsupported is New's error on a system without epoll.
var ErrUnsupported = errors.New("netloop: no event loop on this system")

// ErrStopped is Add's error once the loop was stopped.
var ErrStopped = errors.New("netloop: loop stopped")
