package lualib

import (
	"context"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// jsonConfig is one cjson module's settings (json_config_t): each
// cjson.new() table has its own. The fields are C ints, so a setting given
// past 32 bits wraps as the C code's assignment does.
type jsonConfig struct {
	sparseConvert        int32
	sparseRatio          int32
	sparseSafe           int32
	encodeMaxDepth       int32
	decodeMaxDepth       int32
	encodeInvalidNumbers int32 // 0 off, 1 on, 2 "null"
	precision            int32
	keepBuffer           int32
	decodeInvalidNumbers int32
}

// newCJSON is lua_cjson_new: a module table whose functions share one
// fresh configuration. null is cjson.null, shared by every module of L.
func newCJSON(L *lua.LState, null *lua.LUserData) *lua.LTable {
	cfg := &jsonConfig{
		sparseConvert: 0, sparseRatio: 2, sparseSafe: 10,
		encodeMaxDepth: 1000, decodeMaxDepth: 1000,
		encodeInvalidNumbers: 0, decodeInvalidNumbers: 1,
		keepBuffer: 1, precision: 14,
	}
	t := register(L, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int { return jsonEncode(L, cfg, null) },
		"decode": func(L *lua.LState) int { return jsonDecode(L, cfg, null) },
		"encode_sparse_array": func(L *lua.LState) int {
			jsonArgInit(L, 3)
			jsonEnumOption(L, 1, &cfg.sparseConvert, nil)
			jsonIntegerOption(L, 2, &cfg.sparseRatio, 0, math.MaxInt32)
			jsonIntegerOption(L, 3, &cfg.sparseSafe, 0, math.MaxInt32)
			return 3
		},
		"encode_max_depth": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonIntegerOption(L, 1, &cfg.encodeMaxDepth, 1, math.MaxInt32)
		},
		"decode_max_depth": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonIntegerOption(L, 1, &cfg.decodeMaxDepth, 1, math.MaxInt32)
		},
		"encode_number_precision": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonIntegerOption(L, 1, &cfg.precision, 1, 14)
		},
		"encode_keep_buffer": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonEnumOption(L, 1, &cfg.keepBuffer, nil)
		},
		"encode_invalid_numbers": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonEnumOption(L, 1, &cfg.encodeInvalidNumbers, []string{"off", "on", "null"})
		},
		"decode_invalid_numbers": func(L *lua.LState) int {
			jsonArgInit(L, 1)
			return jsonEnumOption(L, 1, &cfg.decodeInvalidNumbers, nil)
		},
		"new": func(L *lua.LState) int {
			L.Push(newCJSON(L, null))
			return 1
		},
	})
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// jsonArgInit is json_arg_init: at most args arguments, padded with nil.
func jsonArgInit(L *lua.LState, args int) {
	if L.GetTop() > args {
		argError(L, args+1, "found too many arguments")
	}
	for L.GetTop() < args {
		L.Push(lua.LNil)
	}
}

// jsonIntegerOption is json_integer_option: sets *setting from argument i
// unless it is nil (the range error always names argument 1, as the C code
// does), and pushes the setting.
func jsonIntegerOption(L *lua.LState, i int, setting *int32, lo, hi int32) int {
	if L.Get(i) != lua.LNil {
		v := int32(checkInteger(L, i))
		if v < lo || v > hi {
			argError(L, 1, "expected integer between "+itoa(int64(lo))+" and "+itoa(int64(hi)))
		}
		*setting = v
	}
	L.Push(lua.LNumber(*setting))
	return 1
}

// jsonEnumOption is json_enum_option with bool_true 1: a boolean, or one of
// options by name (off/on when options is nil); pushes the setting back as a
// boolean when it is 0 or 1, else as its name.
func jsonEnumOption(L *lua.LState, i int, setting *int32, options []string) int {
	if options == nil {
		options = []string{"off", "on"}
	}
	if v := L.Get(i); v != lua.LNil {
		if b, ok := v.(lua.LBool); ok {
			*setting = 0
			if b {
				*setting = 1
			}
		} else {
			name := checkString(L, i)
			found := false
			for k, o := range options {
				if o == name {
					*setting, found = int32(k), true
					break
				}
			}
			if !found {
				argError(L, i, "invalid option '"+cString(name)+"'")
			}
		}
	}
	if *setting == 0 || *setting == 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
	return 1
}

