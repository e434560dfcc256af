package resp

import (
	"bytes"
	"math"
	"strings"

	"github.com/tidwall/redcon"
)

// Parsing the commands a client sends (Conn.ReadBatch), once, with Redis's
// protocol limits (networking.c processMultibulkBuffer and
// processInlineBuffer) enforced as it goes, framing as Redis 7.2 reads it
// (a count line ends at its '\r', and the byte after it and the two after a
// bulk's data are skipped unchecked): the count and bulk lines are checked
// as they complete, a line without its end is refused past 64 KB, and a command past client-query-buffer-limit closes the client
// without a reply. Empty arrays (*0, *-1) are skipped, as Redis does.
// Before AUTH (when a password is set) one command is parsed at a time, so
// that an AUTH lifts the unauthenticated limits for the command after it.

type protoState uint8

const (
	stStart     protoState = iota // at a command boundary
	stInline                      // inside an inline command line
	stArrayLine                   // reading "*<count>\r\n"
	stBulkLine                    // reading "$<len>\r\n"
	stBulkData                    // waiting for a whole bulk string and its CRLF
)

// parse appends to pc.batch the complete commands in buf[r:w]; it stops
// at an incomplete one (its state is kept for the next call) or at a
// violation (pc.failed).
func (pc *Conn) parse() {
	one := pc.lim.Unauthenticated()
	pc.limit = pc.lim.QueryBufLimit()
	for pc.failed == nil {
		if pc.st == stStart {
			if pc.r == pc.w || one && len(pc.batch) > 0 {
				break
			}
			pc.frame = 0
			if pc.buf[pc.r] == '*' {
				if !one && pc.parseFast() {
					continue
				}
				pc.st = stArrayLine
			} else {
				pc.st = stInline
			}
		}
		var done bool
		switch pc.st {
		case stInline:
			done = pc.inline()
		case stArrayLine, stBulkLine:
			done = pc.countLine(one)
		case stBulkData:
			done = pc.bulkData()
		}
		if !done {
			if pc.failed == nil {
				pc.over(pc.w - pc.r) // the part received so far counts too
			}
			break
		}
	}
	if pc.st == stStart {
		pc.pending.Store(0)
	} else {
		pc.pending.Store(pc.frame + int64(pc.w-pc.r))
	}
	pc.free.Store(int64(len(pc.buf) - pc.w))
}

func (pc *Conn) fail(msg string) { pc.failed = &ProtocolError{Msg: msg} }

// over reports whether n more bytes take the command past
// client-query-buffer-limit, and if so ends the connection without a reply.
func (pc *Conn) over(n int) bool {
	if pc.frame+int64(n) <= pc.limit {
		return false
	}
	pc.failed = &ProtocolError{Msg: "query buffer limit", Quiet: true}
	return true
}

// line returns the line at r, up to and including its newline, or nil when
// the newline has not arrived. The bytes searched without a newline are
// remembered (pc.scanned), so a long line arriving in pieces is searched
// once.
func (pc *Conn) line() []byte {
	if pc.scanned < pc.r {
		pc.scanned = pc.r
	}
	if nl := bytes.IndexByte(pc.buf[pc.scanned:pc.w], '\n'); nl >= 0 {
		return pc.buf[pc.r : pc.scanned+nl+1]
	}
	pc.scanned = pc.w
	return nil
}

// inline parses an inline command line with redcon's parser (quotes,
// escapes); it is not the fast path.
func (pc *Conn) inline() bool {
	ln := pc.line()
	if ln == nil {
		if pc.w-pc.r > protoInlineMaxSize {
			pc.fail("too big inline request")
		}
		return false
	}
	if pc.over(len(ln)) {
		return false
	}
	pc.r += len(ln)
	pc.frame += int64(len(ln))
	pc.st = stStart
	cmd, err := redcon.Parse(ln)
	if err != nil {
		// An empty line parses to no command (redcon's "incomplete
		// command"): Redis skips it. Anything else is a protocol error.
		if msg, ok := strings.CutPrefix(err.Error(), "Protocol error: "); ok {
			pc.fail(msg)
		}
		return true
	}
	if len(cmd.Args) > 0 {
		pc.batch = append(pc.batch, cmd.Args)
	}
	return true
}

