package scripting

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/meshcache/meshcache/server/resp"
)

// The conversions between RESP replies and Lua values, as Redis's tables
// say (https://redis.io/docs/interact/programmability/lua-api/, and
// script_lua.c redisProtocolToLuaType_* and luaReplyToRedisReply).

// maxReplyDepth bounds the nesting of a reply converted either way: a Lua
// table that contains itself, or a reply nested deeper, ends in an error
// element, as Redis's lua_checkstack limit does.
const maxReplyDepth = 1000

var posInf = math.Inf(1)

var errReplyDepth = errors.New("reply nested too deep")

// toLua converts the whole RESP reply b (RESP2 or RESP3, as the command
// wrote it) to a Lua value. A malformed reply is an error; the front end
// never writes one, and the fuzz test holds the parser to that.
func toLua(L *lua.LState, b []byte) (lua.LValue, error) {
	v, rest, err := parseValue(L, b, 0)
	if err != nil {
		return lua.LNil, err
	}
	if len(rest) != 0 {
		return lua.LNil, fmt.Errorf("%d trailing bytes after the reply", len(rest))
	}
	return v, nil
}

// line splits the header line off b (its text without CRLF, and the rest).
func line(b []byte) ([]byte, []byte, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return nil, nil, errors.New("reply line not terminated")
	}
	return b[1:i], b[i+2:], nil
}

func count(text []byte) (int, error) {
	n, err := strconv.Atoi(string(text))
	if err != nil {
		return 0, fmt.Errorf("bad length %q", text)
	}
	return n, nil
}

// parseValue converts one reply at the start of b (L nil: skip it, as
// Redis skips an attribute) and returns what follows it.
func parseValue(L *lua.LState, b []byte, depth int) (lua.LValue, []byte, error) {
	if len(b) == 0 {
		return lua.LNil, nil, errors.New("empty reply")
	}
	if depth > maxReplyDepth {
		return lua.LNil, nil, errReplyDepth
	}
	kind := b[0]
	text, rest, err := line(b)
	if err != nil {
		return lua.LNil, nil, err
	}
	switch kind {
	case ':':
		if n, ok := resp.ParseInt64(text); ok { // no allocation, unlike strconv of a string
			return lua.LNumber(n), rest, nil
		}
		n, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return lua.LNil, nil, fmt.Errorf("bad integer %q", text)
		}
		return lua.LNumber(n), rest, nil
	case '+':
		if L == nil {
			return lua.LNil, rest, nil
		}
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(text))
		return t, rest, nil
	case '-':
		if L == nil {
			return lua.LNil, rest, nil
		}
		t := errorTable(L, "-"+string(text))
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t, rest, nil
	case '$', '=':
		n, err := count(text)
		if err != nil {
			return lua.LNil, nil, err
		}
		if n < 0 {
			if kind == '=' {
				return lua.LNil, nil, errors.New("negative verbatim length")
			}
			return lua.LFalse, rest, nil
		}
		if len(rest) < n+2 || rest[n] != '\r' || rest[n+1] != '\n' {
			return lua.LNil, nil, errors.New("bulk string truncated")
		}
		s, after := rest[:n], rest[n+2:]
		if kind == '$' {
			return lua.LString(s), after, nil
		}
		if n < 4 || s[3] != ':' {
			return lua.LNil, nil, errors.New("verbatim string without format")
		}
		if L == nil {
			return lua.LNil, after, nil
		}
		inner := L.NewTable()
		inner.RawSetString("string", lua.LString(s[4:]))
		inner.RawSetString("format", lua.LString(s[:3]))
		t := L.NewTable()
		t.RawSetString("verbatim_string", inner)
		return t, after, nil
	case '*', '>', '~', '%', '|':
		n, err := count(text)
		if err != nil {
			return lua.LNil, nil, err
		}
		if n < 0 {
			if kind != '*' {
				return lua.LNil, nil, errors.New("negative aggregate length")
			}
			return lua.LFalse, rest, nil
		}
		return parseAggregate(L, kind, n, rest, depth)
	case '_':
		if len(text) != 0 {
			return lua.LNil, nil, errors.New("bad null")
		}
		return lua.LNil, rest, nil
	case '#':
		switch string(text) {
		case "t":
			return lua.LTrue, rest, nil
		case "f":
			return lua.LFalse, rest, nil
		}
		return lua.LNil, nil, fmt.Errorf("bad boolean %q", text)
	case ',':
		f, ok := parseDouble(text)
		if !ok {
			return lua.LNil, nil, fmt.Errorf("bad double %q", text)
		}
		if L == nil {
			return lua.LNil, rest, nil
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest, nil
	case '(':
		if L == nil {
			return lua.LNil, rest, nil
		}
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(text))
		return t, rest, nil
	}
	return lua.LNil, nil, fmt.Errorf("unknown reply type %q", kind)
}

func parseDouble(text []byte) (float64, bool) {
	switch strings.ToLower(string(text)) {
	case "inf", "+inf":
		return posInf, true
	case "-inf":
		return -posInf, true
	}
	f, err := strconv.ParseFloat(string(text), 64)
	return f, err == nil
}

