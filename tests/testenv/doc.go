// Package testenv is the one test environment of meshcache: it starts
// redis-server (one or several, with any extra configuration such as
// cluster-enabled), builds the meshcache (or any) binary once per test
// binary and starts process clusters of it, drives in-process clusters,
// hands out loopback ports, and waits.
//
// Every wait is on a condition (a node reporting itself settled, a reply,
// a process exit) with a deadline and a failure message that says what was
// awaited and what was last seen; nothing here sleeps a fixed time as a
// stand-in for a condition. The short pause between two polls of a
// condition (Until) is the only sleep.
//
// # Settled
//
// A meshcache node reports itself settled (cluster.Node.Settled; INFO's
// cluster_settled:1): its routing table is the target placement of the
// alive members, no slot migrates, and every slot has its replicas in
// sync. A cluster is settled when every node is and all hold one epoch that
// names exactly them: WaitSettled for processes (through INFO and CLUSTER
// INFO), WaitMembersSettled for in-process nodes.
//
// # Import cycles
//
// testenv is a normal package imported by tests, including internal tests
// of package server and package cluster. An internal test of package P
// cannot import a package that imports P, so testenv imports neither
// server nor cluster: it only uses ring, go-redis and the standard library.
// The in-process builder (StartInProcess) therefore takes the node as a
// small interface (Member, InProcessNode) that *cluster.Node satisfies, and
// the test passes the constructor that wires a server.Server (or an echo
// executor) to a cluster.Node. The server's cluster tests keep their own
// constructor (startClusterNode) and hand it to testenv; nothing of the
// server has to be exported for tests.
//
// # Binaries
//
// Binary builds a main package once per test binary (per race flavour) into
// a temporary directory; a package that builds binaries runs its tests
// through Main, which removes that directory when the tests end.
package testenv
