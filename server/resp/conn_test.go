package resp

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedLimits are ConnLimits that do not change.
type fixedLimits struct {
	queryBuf, maxBulk int64
	unauth            bool
}

func (l fixedLimits) IdleTimeout() time.Duration { return 0 }
func (l fixedLimits) QueryBufLimit() int64       { return l.queryBuf }
func (l fixedLimits) MaxBulkLen() int64          { return l.maxBulk }
func (l fixedLimits) Unauthenticated() bool      { return l.unauth }

var openLimits = fixedLimits{queryBuf: 1 << 30, maxBulk: 512 << 20}

// bytesConn is a net.Conn that reads in, chunk bytes at a time (to cross
// every boundary), and records what is written.
type bytesConn struct {
	in    *strings.Reader
	chunk int
	out   bytes.Buffer
}

func (c *bytesConn) Read(p []byte) (int, error) {
	if len(p) > c.chunk {
		p = p[:c.chunk]
	}
	return c.in.Read(p)
}
func (c *bytesConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *bytesConn) Close() error                     { return nil }
func (c *bytesConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *bytesConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *bytesConn) SetDeadline(time.Time) error      { return nil }
func (c *bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bytesConn) SetWriteDeadline(time.Time) error { return nil }

// readAll parses in (read chunk bytes at a time) to its end and returns
// every command, each argument copied as it was handed out, the arguments
// as handed out (to check later that they were not overwritten), and the
// error that ended the input.
func readAll(t testing.TB, in string, chunk int, lim fixedLimits) (cmds [][]string, handed [][]byte, err error) {
	t.Helper()
	var inBytes, outBytes atomic.Int64
	c := NewConn(&bytesConn{in: strings.NewReader(in), chunk: chunk}, lim, &inBytes, &outBytes, slog.New(slog.DiscardHandler))
	for {
		batch, err := c.ReadBatch()
		if err != nil {
			if err == io.EOF {
				require.Equal(t, int64(len(in)), inBytes.Load(), "input bytes counted")
			}
			return cmds, handed, err
		}
		require.NotEmpty(t, batch)
		for _, args := range batch {
			cmd := make([]string, len(args))
			for i, a := range args {
				cmd[i] = string(a)
				handed = append(handed, a)
			}
			cmds = append(cmds, cmd)
		}
	}
}