// cString is s as C's %s prints it: up to the first NUL.
func cString(s string) string {
	if k := strings.IndexByte(s, 0); k >= 0 {
		return s[:k]
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// jsonEncoder is one cjson.encode call.
type jsonEncoder struct {
	L    *lua.LState
	cfg  *jsonConfig
	null *lua.LUserData
	ctx  context.Context
	out  []byte
	next int // output length at which ctx is checked again
}

// ctxCheckEvery bounds the work an encoder does between looks at the
// state's context, so that a script killed or timed out while encoding a
// huge value stops.
const ctxCheckEvery = 1 << 16

func jsonEncode(L *lua.LState, cfg *jsonConfig, null *lua.LUserData) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	e := &jsonEncoder{L: L, cfg: cfg, null: null, ctx: L.Context(), next: ctxCheckEvery}
	e.value(L.Get(1), 0, 1)
	L.Push(lua.LString(e.out))
	return 1
}

// exception is json_encode_exception.
func (e *jsonEncoder) exception(v lua.LValue, reason string) {
	raise(e.L, "Cannot serialise %s: %s", valueTypeName(v), reason)
}

// value is json_append_data. slots counts the Lua stack slots the C code
// would be using at this point, for its lua_checkstack limit.
func (e *jsonEncoder) value(v lua.LValue, depth, slots int) {
	if len(e.out) >= e.next {
		e.next = len(e.out) + ctxCheckEvery
		if e.ctx != nil && e.ctx.Err() != nil {
			raise(e.L, "%s", e.ctx.Err().Error())
		}
	}
	switch v := v.(type) {
	case lua.LString:
		e.out = appendJSONString(e.out, string(v))
	case lua.LNumber:
		e.number(v, float64(v))
	case lua.LBool:
		if v {
			e.out = append(e.out, "true"...)
		} else {
			e.out = append(e.out, "false"...)
		}
	case *lua.LTable:
		depth++
		if int32(depth) > e.cfg.encodeMaxDepth || depth > math.MaxInt32 || slots+3 > maxCStack {
			raise(e.L, "Cannot serialise, excessive nesting (%d)", int32(depth))
		}
		if n := e.arrayLength(v); n > 0 {
			e.out = append(e.out, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.out = append(e.out, ',')
				}
				e.value(v.RawGetInt(i), depth, slots+1)
			}
			e.out = append(e.out, ']')
		} else {
			e.object(v, depth, slots)
		}
	default:
		if v == lua.LNil || v == lua.LValue(e.null) {
			e.out = append(e.out, "null"...)
			return
		}
		e.exception(v, "type not supported")
	}
}

func (e *jsonEncoder) object(t *lua.LTable, depth, slots int) {
	e.out = append(e.out, '{')
	comma := false
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if comma {
			e.out = append(e.out, ',')
		}
		comma = true
		switch k := k.(type) {
		case lua.LNumber:
			e.out = append(e.out, '"')
			e.number(k, float64(k))
			e.out = append(e.out, '"', ':')
		case lua.LString:
			e.out = appendJSONString(e.out, string(k))
			e.out = append(e.out, ':')
		default:
			e.exception(k, "table key must be a number or string")
		}
		e.value(v, depth, slots+2)
	}
	e.out = append(e.out, '}')
}

// arrayLength is lua_array_length: the largest key when every key is a
// whole number >= 1 (the C code keeps it in an int, so a key past 2^31
// makes it negative), -1 for an object, or the sparse array error.
func (e *jsonEncoder) arrayLength(t *lua.LTable) int {
	var max, items int32
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f == 0 || math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > float64(max) {
			max = toInt32(f)
		}
		items++
	}
	if e.cfg.sparseRatio > 0 && max > items*e.cfg.sparseRatio && max > e.cfg.sparseSafe {
		if e.cfg.sparseConvert == 0 {
			e.exception(t, "excessively sparse array")
		}
		return -1
	}
	return int(max)
}

// toInt32 is the C conversion of a double to int on x86-64 (cvttsd2si):
// truncation, 0x80000000 when out of range.
func toInt32(f float64) int32 {
	if f != f || f >= 2147483648.0 || f <= -2147483649.0 {
		return math.MinInt32
	}
	return int32(f)
}

// number is json_append_number.
func (e *jsonEncoder) number(v lua.LValue, f float64) {
	invalid := math.IsInf(f, 0) || f != f
	switch e.cfg.encodeInvalidNumbers {
	case 0:
		if invalid {
			e.exception(v, "must not be NaN or Inf")
		}
	case 1:
		if f != f {
			e.out = append(e.out, "nan"...)
			return
		}
	default:
		if invalid {
			e.out = append(e.out, "null"...)
			return
		}
	}
	e.out = append(e.out, formatG(f, int(e.cfg.precision))...)
}

// jsonEscapes is char2escape: the escape of each byte, "" for none.
var jsonEscapes = func() [256]string {
	var t [256]string
	const hex = "0123456789abcdef"
	for c := 0; c < 0x20; c++ {
		t[c] = `\u00` + string(hex[c>>4]) + string(hex[c&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['/'], t['\\'], t[0x7f] = `\"`, `\/`, `\\`, `\u007f`
	return t
}()

// appendJSONString is json_append_string.
func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			out = append(out, esc...)
		} else {
			out = append(out, s[i])
		}
	}
	return append(out, '"')
}
