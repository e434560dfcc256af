//go:build linux

package netloop

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is a Handler that hands each turn to the test: Ready reads once
// and sends what it read (or the error) on got; what the test puts in do
// runs on the loop's goroutine after the read.
type recorder struct {
	got     chan turn
	do      chan func(*Conn)
	tick    chan struct{}
	resumed chan *Conn
}

type turn struct {
	data []byte
	err  error
}

func newRecorder() *recorder {
	return &recorder{got: make(chan turn, 16), do: make(chan func(*Conn), 16), tick: make(chan struct{}, 1),
		resumed: make(chan *Conn, 16)}
}

func (r *recorder) Ready(c *Conn) {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n == 0 && err == nil {
		return // a spurious readiness: nothing to report
	}
	if err != nil {
		_ = c.Detach()
	}
	r.got <- turn{data: buf[:n], err: err}
	select {
	case f := <-r.do:
		f(c)
	default:
	}
}

func (r *recorder) Resume(c *Conn) { r.resumed <- c }

func (r *recorder) Later([]*Conn) {}

func (r *recorder) Tick(l *Loop) {
	var seen []*Conn
	l.Each(func(c *Conn) { seen = append(seen, c) })
	if len(seen) != l.Len() {
		panic("Each and Len disagree")
	}
	select {
	case r.tick <- struct{}{}:
	default:
	}
}

// start runs a loop with h and a TCP pair: the server side is in the loop.
func start(t *testing.T, h Handler, configure ...func(*Loop)) (l *Loop, client net.Conn, server *net.TCPConn, lc *Conn) {
	t.Helper()
	l, err := New(h)
	require.NoError(t, err)
	for _, f := range configure {
		f(l)
	}
	runLoop(t, l)
	client, server, lc = addPair(t, l, "ctx")
	return l, client, server, lc
}

// runLoop runs l on a goroutine of its own until the test ends.
func runLoop(t *testing.T, l *Loop) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, l.Run())
	}()
	t.Cleanup(func() { l.Stop(); wg.Wait() })
}

// addPair makes a TCP pair and adds its server side to l with ctx.
func addPair(t *testing.T, l *Loop, ctx any) (client net.Conn, server *net.TCPConn, lc *Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	nc, err := ln.Accept()
	require.NoError(t, err)
	server = nc.(*net.TCPConn)
	t.Cleanup(func() { _ = server.Close() })
	lc, err = l.Add(server, ctx)
	require.NoError(t, err)
	require.Equal(t, ctx, lc.Ctx)
	return client, server, lc
}

func next(t *testing.T, r *recorder) turn {
	t.Helper()
	select {
	case tr := <-r.got:
		return tr
	case <-time.After(10 * time.Second):
		t.Fatal("no readiness reported")
		return turn{}
	}
}

// TestReadiness: bytes the client sends are reported readable and read;
// a command split across two sends is read in two turns; the client's
// close reads as io.EOF.
func TestReadiness(t *testing.T) {
	r := newRecorder()
	_, client, _, _ := start(t, r)
	_, err := client.Write([]byte("*1\r\n$4\r\nPI"))
	require.NoError(t, err)
	var got []byte
	for len(got) < 10 {
		tr := next(t, r)
		require.NoError(t, tr.err)
		got = append(got, tr.data...)
	}
	_, err = client.Write([]byte("NG\r\n"))
	require.NoError(t, err)
	tr := next(t, r)
	require.NoError(t, tr.err)
	require.Equal(t, "*1\r\n$4\r\nPING\r\n", string(append(got, tr.data...)))
	require.NoError(t, client.Close())
	tr = next(t, r)
	require.ErrorIs(t, tr.err, io.EOF)
}

// TestLevelTriggered: a turn that reads only part of what arrived is
// followed by another for the rest, without more bytes arriving: a read
// that filled its buffer makes the loop look again before it parks, since
// no new readiness callback announces the rest. (The loop's Tick, which
// would also wake it, is made rare, so that only the look again can.)
func TestLevelTriggered(t *testing.T) {
	r := newRecorder()
	_, client, _, _ := start(t, r, func(l *Loop) { l.tickEvery = time.Hour })
	msg := bytes.Repeat([]byte("x"), 200) // more than one 64-byte read
	_, err := client.Write(msg)
	require.NoError(t, err)
	var got []byte
	for len(got) < len(msg) {
		tr := next(t, r)
		require.NoError(t, tr.err)
		got = append(got, tr.data...)
	}
	require.Equal(t, msg, got)
}