// TestConnParses checks the commands parsed, whatever the read sizes, and
// how a violation ends the input: the commands before it are handed out,
// then the error (Redis's text; none for the query buffer limit).
func TestConnParses(t *testing.T) {
	big := strings.Repeat("v", 3<<20) // a bulk that needs slabs of its own
	for _, tc := range []struct {
		name  string
		lim   fixedLimits
		in    string
		want  [][]string
		err   string // protocol error message; "" = the input just ends
		quiet bool
	}{
		{name: "valid", lim: openLimits, in: "*2\r\n$3\r\nget\r\n$1\r\nk\r\nping\r\n", want: [][]string{{"get", "k"}, {"ping"}}},
		{name: "inline quotes", lim: openLimits, in: "set \"a b\" 'c'\r\n\r\n  \n", want: [][]string{{"set", "a b", "c"}}},
		{name: "empty arrays dropped", lim: openLimits, in: "*0\r\n*-1\r\n*1\r\n$4\r\nping\r\n", want: [][]string{{"ping"}}},
		{name: "empty bulk", lim: openLimits, in: "*2\r\n$4\r\necho\r\n$0\r\n\r\n", want: [][]string{{"echo", ""}}},
		{name: "big bulk", lim: openLimits, in: "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$3145728\r\n" + big + "\r\n*1\r\n$4\r\nping\r\n",
			want: [][]string{{"set", "k", big}, {"ping"}}},
		{name: "bad multibulk length", lim: openLimits, in: "*1\r\n$4\r\nping\r\n*x\r\n", want: [][]string{{"ping"}}, err: "invalid multibulk length"},
		{name: "multibulk over INT_MAX", lim: openLimits, in: "*3000000000\r\n", err: "invalid multibulk length"},
		{name: "expected $", lim: openLimits, in: "*1\r\n+ping\r\n", err: "expected '$', got '+'"},
		// Redis skips the two bytes after a bulk's data, and the byte after
		// a count line's '\r', without looking at them.
		{name: "bulk CRLF not checked", lim: openLimits, in: "*1\r\n$4\r\npingXX", want: [][]string{{"ping"}}},
		{name: "count line ends at CR", lim: openLimits, in: "*2\rX$4\rYecho\r\n$2\r\nhi\r\n", want: [][]string{{"echo", "hi"}}},
		// Read whole, these take the one-pass path (parseFast) or leave it
		// to the general one; a byte at a time, only the general one.
		{name: "leading zero in a bulk count", lim: openLimits, in: "*1\r\n$04\r\nping\r\n", err: "invalid bulk length"},
		{name: "leading zero in an array count", lim: openLimits, in: "*01\r\n$4\r\nping\r\n", err: "invalid multibulk length"},
		{name: "nine-digit bulk count", lim: openLimits, in: "*1\r\n$000000004\r\nping\r\n", err: "invalid bulk length"},
		{name: "many arguments", lim: openLimits, in: "*17\r\n$4\r\nmget\r\n" + strings.Repeat("$1\r\nk\r\n", 16),
			want: [][]string{append([]string{"mget"}, strings.Split(strings.Repeat("k", 16), "")...)}},
		{name: "sixteen arguments", lim: openLimits, in: "*16\r\n$4\r\nmget\r\n" + strings.Repeat("$2\r\nkk\r\n", 15) + "*1\r\n$4\r\nping\r\n",
			want: [][]string{append([]string{"mget"}, strings.Split(strings.Repeat("kk ", 15)[:44], " ")...), {"ping"}}},
		{name: "negative bulk", lim: openLimits, in: "*1\r\n$-1\r\n", err: "invalid bulk length"},
		{name: "bulk over proto-max-bulk-len", lim: fixedLimits{queryBuf: 1 << 20, maxBulk: 3}, in: "*1\r\n$4\r\nping\r\n", err: "invalid bulk length"},
		{name: "unbalanced quotes", lim: openLimits, in: "ping\r\nget \"a\r\n", want: [][]string{{"ping"}}, err: "unbalanced quotes in request"},
		{name: "inline too big", lim: openLimits, in: strings.Repeat("a", 70<<10), err: "too big inline request"},
		{name: "count line too big", lim: openLimits, in: "*" + strings.Repeat("1", 70<<10), err: "too big mbulk count string"},
		{name: "bulk line too big", lim: openLimits, in: "*1\r\n$" + strings.Repeat("1", 70<<10), err: "too big bulk count string"},
		{name: "unauthenticated multibulk", lim: fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20, unauth: true}, in: "*11\r\n", err: "unauthenticated multibulk length"},
		{name: "unauthenticated bulk", lim: fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20, unauth: true}, in: "*1\r\n$16385\r\n", err: "unauthenticated bulk length"},
		{name: "query buffer limit: no reply", lim: fixedLimits{queryBuf: 16, maxBulk: 512 << 20}, in: "*1\r\n$4\r\nping\r\n*1\r\n$20\r\n" + strings.Repeat("a", 22),
			want: [][]string{{"ping"}}, err: "query buffer limit", quiet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{1, 3, 7, 1 << 16} {
				if chunk < 7 && len(tc.in) > 1<<16 {
					continue // a byte at a time through megabytes is only slow
				}
				cmds, handed, err := readAll(t, tc.in, chunk, tc.lim)
				if tc.err == "" {
					require.ErrorIs(t, err, io.EOF, "chunk %d", chunk)
				} else {
					var pe *ProtocolError
					require.True(t, errors.As(err, &pe), "chunk %d: err %v", chunk, err)
					assert.Equal(t, tc.err, pe.Msg, "chunk %d", chunk)
					assert.Equal(t, tc.quiet, pe.Reply() == nil, "chunk %d", chunk)
					assert.ErrorIs(t, err, ErrClientClosed)
					if !tc.quiet {
						assert.Equal(t, "-ERR Protocol error: "+tc.err+"\r\n", string(pe.Reply()))
					}
				}
				require.Equal(t, len(tc.want), len(cmds), "chunk %d: %q", chunk, cmds)
				for i := range tc.want {
					require.Equal(t, tc.want[i], cmds[i], "chunk %d", chunk)
				}
				// Arguments handed out earlier were not overwritten by later reads.
				var flat []string
				for _, c := range cmds {
					flat = append(flat, c...)
				}
				for i, a := range handed {
					require.Equal(t, flat[i], string(a), "chunk %d: argument %d changed after it was handed out", chunk, i)
				}
			}
		})
	}
}

