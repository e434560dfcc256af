//go:build !linux

package netloop

import "syscall"

// Supported reports whether this system has the event loop.
const Supported = false

// Handler is what a Loop calls; see the Linux implementation.
type Handler interface {
	Ready(c *Conn)
	Tick(l *Loop)
	Resume(c *Conn)
}

// Loop is not available on this system.
type Loop struct{}

// Conn is not available on this system.
type Conn struct{ Ctx any }

// New fails with ErrUnsupported.
func New(Handler) (*Loop, error) { return nil, ErrUnsupported }

// Run returns at once.
func (l *Loop) Run() error { return ErrUnsupported }

// Stop does nothing.
func (l *Loop) Stop() {}

// Add fails with ErrUnsupported.
func (l *Loop) Add(syscall.Conn, any) (*Conn, error) { return nil, ErrUnsupported }

// Post does nothing.
func (l *Loop) Post(*Conn) {}

// Len returns 0.
func (l *Loop) Len() int { return 0 }

// Each does nothing.
func (l *Loop) Each(func(*Conn)) {}

// Read fails with ErrUnsupported.
func (c *Conn) Read([]byte) (int, error) { return 0, ErrUnsupported }

// Write fails with ErrUnsupported.
func (c *Conn) Write([]byte) (int, error) { return 0, ErrUnsupported }

// Post does nothing.
func (c *Conn) Post() {}

// Later does nothing without the event loop.
func (c *Conn) Later() {}

// Detached reports true: without the event loop no connection is registered.
func (c *Conn) Detached() bool { return true }

// Detach does nothing.
func (c *Conn) Detach() error { return nil }
