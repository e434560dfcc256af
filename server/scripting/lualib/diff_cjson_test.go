package lualib

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// cjsonCases hold lua-cjson to redis-server's. Objects with more than one
// key are compared decoded (their key order follows table iteration, which
// differs between the two Luas and is no promise of Redis's either).
var cjsonCases = []diffCase{
	{"cjson/encode-array", `return cjson.encode({1, 2, {a = 1}})`},
	{"cjson/encode-scalars", `return cjson.encode(1), cjson.encode('x'), cjson.encode(true), cjson.encode(false), cjson.encode(nil), cjson.encode(cjson.null)`},
	{"cjson/encode-numbers", `return cjson.encode({0.1, 1/3, 1e15, 1e16, 123456789012345, -0.0, 2^53, 1e-5, 1e-4, 5e-324, 1.7976931348623157e308})`},
	{"cjson/encode-integers", `return cjson.encode({1, -1, 100, 2^31, -2^31, 99999999999999, 100000000000000})`},
	{"cjson/encode-empty-table", `return cjson.encode({}), cjson.encode({{}, {{}}})`},
	{"cjson/encode-string-escapes", `return cjson.encode('a"b\\c/d\b\f\n\r\t\0\1\31\127\128\255 é')`},
	{"cjson/encode-all-bytes", `local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end return cjson.encode(table.concat(t))`},
	{"cjson/encode-holes", `return cjson.encode({1, nil, 3}), cjson.encode({[1] = 'a', [3] = 'c'}), cjson.encode({[10] = 1})`},
	{"cjson/encode-sparse-error", `return cjson.encode({[11] = 1})`},
	{"cjson/encode-sparse-ok-ratio", `return cjson.encode({[1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5, [6] = 6, [12] = 12})`},
	{"cjson/encode-sparse-convert", `cjson.encode_sparse_array(true) return cjson.encode({[20] = 'x'}), cjson.encode({1, 2, [40] = 3}) ~= nil`},
	{"cjson/encode-sparse-settings", `return cjson.encode_sparse_array(), cjson.encode_sparse_array(false, 3, 20)`},
	{"cjson/encode-sparse-ratio-zero", `cjson.encode_sparse_array(false, 0) return cjson.encode({[1000] = 1}):len()`},
	{"cjson/encode-sparse-bad-ratio", `return cjson.encode_sparse_array(false, -1)`},
	{"cjson/encode-sparse-bad-option", `return cjson.encode_sparse_array('yes')`},
	{"cjson/encode-sparse-on-off", `return cjson.encode_sparse_array('on'), cjson.encode_sparse_array('off')`},
	{"cjson/encode-sparse-too-many", `return cjson.encode_sparse_array(1, 2, 3, 4)`},
	{"cjson/encode-key-number", `return cjson.encode({[1.5] = 'x'}), cjson.encode({[-1] = true}), cjson.encode({[0] = 0})`},
	{"cjson/encode-key-string", `return cjson.encode({['a"b'] = 1})`},
	{"cjson/encode-mixed-keys-decoded", `local s = cjson.encode({1, 2, x = 'y'}) local t = cjson.decode(s) return t['1'], t['2'], t.x, #s`},
	{"cjson/encode-object-decoded", `local s = cjson.encode({a = 1, b = {c = {1, 2}}, d = 'e', f = false}) return cjson.decode(s), #s`},
	{"cjson/encode-bad-key", `return cjson.encode({[true] = 1})`},
	{"cjson/encode-table-key", `return cjson.encode({[{}] = 1})`},
	{"cjson/encode-function", `return cjson.encode(cjson.encode)`},
	{"cjson/encode-function-in-table", `return cjson.encode({1, cjson.decode})`},
	{"cjson/encode-nan", `return cjson.encode(0/0)`},
	{"cjson/encode-inf", `return cjson.encode({1/0})`},
	{"cjson/encode-invalid-on", `cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})`},
	{"cjson/encode-invalid-null", `cjson.encode_invalid_numbers('null') return cjson.encode({1/0, -1/0, 0/0, 1})`},
	{"cjson/encode-invalid-settings", `return cjson.encode_invalid_numbers(), cjson.encode_invalid_numbers('null'), cjson.encode_invalid_numbers('on'), cjson.encode_invalid_numbers(false)`},
	{"cjson/encode-invalid-bad", `return cjson.encode_invalid_numbers('maybe')`},
	{"cjson/encode-invalid-key-inf", `cjson.encode_invalid_numbers(true) return cjson.encode({[1/0] = 1})`},
	{"cjson/encode-key-inf", `return cjson.encode({[1/0] = 1})`},
	{"cjson/encode-precision", `cjson.encode_number_precision(3) return cjson.encode({1/3, 12345, 0.0001234}), cjson.encode_number_precision()`},
	{"cjson/encode-precision-bad", `return cjson.encode_number_precision(15)`},
	{"cjson/encode-precision-zero", `return cjson.encode_number_precision(0)`},
	{"cjson/encode-precision-string", `return cjson.encode_number_precision('5'), cjson.encode({1/3})`},
	{"cjson/encode-precision-not-number", `return cjson.encode_number_precision({})`},
	{"cjson/encode-keep-buffer", `return cjson.encode_keep_buffer(), cjson.encode_keep_buffer(false), cjson.encode({1}), cjson.encode_keep_buffer('on')`},
	{"cjson/encode-keep-buffer-bad", `return cjson.encode_keep_buffer(5)`},
	{"cjson/encode-no-args", `return cjson.encode()`},
	{"cjson/encode-two-args", `return cjson.encode(1, 2)`},
	{"cjson/encode-max-depth", `return cjson.encode_max_depth(), cjson.encode_max_depth(3), cjson.encode({{{1}}})`},
	{"cjson/encode-max-depth-exceeded", `cjson.encode_max_depth(3) return cjson.encode({{{{1}}}})`},
	{"cjson/encode-max-depth-bad", `return cjson.encode_max_depth(0)`},
	{"cjson/encode-max-depth-wrap", `return cjson.encode_max_depth(2^32 + 7)`},
	{"cjson/encode-cycle", `local t = {} t[1] = t return cjson.encode(t)`},
	{"cjson/encode-deep-default", `local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)`},
	{"cjson/encode-deep-over-default", `local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)`},
	{"cjson/encode-deep-stack-array", `cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 9000 do c[1] = {} c = c[1] end return cjson.encode(t)`},
	{"cjson/encode-deep-stack-object", `cjson.encode_max_depth(100000) local t = {} local c = t for i = 1, 5000 do c.a = {} c = c.a end return cjson.encode(t)`},
	{"cjson/encode-userdata-decoded-null", `return cjson.encode(cjson.decode('[null,1]'))`},
	{"cjson/decode-array", `return cjson.decode('[1,2,3,"x",true,false,null]')`},
	{"cjson/decode-object", `return cjson.decode('{"a":1,"b":[1,{"c":"d"}],"e":{}}')`},
	{"cjson/decode-scalars", `return cjson.decode('1'), cjson.decode('"s"'), cjson.decode('true'), cjson.decode('null') == cjson.null`},
	{"cjson/decode-whitespace", `return cjson.decode(' \t\n\r[ 1 , 2 ]\n ')`},
	{"cjson/decode-numbers", `return cjson.decode('[0, -0, 1.5, -1e3, 1E+2, 1e-2, 123456789012345678, 0.1, 1e400, -1e400, 1e-400]')`},
	{"cjson/decode-number-arg", `return cjson.decode(42), cjson.decode(1.5)`},
	{"cjson/decode-invalid-numbers", `return cjson.decode('[0x10, +1, 01, -0x1p4, inf, -Infinity, NaN]')`},
	{"cjson/decode-nan-values", `local t = cjson.decode('[nan, -nan, nan(123)]') return #t, t[1] ~= t[1]`},
	{"cjson/decode-invalid-numbers-off", `cjson.decode_invalid_numbers(false) return cjson.decode('[0x10]')`},
	{"cjson/decode-invalid-numbers-off-plus", `cjson.decode_invalid_numbers('off') return cjson.decode('+1')`},
	{"cjson/decode-invalid-numbers-off-inf", `cjson.decode_invalid_numbers(false) return cjson.decode('inf')`},
	{"cjson/decode-invalid-numbers-off-leading-zero", `cjson.decode_invalid_numbers(false) return cjson.decode('[1, 007]')`},
	{"cjson/decode-invalid-numbers-setting", `return cjson.decode_invalid_numbers(), cjson.decode_invalid_numbers(false), cjson.decode_invalid_numbers('on')`},
	{"cjson/decode-strings", `return cjson.decode('["\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0041\\u00e9\\u20ac\\ud83d\\ude00", "\\u0000x"]')`},
	{"cjson/decode-raw-bytes", `return cjson.decode('"\1\31\127\200\255 tab:\t"')`},
	{"cjson/decode-bad-escape", `return cjson.decode('"\\x"')`},
	{"cjson/decode-bad-unicode", `return cjson.decode('"\\u12G4"')`},
	{"cjson/decode-lone-low-surrogate", `return cjson.decode('"\\udc00"')`},
	{"cjson/decode-high-surrogate-alone", `return cjson.decode('"\\ud800x"')`},
	{"cjson/decode-surrogate-bad-low", `return cjson.decode('"\\ud800\\u0041"')`},
	{"cjson/decode-unterminated-string", `return cjson.decode('"abc')`},
	{"cjson/decode-empty", `return cjson.decode('')`},
	{"cjson/decode-spaces-only", `return cjson.decode('   ')`},
	{"cjson/decode-trailing", `return cjson.decode('[1] x')`},
	{"cjson/decode-trailing-number-garbage", `return cjson.decode('1.5abc')`},
	{"cjson/decode-nul-ends", `return cjson.decode('[1]\0garbage')`},
	{"cjson/decode-utf16", `return cjson.decode('\0[')`},
	{"cjson/decode-utf16-second", `return cjson.decode('[\0')`},
	{"cjson/decode-bad-token", `return cjson.decode('[1, @]')`},
	{"cjson/decode-bad-literal", `return cjson.decode('[tru]')`},
	{"cjson/decode-nil-literal", `return cjson.decode('nil')`},
	{"cjson/decode-missing-colon", `return cjson.decode('{"a" 1}')`},
	{"cjson/decode-number-key", `return cjson.decode('{1:2}')`},
	{"cjson/decode-trailing-comma-array", `return cjson.decode('[1,]')`},
	{"cjson/decode-trailing-comma-object", `return cjson.decode('{"a":1,}')`},
	{"cjson/decode-missing-comma", `return cjson.decode('[1 2]')`},
	{"cjson/decode-object-missing-comma", `return cjson.decode('{"a":1 "b":2}')`},
	{"cjson/decode-unclosed-array", `return cjson.decode('[1,2')`},
	{"cjson/decode-lone-minus", `return cjson.decode('-')`},
	{"cjson/decode-minus-letter", `return cjson.decode('-x')`},
	{"cjson/decode-duplicate-keys", `return cjson.decode('{"a":1,"a":2}')`},
	{"cjson/decode-deep-ok", `return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))`},
	{"cjson/decode-deep-error", `return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))`},
	{"cjson/decode-deep-object-error", `return cjson.decode(string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))`},
	{"cjson/decode-max-depth", `cjson.decode_max_depth(2) return cjson.decode('[[1]]'), pcall(cjson.decode, '[[[1]]]')`},
	{"cjson/decode-max-depth-setting", `return cjson.decode_max_depth(), cjson.decode_max_depth(5), cjson.decode_max_depth(nil)`},
	{"cjson/decode-max-depth-bad", `return cjson.decode_max_depth(-5)`},
	{"cjson/decode-stack-limit-array", `cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 9000))`},
	{"cjson/decode-stack-limit-object", `cjson.decode_max_depth(100000) return cjson.decode(string.rep('{"a":', 5000))`},
	{"cjson/decode-no-args", `return cjson.decode()`},
	{"cjson/decode-two-args", `return cjson.decode('1', 2)`},
	{"cjson/decode-table-arg", `return cjson.decode({})`},
	{"cjson/roundtrip", `local v = {1, 'two', {three = 3, four = {4, 4.5}}, true, false}
local s = cjson.encode(v) return cjson.decode(s), cjson.encode(cjson.decode(cjson.encode(cjson.decode(s)[3].four)))`},
	{"cjson/roundtrip-unicode", `local s = 'h\195\169llo \226\130\172 \240\159\152\128' return cjson.decode(cjson.encode(s)) == s, cjson.encode(s)`},
	{"cjson/null-identity", `return cjson.null == cjson.decode('null'), type(cjson.null), cjson.decode('[null]')[1] == cjson.null`},
	{"cjson/module-fields", `return cjson._NAME, cjson._VERSION, type(cjson.new)`},
	{"cjson/new-independent", `local j = cjson.new() j.encode_max_depth(2) return cjson.encode_max_depth(), j.encode_max_depth(), pcall(j.encode, {{{1}}}), j.null == cjson.null`},
	{"cjson/pcall-direct-error", `return pcall(cjson.encode)`},
	{"cjson/field-count", `local n = 0 for k in pairs(cjson) do n = n + 1 end return n`},
}

