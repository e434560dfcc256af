package server

import (
	"errors"
	"io"
	"net"

	"github.com/meshcache/meshcache/server/resp"
)

// The front end's I/O loop (docs/DESIGN.md, "Front end"): one goroutine per
// connection, started by acceptLoop and ending when the connection does.
// Each turn it takes every complete command the client has sent (parsed
// once by resp.Conn, protocol limits included, with no copy of the
// arguments), runs them in order, and writes all their replies with one
// system call. A command that waits (a blocking command, a forwarded
// batch, a script) holds only its own connection's goroutine.

// acceptLoop accepts clients on ln until it is closed, each served by a
// goroutine of its own (serveClient). It returns nil once ln is closed.
func (s *Server) acceptLoop(ln net.Listener) error {
	return resp.AcceptLoop(ln, s.closed, s.log, func(nc net.Conn) {
		if c := s.accept(nc); c != nil {
			go s.serveClient(c)
		}
	})
}

// serveClient is the connection's goroutine: it reads batches of commands,
// runs them and writes their replies, until the client closes, fails, breaks
// the protocol or is closed by the server.
func (s *Server) serveClient(c *Client) {
	var err error
	defer func() {
		_ = c.pc.Conn.Conn.Close()
		s.onClose(c, err)
	}()
	for {
		var cmds [][][]byte
		cmds, err = c.pc.ReadBatch()
		free := true // every command of the batch let go of its arguments
		for i, args := range cmds {
			if c.closing {
				free = false
				break // the rest of the pipeline is dropped, as Redis does
			}
			c.pipeline = cmds[i+1:]
			c.argsFree = false
			s.handle(c, args)
			free = free && c.argsFree
		}
		c.pipeline = nil
		c.flushStats() // before the replies leave (clock.go)
		if err != nil && c.protocolError(err) {
			// The outbox's writer closes the connection once the error
			// is out; the client's reads end then.
			_, _ = io.Copy(io.Discard, c.pc.Conn.Conn)
			return
		}
		if werr := c.pc.Flush(); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return
		}
		if c.closeNow {
			err = errClientClosed
			return
		}
		if free {
			c.slotArgs = nil
			c.pc.Recycle() // the next batch is read over this one (resp.Conn)
		} else {
			c.pc.Keep()
		}
	}
}

// protocolError queues the error reply of a protocol violation that ends
// the connection, behind the replies before it. It reports whether the
// client's outbox took it (the outbox then closes the connection).
func (c *Client) protocolError(err error) bool {
	var pe *resp.ProtocolError
	if !errors.As(err, &pe) {
		return false
	}
	msg := pe.Reply()
	if o := c.ev.Outbox(); o != nil {
		o.Append(msg)
		o.CloseAfterWrite()
		return true
	}
	c.pc.Queue(msg)
	return false
}

// closeConn makes the connection's goroutine close the connection once the
// batch's replies before this point are written, and drop the commands
// after it.
func (c *Client) closeConn() {
	c.closing = true
	c.closeNow = true
}
