// Package lualib is the set of C libraries Redis 7.2 bundles into its Lua
// state, rewritten in Go for gopher-lua: cjson (lua-cjson 2.1.0), cmsgpack
// (lua-cmsgpack 0.4.0), struct (Roberto Ierusalimschy's struct library) and
// bit (LuaBitOp 1.0.2). Open registers them as the globals cjson, cmsgpack,
// struct and bit, as Redis's luaLoadLibraries does.
//
// What it promises: every function of the four libraries returns what
// redis-server's returns for the same arguments, and raises the same error
// text: the bytes cjson.encode and cmsgpack.pack produce, number formatting
// (Lua 5.1's %.14g, cjson's encode_number_precision), Lua 5.1's conversion
// of numeric strings where the C code calls lua_tonumber, and x86-64 C
// semantics where the C code converts a double to an integer (truncation,
// and 0x8000000000000000 for a value out of range). The Lua stack limits
// that bound the C libraries (LUAI_MAXCSTACK, 8000 slots) are counted here,
// so the errors they cause ("stack overflow (...)", cjson's nesting errors)
// come at the same depth as in Redis. Nothing in the package panics on any
// input: a malformed JSON or MessagePack string gets the C library's
// error, and cjson.decode and cmsgpack.unpack allocate in proportion to
// their input (both are fuzzed). The differential test in this package
// runs each case in a gopher-lua state and in a real redis-server via EVAL
// and compares the results.
//
// What the state that opens them must provide, for results to match:
// chunks named "user_script" (errors carry "user_script:LINE: " as
// Redis's do; a leading '@' or '=' is dropped as Lua 5.1's chunkid drops
// it), and a registry that may grow past 8000 values (gopher-lua's
// RegistryMaxSize), since Redis's libraries return up to that many. The
// encoders check the state's context (LState.SetContext) every 64 KiB of
// output, so a script stopped while encoding a huge or self-sharing table
// ends.
//
// Where it differs from Redis:
//   - Tables are iterated in gopher-lua's order (lua_next's: array part,
//     then keys in the order they were first set), not C Lua's hash order,
//     so cjson.encode of an object with several keys and cmsgpack.pack of
//     a map list the keys in another order: the same set, each encoded the
//     same, and the same order on every run for the same table (never Go
//     map order). Redis's order is an artefact of its hash function too.
//   - An argument error names the function as its call site does
//     (bit.band(...) -> 'band'), as Lua 5.1 does, but a call written as a
//     method (bit:band(1)) is not told apart: Lua 5.1 says "calling 'band'
//     on bad self", this package "bad argument #1 to 'band'".
//   - struct.pack reads a missing argument as nil, as Redis does for the
//     first one past the end; where Redis would read its own buffer's
//     pieces (more than one missing argument after 8 KiB of output) the
//     error names "no value" instead.
package lualib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// maxCStack is Lua 5.1's LUAI_MAXCSTACK: the number of stack slots a C
// function may use. lua_checkstack fails past it; the libraries turn that
// into their own errors, which this package reproduces by counting slots.
const maxCStack = 8000

// Open registers cjson, cmsgpack, struct and bit as global tables in L, as
// Redis's luaLoadLibraries does (and nothing else).
func Open(L *lua.LState) {
	null := L.NewUserData() // cjson.null: one value, as C's NULL lightuserdata
	L.SetGlobal("cjson", newCJSON(L, null))
	L.SetGlobal("cmsgpack", newCMsgpack(L))
	L.SetGlobal("struct", newStruct(L))
	L.SetGlobal("bit", newBit(L))
}

// register builds a module table of Go functions.
func register(L *lua.LState, funcs map[string]lua.LGFunction) *lua.LTable {
	t := L.NewTable()
	for name, fn := range funcs {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// raise is luaL_error: the message, prefixed with the position of the Lua
// code that called the running Go function ("user_script:3: "), none when
// a Go function (pcall) called it. The C libraries raise every error this
// way.
func raise(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(where(L)+fmt.Sprintf(format, args...)), 0)
}

// where is luaL_where(L, 1).
func where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
		return ""
	}
	src := dbg.Source
	if src != "" && (src[0] == '@' || src[0] == '=') {
		src = src[1:]
	}
	return fmt.Sprintf("%s:%d: ", src, dbg.CurrentLine)
}

// funcName is the name Lua 5.1's luaL_argerror gives the running Go
// function: the name its call site used, or "?" when it was called from Go
// (pcall(bit.band, ...)).
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil || dbg.Name == "" || dbg.Name[0] == '(' {
		return "?"
	}
	return dbg.Name
}

// argError is luaL_argerror.
func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #%d to '%s' (%s)", n, funcName(L), msg)
}

// typeName is lua_typename(L, lua_type(L, n)) of argument n ("no value"
// past the top of the stack, as luaL_typename).
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return valueTypeName(L.Get(n))
}

// valueTypeName is Lua 5.1's name of v's type.
func valueTypeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTBool:
		return "boolean"
	case lua.LTNumber:
		return "number"
	case lua.LTString:
		return "string"
	case lua.LTTable:
		return "table"
	case lua.LTFunction:
		return "function"
	case lua.LTThread:
		return "thread"
	default:
		return "userdata"
	}
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, want string) {
	argError(L, n, want+" expected, got "+typeName(L, n))
}

