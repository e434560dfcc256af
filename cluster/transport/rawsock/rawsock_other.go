//go:build !linux

package rawsock

import (
	"io"
	"net"
)

// Of returns the connection itself: raw socket calls are Linux-only
// (rawsock_linux.go says why they matter).
func Of(c net.Conn) io.ReadWriter { return c }
