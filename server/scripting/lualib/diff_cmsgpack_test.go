package lualib

// cmsgpackCases hold lua-cmsgpack to redis-server's: the bytes pack makes
// (maps with more than one key compared unpacked, their order following
// table iteration), every type unpack reads, the offsets of unpack_one and
// unpack_limit, and the errors.
var cmsgpackCases = []diffCase{
	{"cmsgpack/pack-ints", `return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, 2^53)`},
	{"cmsgpack/pack-negative-ints", `return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1, -2^53, -2^63)`},
	{"cmsgpack/pack-int-limits", `return cmsgpack.pack(2^63), cmsgpack.pack(2^64), cmsgpack.pack(-2^64)`},
	{"cmsgpack/pack-floats", `return cmsgpack.pack(1.5, -0.25, 0.1, 1e300, 1/3, -0.0)`},
	{"cmsgpack/pack-inf-nan", `return cmsgpack.pack(1/0, -1/0), #cmsgpack.pack(0/0)`},
	{"cmsgpack/pack-strings", `return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('y', 32))`},
	{"cmsgpack/pack-str8-str16", `local a, b = cmsgpack.pack(string.rep('z', 255)), cmsgpack.pack(string.rep('z', 256)) return a:sub(1, 4), #a, b:sub(1, 4), #b`},
	{"cmsgpack/pack-str32", `local a = cmsgpack.pack(string.rep('w', 65536)) return a:sub(1, 6), #a`},
	{"cmsgpack/pack-bools-nil", `return cmsgpack.pack(true, false, nil)`},
	{"cmsgpack/pack-unsupported", `return cmsgpack.pack(cmsgpack.pack, cjson.null)`},
	{"cmsgpack/pack-array", `return cmsgpack.pack({1, 2, 3}), cmsgpack.pack({}), cmsgpack.pack({'a', {true}})`},
	{"cmsgpack/pack-array16", `local t = {} for i = 1, 16 do t[i] = i end local s = cmsgpack.pack(t) return s:sub(1, 3), #s`},
	{"cmsgpack/pack-array-hash-order", `return cmsgpack.pack({[3] = 'c', [1] = 'a', [2] = 'b'})`},
	{"cmsgpack/pack-map-one", `return cmsgpack.pack({a = 1}), cmsgpack.pack({[1.5] = true}), cmsgpack.pack({[0] = 0})`},
	{"cmsgpack/pack-holes-map", `local s = cmsgpack.pack({1, nil, 3}) return s:byte(1), cmsgpack.unpack(s)`},
	{"cmsgpack/pack-negative-key", `return cmsgpack.pack({[-1] = 'x'})`},
	{"cmsgpack/pack-big-key", `return cmsgpack.pack({[2^31] = 'x'})`},
	{"cmsgpack/pack-map-decoded", `local s = cmsgpack.pack({a = 1, b = {c = 'd'}, [10] = false}) return #s, s:byte(1), cmsgpack.unpack(s)`},
	{"cmsgpack/pack-map16", `local t = {} for i = 1, 20 do t['k' .. i] = i end local s = cmsgpack.pack(t) return s:sub(1, 3), #s, cmsgpack.unpack(s)`},
	{"cmsgpack/pack-nesting-limit", `local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)`},
	{"cmsgpack/pack-cycle", `local t = {} t[1] = t return cmsgpack.pack(t)`},
	{"cmsgpack/pack-multiple", `return cmsgpack.pack(1, 'two', {3}, nil, true)`},
	{"cmsgpack/pack-no-args", `return cmsgpack.pack()`},
	{"cmsgpack/pack-pcall-direct", `return pcall(cmsgpack.pack)`},
	{"cmsgpack/pack-many-args", `local t = {} for i = 1, 3000 do t[i] = i end return #cmsgpack.pack(unpack(t))`},
	{"cmsgpack/pack-too-many-args", `local t = {} for i = 1, 4001 do t[i] = i end return cmsgpack.pack(unpack(t))`},
	{"cmsgpack/unpack-ints", `return cmsgpack.unpack('\0\127\204\255\205\1\0\206\0\1\0\0\207\0\0\0\1\0\0\0\0')`},
	{"cmsgpack/unpack-signed", `return cmsgpack.unpack('\255\224\208\128\209\128\0\210\128\0\0\0\211\128\0\0\0\0\0\0\0')`},
	{"cmsgpack/unpack-uint64-wrap", `return cmsgpack.unpack('\207\255\255\255\255\255\255\255\255'), cmsgpack.unpack('\207\128\0\0\0\0\0\0\0')`},
	{"cmsgpack/unpack-floats", `return cmsgpack.unpack('\202\63\192\0\0\203\63\185\153\153\153\153\153\154')`},
	{"cmsgpack/unpack-float-nan-inf", `local a, b = cmsgpack.unpack('\202\127\192\0\0\203\255\240\0\0\0\0\0\0') return a ~= a, b`},
	{"cmsgpack/unpack-scalars", `return cmsgpack.unpack('\192\194\195')`},
	{"cmsgpack/unpack-strings", `return cmsgpack.unpack('\160\163abc\217\3xyz\218\0\2hi\219\0\0\0\1!')`},
	{"cmsgpack/unpack-array", `return cmsgpack.unpack('\147\1\2\3'), cmsgpack.unpack('\220\0\2\1\2'), cmsgpack.unpack('\221\0\0\0\1\192')`},
	{"cmsgpack/unpack-array-nil", `local t = cmsgpack.unpack('\147\1\192\3') return t, #t == 3 or #t == 1`},
	{"cmsgpack/unpack-map", `return cmsgpack.unpack('\130\161a\1\161b\146\1\2'), cmsgpack.unpack('\222\0\1\1\2'), cmsgpack.unpack('\223\0\0\0\1\1\2')`},
	{"cmsgpack/unpack-map-nil-value", `return cmsgpack.unpack('\130\161a\192\161b\1')`},
	{"cmsgpack/unpack-map-nil-key", `return cmsgpack.unpack('\129\192\1')`},
	{"cmsgpack/unpack-map-nan-key", `return cmsgpack.unpack('\129\202\127\192\0\0\1')`},
	{"cmsgpack/unpack-map-table-key", `local t = cmsgpack.unpack('\129\145\1\2') local n = 0 for k, v in pairs(t) do n = n + 1 end return n`},
	{"cmsgpack/unpack-bin-unsupported", `return cmsgpack.unpack('\196\1a')`},
	{"cmsgpack/unpack-ext-unsupported", `return cmsgpack.unpack('\212\1\1')`},
	{"cmsgpack/unpack-c1", `return cmsgpack.unpack('\193')`},
	{"cmsgpack/unpack-truncated-int", `return cmsgpack.unpack('\205\1')`},
	{"cmsgpack/unpack-truncated-str", `return cmsgpack.unpack('\165abc')`},
	{"cmsgpack/unpack-truncated-str32", `return cmsgpack.unpack('\219\255\255\255\255abc')`},
	{"cmsgpack/unpack-truncated-array", `return cmsgpack.unpack('\221\255\255\255\255\1\2')`},
	{"cmsgpack/unpack-truncated-map", `return cmsgpack.unpack('\130\1')`},
	{"cmsgpack/unpack-bad-in-array", `return cmsgpack.unpack('\146\1\193')`},
	{"cmsgpack/unpack-empty", `return select('#', cmsgpack.unpack(''))`},
	{"cmsgpack/unpack-no-args", `return cmsgpack.unpack()`},
	{"cmsgpack/unpack-number-arg", `return cmsgpack.unpack(5)`},
	{"cmsgpack/unpack-extra-args", `return cmsgpack.unpack('\1\2', 'x', 'y')`},
	{"cmsgpack/unpack-many", `local s = string.rep('\1', 7990) return select('#', cmsgpack.unpack(s))`},
	{"cmsgpack/unpack-too-many", `local s = string.rep('\1', 8000) return cmsgpack.unpack(s)`},
	{"cmsgpack/unpack-deep-array", `return cmsgpack.unpack(string.rep('\145', 5000) .. '\1')`},
	{"cmsgpack/unpack-deep-map", `return cmsgpack.unpack(string.rep('\129\1', 5000) .. '\1')`},
	{"cmsgpack/unpack-deep-ok", `local t = cmsgpack.unpack(string.rep('\145', 100) .. '\7') for i = 1, 100 do t = t[1] end return t`},
	{"cmsgpack/unpack-one", `return cmsgpack.unpack_one('\1\2\3'), cmsgpack.unpack_one('\1\2\3', 1), cmsgpack.unpack_one('\1\2\3', 2)`},
	{"cmsgpack/unpack-one-end", `return cmsgpack.unpack_one('\1\2\3', 3)`},
	{"cmsgpack/unpack-one-past-end", `return cmsgpack.unpack_one('\1\2\3', 4)`},
	{"cmsgpack/unpack-one-negative", `return cmsgpack.unpack_one('\1\2\3', -1)`},
	{"cmsgpack/unpack-one-string-offset", `return cmsgpack.unpack_one('\1\2\3', '1')`},
	{"cmsgpack/unpack-one-bad-offset", `return cmsgpack.unpack_one('\1\2\3', {})`},
	{"cmsgpack/unpack-one-walk", `local s = cmsgpack.pack(1, {2}, 'three') local out, off = {}, 0 repeat local v off, v = cmsgpack.unpack_one(s, off) out[#out + 1] = v until off == -1 return out`},
	{"cmsgpack/unpack-limit", `return cmsgpack.unpack_limit('\1\2\3\4', 2), cmsgpack.unpack_limit('\1\2\3\4', 2, 2), cmsgpack.unpack_limit('\1\2\3\4', 10, 1)`},
	{"cmsgpack/unpack-limit-zero", `return cmsgpack.unpack_limit('\1\2\3', 0), cmsgpack.unpack_limit('\1\2\3', 0, 1)`},
	{"cmsgpack/unpack-limit-negative", `return cmsgpack.unpack_limit('\1\2\3', -1)`},
	{"cmsgpack/unpack-limit-missing", `return cmsgpack.unpack_limit('\1\2\3')`},
	{"cmsgpack/unpack-limit-bad-data", `return cmsgpack.unpack_limit('\193', 1)`},
	{"cmsgpack/roundtrip", `local v = {1, -2, 3.5, 'four', {five = 5, six = {6, 6.5}}, true, false, 2^40, -2^40}
return cmsgpack.unpack(cmsgpack.pack(v))`},
	{"cmsgpack/roundtrip-multi", `return cmsgpack.unpack(cmsgpack.pack('a', 1, {2}, false, 0.5))`},
	{"cmsgpack/roundtrip-binary", `local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end local s = table.concat(t) return cmsgpack.unpack(cmsgpack.pack(s)) == s`},
	{"cmsgpack/fields", `return cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION`},
	{"cmsgpack/field-count", `local n = 0 for k in pairs(cmsgpack) do n = n + 1 end return n`},
}

