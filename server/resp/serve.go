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

// Queued returns how many bytes of replies are queued.
func (pc *Conn) Queued() int { return len(pc.out) }

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

// FlushTo is Flush for an event loop, which must not wait: it writes
// the queued replies with one call of write, a non-blocking write of the
// connection that returns how many bytes the socket took (fewer when its
// buffer is full) and an error only when the connection failed. It
// reports whether every reply left; the rest stays queued, for Flush.
func (pc *Conn) FlushTo(write func([]byte) (int, error)) (bool, error) {
	if len(pc.out) == 0 {
		return true, nil
	}
	n, err := write(pc.out)
	pc.outBytes.Add(int64(n))
	if err == nil && n == len(pc.out) {
		if cap(pc.out) > maxWriteBuf {
			pc.out = nil
		} else {
			pc.out = pc.out[:0]
		}
		return true, nil
	}
	pc.out = pc.out[:copy(pc.out, pc.out[n:])]
	return false, err
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
