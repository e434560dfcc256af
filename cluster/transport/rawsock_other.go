//go:build !linux

package transport

import (
	"io"
	"net"
)

// sockIO returns the connection itself: raw socket calls are Linux-only
// (rawsock_linux.go says why they matter).
func sockIO(c net.Conn) io.ReadWriter { return c }