// countLine parses a "*<count>\r\n" or "$<len>\r\n" line as Redis's
// processMultibulkBuffer does: the line ends at its first '\r', whose
// following byte is skipped unchecked; the number is what lies between.
func (pc *Conn) countLine(unauth bool) bool {
	array := pc.st == stArrayLine
	cr, v, ok := pc.shortCount()
	if cr < 0 {
		cr = pc.crLine()
	}
	if cr < 0 {
		// Redis gives up on a count line that reaches 64 KB without its
		// end.
		if pc.w-pc.r > protoInlineMaxSize {
			if array {
				pc.fail("too big mbulk count string")
			} else {
				pc.fail("too big bulk count string")
			}
		}
		return false
	}
	if !array && pc.buf[pc.r] != '$' {
		pc.fail("expected '$', got '" + string(pc.buf[pc.r]) + "'")
		return false
	}
	size := cr + 2 // the line, its '\r' and the byte after it
	if pc.over(size) {
		return false
	}
	if !ok {
		v, ok = ParseInt64(pc.buf[pc.r+1 : pc.r+cr])
	}
	if array {
		switch {
		case !ok || v > math.MaxInt32:
			pc.fail("invalid multibulk length")
			return false
		case v > unauthMaxMultibulk && unauth:
			pc.fail("unauthenticated multibulk length")
			return false
		}
		pc.r += size
		pc.frame += int64(size)
		if v <= 0 {
			pc.st = stStart // empty array: ignored, as Redis does
			return true
		}
		pc.argc = int(v)
		pc.startArgs()
		pc.st = stBulkLine
		return true
	}
	switch {
	case !ok || v < 0 || v > pc.lim.MaxBulkLen():
		pc.fail("invalid bulk length")
		return false
	case v > unauthMaxBulk && unauth:
		pc.fail("unauthenticated bulk length")
		return false
	}
	pc.r += size
	pc.frame += int64(size)
	pc.bulk = int(v)
	pc.st = stBulkData
	return true
}

// shortCount reads a count line of one or two digits ("*3\r\n",
// "$16\r\n": nearly every count line) without searching for its end or
// calling ParseInt64: it returns the offset of its '\r' and the number,
// true; or -1 when the line at r is anything else or has not fully arrived
// (crLine and ParseInt64 then judge it, with the same outcome).
func (pc *Conn) shortCount() (int, int64, bool) {
	b := pc.buf[pc.r:pc.w]
	if len(b) >= 4 && b[2] == '\r' && b[1]-'0' <= 9 {
		return 2, int64(b[1] - '0'), true
	}
	if len(b) >= 5 && b[3] == '\r' && b[1]-'1' <= 8 && b[2]-'0' <= 9 {
		return 3, int64(b[1]-'0')*10 + int64(b[2]-'0'), true
	}
	return -1, 0, false
}

// crLine returns the offset from r of the first '\r' of the line at r,
// once the byte after it has arrived too; -1 before. The bytes searched
// without a '\r' are remembered (pc.scanned), so a long line arriving in
// pieces is searched once.
func (pc *Conn) crLine() int {
	if pc.scanned < pc.r {
		pc.scanned = pc.r
	}
	i := bytes.IndexByte(pc.buf[pc.scanned:pc.w], '\r')
	if i < 0 {
		pc.scanned = pc.w
		return -1
	}
	pc.scanned += i // stays on the '\r' until the byte after it arrives
	if pc.scanned+1 >= pc.w {
		return -1
	}
	return pc.scanned - pc.r
}

// fastMaxArgs bounds the commands parseFast takes (GET, SET with its
// options, HSET or MSET of a few pairs); longer ones take the general path.
const fastMaxArgs = 16

