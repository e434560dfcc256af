package server

import (
	"testing"
)

// Helpers of the table tests that run commands through a whole server
// (the command families test themselves in package commands).

// startDataServer starts an in-process server with an empty store on a
// free loopback port and returns its address. The server stops when the
// test ends.
func startDataServer(t *testing.T) string {
	t.Helper()
	return startServer(t, nil).addr
}
