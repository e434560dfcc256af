// Package netloop is an event loop over epoll for sockets that are served
// without a goroutine each: a Loop owns an epoll set and one goroutine
// (Run) that waits on it and, when a connection is readable or hung up,
// calls its Handler on that goroutine. It is pure mechanics: registering
// a socket (Add, which takes a duplicate of the socket's descriptor, so
// that the loop's reads and writes never race with the owner of the
// original closing it), non-blocking reads and writes of the raw
// descriptor (Conn.Read, Conn.Write), and giving a connection back to
// whoever serves it otherwise (Conn.Detach). It knows nothing of what
// the bytes mean.
//
// The epoll set is level-triggered: a connection the handler did not read
// to the end is reported again at the next wait, so one read per
// readiness is enough, and a request costs one read(2) and one write(2)
// plus a share of an epoll_wait(2).
//
// Only Linux has it (Supported); elsewhere New fails with
// ErrUnsupported and callers serve connections another way.
package netloop