// toNumber is Lua 5.1's lua_tonumber: numbers, and strings that convert
// whole (strtod, surrounding white space allowed); ok reports lua_isnumber.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return str2d(string(v))
	}
	return 0, false
}

// str2d is Lua 5.1's luaO_str2d over glibc's strtod. It reads s as a C
// string: a NUL byte ends it ("1\x00x" is 1).
func str2d(s string) (float64, bool) {
	s = cString(s)
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	f, n := strtod(s[i:])
	if n == 0 {
		return 0, false
	}
	for j := i + n; j < len(s); j++ {
		if !isSpace(s[j]) {
			return 0, false
		}
	}
	return f, true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// strtod parses the longest prefix of s glibc's strtod would (without its
// leading white space): decimal and hexadecimal floating point, inf,
// infinity and nan(...). It returns the value and the bytes consumed, 0 when
// no number starts s. A NUL byte ends the input, as in C.
func strtod(s string) (float64, int) {
	if k := strings.IndexByte(s, 0); k >= 0 {
		s = s[:k]
	}
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasPrefixFold(rest, "nan"):
		n := i + 3
		if n < len(s) && s[n] == '(' {
			j := n + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				n = j + 1
			}
		}
		nan := math.Float64frombits(0x7ff8000000000000)
		if neg {
			nan = math.Float64frombits(0xfff8000000000000)
		}
		return nan, n
	}
	if len(rest) >= 3 && rest[0] == '0' && (rest[1]|0x20) == 'x' && (isHex(rest[2]) || (rest[2] == '.' && len(rest) > 3 && isHex(rest[3]))) {
		j := 2
		for j < len(rest) && isHex(rest[j]) {
			j++
		}
		if j < len(rest) && rest[j] == '.' {
			j++
			for j < len(rest) && isHex(rest[j]) {
				j++
			}
		}
		mant := rest[:j]
		exp := "p0"
		if e := expLen(rest[j:], 'p'); e > 0 {
			exp = rest[j : j+e]
			j += e
		}
		f, err := strconv.ParseFloat(mant+exp, 64)
		if err != nil && !isRange(err) {
			return 0, 0
		}
		return sign(f), i + j
	}
	j := 0
	digits := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	j += expLen(rest[j:], 'e')
	f, err := strconv.ParseFloat(rest[:j], 64)
	if err != nil && !isRange(err) {
		return 0, 0
	}
	return sign(f), i + j
}

// expLen is the length of an exponent (marker, optional sign, digits) at
// the start of s, 0 when there is none.
func expLen(s string, marker byte) int {
	if len(s) < 2 || s[0]|0x20 != marker {
		return 0
	}
	j := 1
	if s[j] == '+' || s[j] == '-' {
		j++
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// checkNumber is luaL_checknumber.
func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

// toInteger is lua_Integer conversion of a double as Redis's Lua (built
// with LUA_ANSI) does it on x86-64: a C cast, truncating, with
// 0x8000000000000000 for NaN and values out of range (cvttsd2si).
func toInteger(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// toUint64 is the x86-64 C conversion of a double to uint64 as gcc emits
// it: from 2^63 up, 2^63 is subtracted before cvttsd2si and added back;
// below (and NaN) cvttsd2si alone, so negative values wrap.
func toUint64(f float64) uint64 {
	if f >= 9223372036854775808.0 {
		return uint64(toInteger(f-9223372036854775808.0)) ^ (1 << 63)
	}
	return uint64(toInteger(f))
}

// checkInteger is luaL_checkinteger.
func checkInteger(L *lua.LState, n int) int64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return toInteger(f)
}

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if v := L.Get(n); v == lua.LNil {
		return def
	}
	return checkInteger(L, n)
}

// checkString is luaL_checklstring: strings, and numbers converted as Lua
// 5.1 converts them (%.14g).
func checkString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return numberToString(float64(v))
	}
	typeError(L, n, "string")
	return ""
}

// numberToString is Lua 5.1's lua_tostring of a number: "%.14g".
func numberToString(f float64) string {
	return formatG(f, 14)
}

// formatG is C's printf("%.<prec>g", f) as glibc prints it.
func formatG(f float64, prec int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if prec == 0 {
		prec = 1
	}
	if f == math.Trunc(f) && math.Abs(f) < pow10[min(prec, 15)] && (f != 0 || !math.Signbit(f)) {
		return strconv.FormatInt(int64(f), 10) // whole and short: the common case
	}
	e := strconv.FormatFloat(f, 'e', prec-1, 64)
	x, _ := strconv.Atoi(e[strings.LastIndexByte(e, 'e')+1:])
	var s string
	if x < -4 || x >= prec {
		mant, exp, _ := strings.Cut(e, "e")
		mant = trimZeros(mant)
		sign := exp[0]
		digits := strings.TrimLeft(exp[1:], "0")
		for len(digits) < 2 {
			digits = "0" + digits
		}
		s = mant + "e" + string(sign) + digits
	} else {
		s = trimZeros(strconv.FormatFloat(f, 'f', prec-1-x, 64))
	}
	return s
}

// pow10 holds 10^0 .. 10^15, exact.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// trimZeros drops trailing zeros after a decimal point, and the point.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