// boundaryCases pack the numbers around every power of two up to 2^65,
// both signs (where msgpack's and struct's encodings change width), with
// cmsgpack and with each struct integer code, and unpack them again.
func boundaryCases() []diffCase {
	const nums = `local nums = {}
for k = 0, 65 do
  for _, d in ipairs({-1, 0, 1, 0.5}) do
    nums[#nums + 1] = 2^k + d
    nums[#nums + 1] = -(2^k + d)
  end
end
`
	return []diffCase{
		{"cmsgpack/boundaries-pack", nums + `local out = {} for i, n in ipairs(nums) do out[i] = cmsgpack.pack(n) end return table.concat(out, '|')`},
		{"cmsgpack/boundaries-roundtrip", nums + `return {cmsgpack.unpack(cmsgpack.pack(unpack(nums)))}`},
		{"struct/boundaries-pack", nums + `local out = {}
for _, f in ipairs({'>b', '<B', '>h', '<H', '>i', '<I', '>l', '<L', '>T', '>i3', '<I5', '>i7', '<i8', '>I8'}) do
  for i, n in ipairs(nums) do out[#out + 1] = struct.pack(f, n) end
end
return table.concat(out, '|')`},
		{"struct/boundaries-roundtrip", nums + `local out = {}
for _, f in ipairs({'>b', '<B', '>h', '<H', '>i', '<I', '>l', '<L', '>i3', '<I5', '<i8', '>I8', '>f', '<d'}) do
  for i, n in ipairs(nums) do out[#out + 1] = struct.unpack(f, struct.pack(f, n)) end
end
return out`},
		{"bit/boundaries", nums + `local out = {}
for i, n in ipairs(nums) do out[i] = bit.tohex(n) .. bit.tobit(n) .. bit.arshift(n, 3) .. bit.rol(n, 7) end
return table.concat(out, ' ')`},
	}
}

func init() { cmsgpackCases = append(cmsgpackCases, boundaryCases()...) }