// TestWriteWouldBlock: a write larger than the socket takes returns fewer
// bytes and no error, without waiting; the rest goes once the peer reads.
func TestWriteWouldBlock(t *testing.T) {
	r := newRecorder()
	_, client, server, _ := start(t, r)
	require.NoError(t, server.SetWriteBuffer(4096))
	big := bytes.Repeat([]byte("y"), 8<<20)
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	r.do <- func(c *Conn) {
		n, err := c.Write(big)
		res <- result{n, err}
	}
	_, err := client.Write([]byte("go"))
	require.NoError(t, err)
	require.NoError(t, next(t, r).err)
	w := <-res
	require.NoError(t, w.err)
	require.Greater(t, w.n, 0)
	require.Less(t, w.n, len(big), "the socket took 8 MB at once: the test cannot see a partial write")
	// The part written arrives whole; the server's own descriptor still
	// writes the rest once the client reads.
	done := make(chan error, 1)
	go func() {
		_, err := server.Write(big[w.n:])
		done <- err
	}()
	all, err := io.ReadAll(io.LimitReader(client, int64(len(big))))
	require.NoError(t, err)
	require.Equal(t, big, all)
	require.NoError(t, <-done)
}

// TestDetachKeepsSocket: after Detach the loop reports nothing more for
// the connection and the owner's descriptor still reads and writes it.
func TestDetachKeepsSocket(t *testing.T) {
	r := newRecorder()
	_, client, server, _ := start(t, r)
	detached := make(chan struct{})
	r.do <- func(c *Conn) {
		require.NoError(t, c.Detach())
		require.NoError(t, c.Detach(), "a second Detach does nothing")
		_, err := c.Read(make([]byte, 1))
		require.ErrorIs(t, err, errDetached)
		close(detached)
	}
	_, err := client.Write([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "a", string(next(t, r).data))
	<-detached
	_, err = client.Write([]byte("bc"))
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = io.ReadFull(server, buf)
	require.NoError(t, err)
	require.Equal(t, "bc", string(buf))
	select {
	case tr := <-r.got:
		t.Fatalf("a detached connection was reported: %q %v", tr.data, tr.err)
	default:
	}
	_, err = server.Write([]byte("ok"))
	require.NoError(t, err)
	_, err = io.ReadFull(client, buf)
	require.NoError(t, err)
	require.Equal(t, "ok", string(buf))
}

// TestOwnerCloseRead: the owner shutting the reading side of its
// descriptor (what the server's CLIENT KILL does) wakes the loop with
// io.EOF, even though the owner closed its descriptor right after.
func TestOwnerCloseRead(t *testing.T) {
	r := newRecorder()
	_, _, server, _ := start(t, r)
	require.NoError(t, server.CloseRead())
	require.NoError(t, server.Close())
	require.ErrorIs(t, next(t, r).err, io.EOF)
}

// TestStopRefusesAdd: Add after Stop fails with ErrStopped and Run has
// returned.
func TestStopRefusesAdd(t *testing.T) {
	l, err := New(newRecorder())
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- l.Run() }()
	l.Stop()
	require.NoError(t, <-ran)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	_, err = l.Add(client.(*net.TCPConn), nil)
	require.ErrorIs(t, err, ErrStopped)
}

// TestTickWhileIdle: an idle loop still calls Tick (idle timeouts), and
// Each walks the registered connections, which Len counts.
func TestTickWhileIdle(t *testing.T) {
	r := newRecorder()
	start(t, r)
	select {
	case <-r.tick:
	case <-time.After(10 * TickInterval):
		t.Fatal("no Tick from an idle loop")
	}
}

// TestStopTellsOwners: a connection still registered when the loop stops
// gets a last turn whose read fails, so that its owner can end it.
func TestStopTellsOwners(t *testing.T) {
	r := newRecorder()
	l, _, _, _ := start(t, r)
	l.Stop()
	require.ErrorIs(t, next(t, r).err, errDetached)
}

// TestPost: a connection posted from another goroutine is resumed on the
// loop's goroutine, once per post, while the loop is idle; a connection
// detached before its post is taken is not resumed.
func TestPost(t *testing.T) {
	r := newRecorder()
	l, client, _, lc := start(t, r)
	for range 3 {
		go l.Post(lc)
		select {
		case c := <-r.resumed:
			require.Same(t, lc, c)
		case <-time.After(10 * time.Second):
			t.Fatal("a posted connection was not resumed")
		}
	}
	_, _, lc2 := addPair(t, l, "second") // a second connection of the same loop
	// On the loop (at lc's next turn): detach lc, post it, then post lc2.
	// Both posts are taken together; only lc2 is resumed.
	r.do <- func(c *Conn) { require.NoError(t, c.Detach()); l.Post(c); l.Post(lc2) }
	_, err := client.Write([]byte("x"))
	require.NoError(t, err)
	next(t, r)
	select {
	case c := <-r.resumed:
		require.Same(t, lc2, c, "a detached connection was resumed")
	case <-time.After(10 * time.Second):
		t.Fatal("a posted connection was not resumed")
	}
}

