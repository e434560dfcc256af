package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// RawConn is a minimal RESP client that returns each reply's raw bytes, so
// that a test sees the reply's exact type and framing (bulk or status, a
// RESP3 map or a flat array): what the differential tests compare with
// redis-server byte for byte. It is used by one goroutine at a time.
type RawConn struct {
	conn net.Conn
	r    *bufio.Reader
	// Wait bounds each command's round trip; zero means 10 s. A test whose
	// commands are slow by nature (PFSELFTEST under the race detector)
	// sets it longer: a hang still fails, a slow machine does not.
	Wait time.Duration
}

// DialRaw connects to addr; the connection is closed when the test ends.
func DialRaw(t testing.TB, addr string) *RawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &RawConn{conn: conn, r: bufio.NewReader(conn)}
}

// Do sends one command as a RESP array of bulk strings and returns its raw
// reply; a reply that takes over rc.Wait (10 s) is an error.
func (rc *RawConn) Do(args ...string) ([]byte, error) {
	if err := rc.Send(args...); err != nil {
		return nil, err
	}
	var out []byte
	if err := ReadReply(rc.r, &out); err != nil {
		return nil, fmt.Errorf("read reply to %q: %w", args, err)
	}
	return out, nil
}

// Send sends one command without reading a reply (CLIENT REPLY OFF, a
// pipeline read later with Reader).
func (rc *RawConn) Send(args ...string) error {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	wait := rc.Wait
	if wait == 0 {
		wait = 10 * time.Second
	}
	if err := rc.conn.SetDeadline(time.Now().Add(wait)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	if _, err := rc.conn.Write(b); err != nil {
		return fmt.Errorf("write %q: %w", args, err)
	}
	return nil
}

// Must is Do for commands that must round-trip (their reply may still be
// an error reply).
func (rc *RawConn) Must(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := rc.Do(args...)
	require.NoError(t, err)
	return out
}

// Reader is the connection's buffered reader, for tests that read more
// than one reply to a command (pipelines, pushes).
func (rc *RawConn) Reader() *bufio.Reader { return rc.r }

// ReadReply appends one complete RESP2 or RESP3 reply read from r to out,
// aggregates with all their elements. A malformed reply is an error.
func ReadReply(r *bufio.Reader, out *[]byte) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	*out = append(*out, line...)
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return errors.New("short line")
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < 0 {
			return err // $-1: null
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		*out = append(*out, buf...)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for range n {
			if err := ReadReply(r, out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line[0])
}
