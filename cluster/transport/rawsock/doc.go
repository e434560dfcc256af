// Package rawsock reads and writes sockets with raw system calls: a TCP
// connection served by a goroutine of its own (Of: the cluster
// transport's readers and writers, the client connections an event loop
// handed over), and the non-blocking descriptors of the event loops
// (Read, Write; server/netloop).
package rawsock