// parseAggregate converts an array (push), set, map or attribute of n
// elements (pairs for a map or attribute).
func parseAggregate(L *lua.LState, kind byte, n int, b []byte, depth int) (lua.LValue, []byte, error) {
	if n > len(b) { // every element takes at least one byte
		return lua.LNil, nil, errors.New("aggregate truncated")
	}
	var t *lua.LTable
	if L != nil {
		t = L.NewTable()
	}
	var err error
	var k, v lua.LValue
	for i := 0; i < n; i++ {
		switch kind {
		case '*', '>':
			if v, b, err = parseValue(L, b, depth+1); err != nil {
				return lua.LNil, nil, err
			}
			if t != nil {
				t.RawSetInt(i+1, v)
			}
		case '~':
			if k, b, err = parseValue(L, b, depth+1); err != nil {
				return lua.LNil, nil, err
			}
			if t != nil && k != lua.LNil {
				t.RawSet(k, lua.LTrue)
			}
		case '%', '|':
			sub := L
			if kind == '|' {
				sub = nil
			}
			if k, b, err = parseValue(sub, b, depth+1); err != nil {
				return lua.LNil, nil, err
			}
			if v, b, err = parseValue(sub, b, depth+1); err != nil {
				return lua.LNil, nil, err
			}
			if t != nil && kind == '%' && k != lua.LNil {
				t.RawSet(k, v)
			}
		}
	}
	switch kind {
	case '|': // an attribute: ignored, the reply follows it
		return parseValue(L, b, depth+1)
	case '~', '%':
		if L == nil {
			return lua.LNil, b, nil
		}
		field := "set"
		if kind == '%' {
			field = "map"
		}
		w := L.NewTable()
		w.RawSetString(field, t)
		return w, b, nil
	}
	if L == nil {
		return lua.LNil, b, nil
	}
	return t, b, nil
}

// errorTable is luaPushErrorBuff: the {err="CODE message"} table of an
// error text, "-CODE message" or a bare message (which gets the ERR code);
// trailing CR and LF are trimmed.
func errorTable(L *lua.LState, text string) *lua.LTable {
	var code, msg string
	if strings.HasPrefix(text, "-") {
		if i := strings.IndexByte(text, ' '); i < 0 {
			code, msg = "ERR", text[1:]
		} else {
			code, msg = text[1:i], text[i+1:]
		}
	} else {
		code, msg = "ERR", text
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// writeReply converts the Lua value v to the client's reply, as
// luaReplyToRedisReply: scriptRESP is the protocol the script selected
// (redis.setresp), which decides how a boolean is written in RESP2.
func writeReply(r *resp.Reply, v lua.LValue, scriptRESP int, depth int) {
	if depth > maxReplyDepth {
		r.Error("ERR reached lua stack limit")
		return
	}
	switch x := v.(type) {
	case lua.LString:
		r.BulkString(string(x))
	case lua.LBool:
		if scriptRESP == 2 {
			if x {
				r.Int(1)
			} else {
				r.Null()
			}
			return
		}
		r.Bool(bool(x))
	case lua.LNumber:
		r.Int(luaToInt64(float64(x)))
	case *lua.LTable:
		writeTable(r, x, scriptRESP, depth)
	default:
		r.Null()
	}
}

// writeTable writes a table: an error, status, double, big number,
// verbatim string, map or set table by its one field, else an array of
// its elements 1..n up to the first nil.
func writeTable(r *resp.Reply, t *lua.LTable, scriptRESP int, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		r.Error(errorText(t, string(e)))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		r.Status(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		r.Double(float64(d))
		return
	}
	if b, ok := t.RawGetString("big_number").(lua.LString); ok {
		big := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(b))
		if r.RESP3() {
			r.Raw([]byte("(" + big + "\r\n"))
		} else {
			r.BulkString(big)
		}
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			r.Verbatim(string(f), string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var n int
		m.ForEach(func(_, _ lua.LValue) { n++ })
		r.Map(n)
		m.ForEach(func(k, v lua.LValue) {
			writeReply(r, k, scriptRESP, depth+1)
			writeReply(r, v, scriptRESP, depth+1)
		})
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		var n int
		s.ForEach(func(_, _ lua.LValue) { n++ })
		r.Set(n)
		s.ForEach(func(k, _ lua.LValue) { writeReply(r, k, scriptRESP, depth+1) })
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	r.Array(n)
	for i := 1; i <= n; i++ {
		writeReply(r, t.RawGetInt(i), scriptRESP, depth+1)
	}
}

// errorText is the error line of an error table returned by a script:
// its err field, which already carries its code.
func errorText(_ *lua.LTable, msg string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
}

// luaToInt64 is C's (long long) cast of a double as Redis applies it,
// truncating toward zero; out of range (and NaN) it gives the x86
// result, the smallest int64.
func luaToInt64(f float64) int64 {
	if f != f || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return -1 << 63
	}
	return int64(f)
}