// TestConnUnauthenticatedOneAtATime: before AUTH the commands are parsed
// one per batch, so that an AUTH lifts the limits for the next one.
func TestConnUnauthenticatedOneAtATime(t *testing.T) {
	var in, out atomic.Int64
	lim := &authLimits{fixedLimits: fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20, unauth: true}}
	in12 := "*11\r\n" + strings.Repeat("$1\r\nx\r\n", 11)
	c := NewConn(&bytesConn{in: strings.NewReader("AUTH pw\r\n" + in12), chunk: 1 << 16}, lim, &in, &out, slog.New(slog.DiscardHandler))
	batch, err := c.ReadBatch()
	require.NoError(t, err)
	require.Len(t, batch, 1)
	lim.unauth = false // AUTH ran
	batch, err = c.ReadBatch()
	require.NoError(t, err)
	require.Len(t, batch, 1)
	require.Len(t, batch[0], 11)
}

type authLimits struct{ fixedLimits }

func (l *authLimits) Unauthenticated() bool { return l.unauth }

// TestConnPendingAndWrite: Pending is the part of a command received so
// far, Write counts output bytes.
func TestConnPendingAndWrite(t *testing.T) {
	raw := &bytesConn{in: strings.NewReader("*2\r\n$3\r\nget\r\n"), chunk: 3}
	var in, out atomic.Int64
	c := NewConn(raw, openLimits, &in, &out, slog.New(slog.DiscardHandler))
	_, err := c.ReadBatch()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, int64(13), c.Pending(), "half a command received")
	assert.Positive(t, c.Free(), "room left in the input buffer")
	assert.Positive(t, c.Reads())
	_, err = c.Write([]byte("+OK\r\n"))
	require.NoError(t, err)
	assert.Equal(t, int64(5), out.Load())
	assert.Equal(t, "+OK\r\n", raw.out.String())
}

// loopConn serves the same input over and over, as a client repeating
// one pipeline.
type loopConn struct {
	bytesConn
	data []byte
	off  int
}

func (c *loopConn) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

// TestConnReadBatchAllocs: a steady stream of pipelined SETs is parsed
// without an allocation per command or per batch (the input and header
// slabs are amortized over hundreds of commands).
func TestConnReadBatchAllocs(t *testing.T) {
	var pipeline strings.Builder
	for range 16 {
		pipeline.WriteString("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$32\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n")
	}
	var in, out atomic.Int64
	c := NewConn(&loopConn{data: []byte(pipeline.String())}, openLimits, &in, &out, slog.New(slog.DiscardHandler))
	cmds := 0
	allocs := testing.AllocsPerRun(2000, func() {
		batch, err := c.ReadBatch()
		if err != nil {
			t.Fatal(err)
		}
		cmds += len(batch)
	})
	assert.Zero(t, allocs, "allocations per batch")
	assert.Positive(t, cmds)
}