// flusher is a Handler that reads once per turn, asks for Later (twice:
// the second ask is the same ask) and, for the connection whose Ctx is
// "gone", detaches right after; it logs each call on log, Later's as
// "later" and each of its connections as "flush" (asking again for each,
// which is the ask being answered).
type flusher struct{ log chan string }

func (f *flusher) Ready(c *Conn) {
	buf := make([]byte, 64)
	if n, err := c.Read(buf); n == 0 || err != nil {
		return
	}
	f.log <- "ready " + c.Ctx.(string)
	c.Later()
	c.Later()
	if c.Ctx == "gone" {
		_ = c.Detach()
	}
}
func (f *flusher) Resume(*Conn) {}
func (f *flusher) Tick(*Loop)   {}
func (f *flusher) Later(cs []*Conn) {
	f.log <- "later"
	for _, c := range cs {
		f.log <- "flush " + c.Ctx.(string)
		c.Later()
	}
}

// TestLaterAtRoundEnd: connections ready together are all served before
// Later is called, once, with each that asked, but a detached one; an
// ask is for its own round only.
func TestLaterAtRoundEnd(t *testing.T) {
	f := &flusher{log: make(chan string, 16)}
	l, err := New(f)
	require.NoError(t, err)
	// The three are ready before Run starts: its first look after
	// registering them finds them together.
	for _, name := range []string{"a", "b", "gone"} {
		client, _, _ := addPair(t, l, name)
		_, err := client.Write([]byte("x"))
		require.NoError(t, err)
		if name == "a" {
			t.Cleanup(func() { _ = client.Close() })
			defer func() {
				// Another round: only a is ready, and flushed once.
				_, err := client.Write([]byte("y"))
				require.NoError(t, err)
				require.Equal(t, []string{"ready a", "later", "flush a"}, take(t, f.log, 3))
				select {
				case e := <-f.log:
					t.Fatalf("unexpected %q", e)
				default:
				}
			}()
		}
	}
	runLoop(t, l)
	got := take(t, f.log, 6)
	require.ElementsMatch(t, []string{"ready a", "ready b", "ready gone"}, got[:3])
	require.Equal(t, "later", got[3])
	require.ElementsMatch(t, []string{"flush a", "flush b"}, got[4:])
}

// take returns the next n entries of log.
func take(t *testing.T, log chan string, n int) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case e := <-log:
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %q, waiting for %d", got, n)
		}
	}
	return got
}

// poster is a Handler whose Ready, for the connection named "a", posts
// the one in other; Resume asks for Later. It logs as flusher does.
type poster struct {
	log   chan string
	other *Conn
}

func (p *poster) Ready(c *Conn) {
	buf := make([]byte, 64)
	if n, err := c.Read(buf); n == 0 || err != nil {
		return
	}
	p.log <- "ready " + c.Ctx.(string)
	if c.Ctx == "a" {
		p.other.Post()
	}
}
func (p *poster) Resume(c *Conn) { p.log <- "resume " + c.Ctx.(string); c.Later() }
func (p *poster) Tick(*Loop)     {}
func (p *poster) Later(cs []*Conn) {
	p.log <- "later"
	for _, c := range cs {
		p.log <- "flush " + c.Ctx.(string)
	}
}

// TestPostInRound: a post made on the loop's goroutine during a round (a
// reply read on one connection hands back another) is resumed in the same
// round, before its Later, which has the resumed connection's ask.
func TestPostInRound(t *testing.T) {
	p := &poster{log: make(chan string, 16)}
	l, err := New(p)
	require.NoError(t, err)
	client, _, _ := addPair(t, l, "a")
	_, _, p.other = addPair(t, l, "b")
	runLoop(t, l)
	_, err = client.Write([]byte("x"))
	require.NoError(t, err)
	require.Equal(t, []string{"ready a", "resume b", "later", "flush b"}, take(t, p.log, 4))
	// And a post from another goroutine while the loop is idle still
	// wakes it.
	go p.other.Post()
	require.Equal(t, []string{"resume b", "later", "flush b"}, take(t, p.log, 3))
}
