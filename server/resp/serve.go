package resp

import (
	"errors"
	"log/slog"
	"net"
	"time"
)

// maxWriteBuf is the largest reply buffer a connection keeps between
// batches; a bigger one (a large reply) is dropped once written.
const maxWriteBuf = 256 << 10

// Queue appends replies to the connection's write buffer; Flush writes
// them. Only for the connection's goroutine, as are Flush, Take and Drop.
func (pc *Conn) Queue(b []byte) { pc.out = append(pc.out, b...) }

// Flush writes the queued replies with one system call.
func (pc *Conn) Flush() error {
	if len(pc.out) == 0 {
		return nil
	}
	_, err := pc.Write(pc.out)
	if cap(pc.out) > maxWriteBuf || err != nil {
		pc.out = nil
	} else {
		pc.out = pc.out[:0]
	}
	return err
}

// Take hands over the queued replies, which are then no longer the
// connection's to write (an outbox takes them, keeping their place).
func (pc *Conn) Take() []byte {
	b := pc.out
	pc.out = nil
	return b
}

// Drop discards the queued replies.
func (pc *Conn) Drop() { pc.out = pc.out[:0] }

// AcceptLoop accepts connections on ln and hands each to serve, until ln
// is closed (it then returns nil) or stop is closed. Other accept errors
// (out of file descriptors ...) are logged and retried after a pause that
// doubles up to a second, as net/http does, rather than in a busy loop.
func AcceptLoop(ln net.Listener, stop <-chan struct{}, log *slog.Logger, serve func(net.Conn)) error {
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err == nil {
			backoff = 0
			serve(nc)
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		log.Warn("accept", "err", err, "retry in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return nil
		}
	}
}