// FuzzConnParse: however the input is split into reads, the same commands
// and the same error come out; no input panics; an argument is never
// changed after it was handed out.
func FuzzConnParse(f *testing.F) {
	for _, seed := range []string{
		"PING\r\n",
		"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
		"*0\r\n*-1\r\n*1\r\n$-1\r\n",
		"*1\r\n$3\r\nfoo",
		"GET \"a\r\n",
		"*1\r\n$4\r\npingXX",
		"*2\r\n$0\r\n\r\n$1\r\nx\r\n\n\r\n",
		"*1\r$4\r",
	} {
		f.Add([]byte(seed), uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, unauth bool) {
		lim := fixedLimits{queryBuf: 4096, maxBulk: 1024, unauth: unauth}
		wantCmds, _, wantErr := readAll(t, string(in), len(in)+1, lim)
		cmds, handed, err := readAll(t, string(in), int(chunk%16)+1, lim)
		require.Equal(t, wantCmds, cmds)
		require.Equal(t, errText(wantErr), errText(err))
		var flat []string
		for _, c := range cmds {
			flat = append(flat, c...)
		}
		for i, a := range handed {
			require.Equal(t, flat[i], string(a))
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestShortCountAgreesWithCrLine: wherever the short path reads a count
// line, the general one (crLine, ParseInt64) reads the same end and number;
// every line of 1-4 bytes after its '*' or '$' from an alphabet of digits,
// CR, LF, '-' and a letter, followed by data or not.
func TestShortCountAgreesWithCrLine(t *testing.T) {
	alphabet := []byte("019\r\n-a")
	var lines [][]byte
	var grow func(b []byte)
	grow = func(b []byte) {
		lines = append(lines, b)
		if len(b) == 5 {
			return
		}
		for _, c := range alphabet {
			grow(append(append([]byte(nil), b...), c))
		}
	}
	grow([]byte{'$'})
	short := 0
	for _, ln := range lines {
		pc := &Conn{buf: ln, w: len(ln)}
		cr, v, ok := pc.shortCount()
		if !ok {
			continue
		}
		short++
		gcr := pc.crLine()
		require.Equal(t, gcr, cr, "%q", ln)
		gv, gok := ParseInt64(ln[1:gcr])
		require.True(t, gok, "%q", ln)
		require.Equal(t, gv, v, "%q", ln)
	}
	require.Greater(t, short, 100)
}

// seqConn sends "GET k<n>" with n counting up, one command per read.
type seqConn struct {
	bytesConn
	n int
}

func (c *seqConn) Read(p []byte) (int, error) {
	c.n++
	k := strconv.Itoa(c.n)
	return copy(p, "*2\r\n$3\r\nGET\r\n$"+strconv.Itoa(len(k))+"\r\n"+k+"\r\n"), nil
}

// TestConnRecycle: a batch recycled reads the next one over it, so a
// steady stream stays in one slab; a batch kept (Keep) keeps its
// arguments as they were however many batches are recycled after it, and
// its slab goes out of use only when a new slab replaces it.
func TestConnRecycle(t *testing.T) {
	var in, out atomic.Int64
	newConn := func() *Conn {
		return NewConn(&seqConn{}, openLimits, &in, &out, slog.New(slog.DiscardHandler))
	}
	read := func(c *Conn) [][]byte {
		batch, err := c.ReadBatch()
		require.NoError(t, err)
		require.Len(t, batch, 1)
		return batch[0]
	}

	c := newConn()
	read(c)
	first := &c.buf[0]
	for range 2000 { // 2000 commands of about 20 bytes: 40 KB, past a slab
		c.Recycle()
		read(c)
	}
	assert.Same(t, first, &c.buf[0], "recycled batches stay in the first slab")
	assert.Equal(t, "GET", string(read(c)[0]))

	c = newConn()
	held := read(c) // GET 1, held (a MULTI queue, a parked command)
	c.Keep()
	for range 2000 {
		c.Recycle()
		read(c)
	}
	assert.Equal(t, []string{"GET", "1"}, []string{string(held[0]), string(held[1])})
	assert.NotSame(t, &held[0][0], &c.buf[0], "the kept slab was left behind")
}
