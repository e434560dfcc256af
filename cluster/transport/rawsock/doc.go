// Package rawsock reads and writes TCP sockets with raw system calls, for
// the goroutines that serve a connection each: the cluster transport's
// readers and writers, and the client connections an event loop handed
// over (the loops make raw calls of their own, server/netloop).
package rawsock
