// Package resp is the small reply and argument API that every command
// handler uses, the front end's and the families' (package commands) alike:
// Reply encodes RESP2 or RESP3 replies; the parsers read arguments exactly
// as redis-server does (string2ll, strtold, stringmatchlen), with Redis's
// error texts. Conn reads and parses the commands a client sends, once,
// enforcing the protocol limits as it parses. It knows nothing of the
// server, the store or the cluster.
package resp

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"
)

// Reply encodes replies in the protocol version the client chose with HELLO:
// RESP2 by default, RESP3 after HELLO 3. RESP3-only types degrade to their
// RESP2 forms (a map becomes a flat array, a double a bulk string, a boolean
// an integer), as Redis does. Handlers write exactly one reply per command.
type Reply struct {
	buf   []byte
	resp3 bool
}

// Bytes returns the encoded replies.
func (r *Reply) Bytes() []byte { return r.buf }

// Reset empties the buffer, keeping its memory and protocol version.
func (r *Reply) Reset() { r.buf = r.buf[:0] }

// SetRESP3 chooses the protocol version of later replies.
func (r *Reply) SetRESP3(on bool) { r.resp3 = on }

// RESP3 reports whether replies are RESP3.
func (r *Reply) RESP3() bool { return r.resp3 }

// Error writes an error; msg starts with its code ("ERR syntax error").
func (r *Reply) Error(msg string) { r.buf = redcon.AppendError(r.buf, msg) }

// Status writes a simple string such as OK.
func (r *Reply) Status(s string) { r.buf = redcon.AppendString(r.buf, s) }

// OK writes +OK.
func (r *Reply) OK() { r.buf = append(r.buf, "+OK\r\n"...) }

// Bulk writes a bulk string.
func (r *Reply) Bulk(b []byte) { r.buf = redcon.AppendBulk(r.buf, b) }

// BulkString writes a bulk string.
func (r *Reply) BulkString(s string) { r.buf = redcon.AppendBulkString(r.buf, s) }

// Int writes an integer.
func (r *Reply) Int(n int64) { r.buf = redcon.AppendInt(r.buf, n) }

// Null writes a null bulk string ($-1 in RESP2, _ in RESP3).
func (r *Reply) Null() {
	if r.resp3 {
		r.buf = append(r.buf, "_\r\n"...)
		return
	}
	r.buf = append(r.buf, "$-1\r\n"...)
}

// NullArray writes a null array (*-1 in RESP2, _ in RESP3).
func (r *Reply) NullArray() {
	if r.resp3 {
		r.buf = append(r.buf, "_\r\n"...)
		return
	}
	r.buf = append(r.buf, "*-1\r\n"...)
}

// Array starts an array of n elements; the caller then writes them.
func (r *Reply) Array(n int) { r.buf = redcon.AppendArray(r.buf, n) }

// Map starts a map of n key/value pairs (2n elements follow).
func (r *Reply) Map(n int) {
	if r.resp3 {
		r.buf = appendHeader(r.buf, '%', n)
		return
	}
	r.Array(2 * n)
}

// Set starts a set of n elements.
func (r *Reply) Set(n int) {
	if r.resp3 {
		r.buf = appendHeader(r.buf, '~', n)
		return
	}
	r.Array(n)
}

// Push starts an out-of-band push message of n elements.
func (r *Reply) Push(n int) {
	if r.resp3 {
		r.buf = appendHeader(r.buf, '>', n)
		return
	}
	r.Array(n)
}

// Double writes a floating point number (a bulk string in RESP2).
func (r *Reply) Double(f float64) {
	if !r.resp3 {
		r.buf = redcon.AppendBulk(r.buf, FormatFloat(f))
		return
	}
	r.buf = append(r.buf, ',')
	switch {
	case math.IsInf(f, 1):
		r.buf = append(r.buf, "inf"...)
	case math.IsInf(f, -1):
		r.buf = append(r.buf, "-inf"...)
	case math.IsNaN(f):
		r.buf = append(r.buf, "nan"...)
	default:
		r.buf = strconv.AppendFloat(r.buf, f, 'g', 17, 64)
	}
	r.buf = append(r.buf, '\r', '\n')
}

// Bool writes a boolean (the integer 1 or 0 in RESP2).
func (r *Reply) Bool(b bool) {
	if r.resp3 {
		if b {
			r.buf = append(r.buf, "#t\r\n"...)
		} else {
			r.buf = append(r.buf, "#f\r\n"...)
		}
		return
	}
	if b {
		r.Int(1)
	} else {
		r.Int(0)
	}
}

// Verbatim writes text such as INFO's (a verbatim string in RESP3, a bulk
// string in RESP2). format is three letters: "txt" or "mkd".
func (r *Reply) Verbatim(format, text string) {
	if !r.resp3 {
		r.BulkString(text)
		return
	}
	r.buf = appendHeader(r.buf, '=', len(text)+4)
	r.buf = append(r.buf, format...)
	r.buf = append(r.buf, ':')
	r.buf = append(r.buf, text...)
	r.buf = append(r.buf, '\r', '\n')
}

// AppendWith lets f append an encoded reply to the buffer.
func (r *Reply) AppendWith(f func([]byte) []byte) { r.buf = f(r.buf) }

// Len returns the length of the encoded replies.
func (r *Reply) Len() int { return len(r.buf) }

// Truncate drops the replies after the first n bytes.
func (r *Reply) Truncate(n int) { r.buf = r.buf[:n] }

// SetBytes makes b the buffer that later replies are appended to.
func (r *Reply) SetBytes(b []byte) { r.buf = b }

// Raw appends bytes that are already encoded.
func (r *Reply) Raw(b []byte) { r.buf = append(r.buf, b...) }

func appendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// FormatFloat formats f as Redis does in replies (INCRBYFLOAT, HINCRBYFLOAT,
// RESP2 doubles): the shortest exact decimal, no exponent for ordinary
// magnitudes, "inf" and "-inf" for infinities.
func FormatFloat(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64)
}

// HumanBytes formats n as Redis's bytesToHuman does (1.50M), as INFO's
// used_memory_human and the status page show sizes.
func HumanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(f/(1<<10), 'f', 2, 64) + "K"
	case n < 1<<30:
		return strconv.FormatFloat(f/(1<<20), 'f', 2, 64) + "M"
	case n < 1<<40:
		return strconv.FormatFloat(f/(1<<30), 'f', 2, 64) + "G"
	}
	return strconv.FormatFloat(f/(1<<40), 'f', 2, 64) + "T"
}

// OneLine makes client text safe inside an error line, as Redis does
// (CR and LF become spaces).
func OneLine(b []byte) string {
	s := string(b)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}