// parseFast takes the whole command at r in one pass, with no state kept
// between its lines: the common case, a command that has arrived whole as
// an array of 1 to fastMaxArgs bulk strings whose count lines are plain
// decimals (fastCount), within proto-max-bulk-len and the query buffer
// limit, whose argument headers fit in the header slab's rest. It reports
// false, having consumed nothing, for anything else
// (an incomplete command, an unusual count line, a limit broken), which
// the general path then reads and judges as before. The caller checked
// that the byte at r is '*' and that the connection is authenticated.
func (pc *Conn) parseFast() bool {
	b := pc.buf[pc.r:pc.w]
	argc, i := fastCount(b, 1)
	if argc <= 0 || argc > fastMaxArgs || argc > len(pc.hdrs) {
		return false // the general path takes a new header slab
	}
	args := pc.hdrs[:argc:argc] // taken below, once the command is whole
	maxBulk := pc.lim.MaxBulkLen()
	for k := range args {
		var n, start int
		switch {
		case i+4 <= len(b) && b[i] == '$' && b[i+2] == '\r' && b[i+1]-'0' <= 9:
			n, start = int(b[i+1]-'0'), i+4 // "$7\r\n"
		case i+5 <= len(b) && b[i] == '$' && b[i+3] == '\r' && b[i+1]-'1' <= 8 && b[i+2]-'0' <= 9:
			n, start = int(b[i+1]-'0')*10+int(b[i+2]-'0'), i+5 // "$16\r\n"
		case i < len(b) && b[i] == '$':
			if n, start = fastCount(b, i+1); n < 0 {
				return false
			}
		default:
			return false
		}
		if int64(n) > maxBulk {
			return false
		}
		i = start + n + 2 // the two bytes after the data, skipped unchecked
		if i > len(b) {
			return false
		}
		args[k] = b[start : start+n : start+n]
	}
	if int64(i) > pc.limit {
		return false
	}
	pc.hdrs = pc.hdrs[argc:]
	pc.batch = append(pc.batch, args)
	pc.r += i
	return true
}

// fastCount reads the count line whose digits start at b[i] the way
// parseFast accepts it: "0", or a digit 1-9 and up to eight more (what
// string2ll reads, below 10^9), ending at a '\r' whose following byte has
// arrived. It returns the number and the offset after the line, or -1 for
// anything else (the general path judges it).
func fastCount(b []byte, i int) (int, int) {
	if i >= len(b) {
		return -1, 0
	}
	c := b[i]
	if c == '0' {
		if i+2 < len(b) && b[i+1] == '\r' {
			return 0, i + 3
		}
		return -1, 0
	}
	if c-'1' > 8 {
		return -1, 0
	}
	n := int(c - '0')
	for j := i + 1; j < len(b) && j <= i+9; j++ {
		c = b[j]
		if c == '\r' {
			if j+1 >= len(b) {
				return -1, 0
			}
			return n, j + 2
		}
		if c-'0' > 9 {
			return -1, 0
		}
		n = n*10 + int(c-'0')
	}
	return -1, 0
}

// startArgs takes room for argc argument headers from the header slab.
func (pc *Conn) startArgs() {
	n := pc.argc
	if n > maxSlabArg {
		pc.args = make([][]byte, 0, maxSlabArg)
		return
	}
	if len(pc.hdrs) < n {
		pc.hdrs = make([][]byte, max(hdrSlab, n))
		pc.hdrSlab0, pc.hdrKept = pc.hdrs, false
	}
	pc.args = pc.hdrs[:0:n]
	pc.hdrs = pc.hdrs[n:]
}

// bulkData takes a whole bulk string and the two bytes after it (its CRLF),
// once they have arrived.
func (pc *Conn) bulkData() bool {
	end := pc.r + pc.bulk
	if end+2 > pc.w || pc.over(pc.bulk+2) {
		return false
	}
	// The two bytes after the data are skipped unchecked, as Redis does.
	pc.args = append(pc.args, pc.buf[pc.r:end:end])
	pc.r = end + 2
	pc.frame += int64(pc.bulk + 2)
	if len(pc.args) < pc.argc {
		pc.st = stBulkLine
		return true
	}
	pc.batch = append(pc.batch, pc.args)
	pc.args = nil
	pc.st = stStart
	return true
}