// numberFormatCases hold cjson's %.14g (and every encode_number_precision)
// and Lua 5.1's number-to-string conversion to redis-server's over a
// spread of doubles: a fixed pseudo-random set across magnitudes, written
// as exact literals.
func numberFormatCases() []diffCase {
	r := rand.New(rand.NewPCG(15, 2026))
	lits := make([]string, 0, 200)
	for i := 0; i < 200; i++ {
		exp := r.IntN(80) - 40
		mant := r.Float64()*2 - 1
		if i%5 == 0 {
			mant = math.Round(mant * 1e6)
		}
		f := mant * math.Pow(10, float64(exp))
		lits = append(lits, strconv.FormatFloat(f, 'g', 17, 64))
	}
	list := "{" + strings.Join(lits, ", ") + "}"
	return []diffCase{
		{"cjson/number-format-spread", "return cjson.encode(" + list + ")"},
		{"cjson/number-format-precisions", "local out = {} for p = 1, 14 do cjson.encode_number_precision(p) out[p] = cjson.encode(" + list + ") end return table.concat(out, ';')"},
		{"cjson/number-to-string-spread", "local t = " + list + " local out = {} for i = 1, #t do out[i] = struct.pack('c0', t[i]) end return table.concat(out, ' ')"},
		{"cjson/number-format-edges", `return cjson.encode({1e21, 1e-7, 123456789012345678, 0.1 + 0.2, 2^-1074, 9007199254740993, 1e100, 12345678901234.5, 99999999999999.9, 0.000099999999999999})`},
	}
}

func init() { cjsonCases = append(cjsonCases, numberFormatCases()...) }
