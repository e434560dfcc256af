package lualib

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
	lua "github.com/yuin/gopher-lua"
)

// diffCase is one Lua snippet (a function body; its return values are
// compared) run in a gopher-lua state with Open and in redis-server by EVAL.
type diffCase struct {
	name string
	lua  string
}

// diffPrelude turns the snippet's results into one string the same way on
// both sides: pcall's status and values in order (nil counted), numbers
// exactly (integers in decimal, others as mantissa and exponent of two),
// strings with their length, tables with their entries sorted bytewise so
// that iteration order does not count.
const diffPrelude = `
local function less(a, b)
  local n = #a
  if #b < n then n = #b end
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function num(x)
  if x ~= x then return 'nan' end
  if x == 1/0 then return 'inf' end
  if x == -1/0 then return '-inf' end
  if x == 0 then
    if 1/x < 0 then return '-0' end
    return '0'
  end
  if x == math.floor(x) and x > -2^53 and x < 2^53 then return string.format('%.0f', x) end
  local m, e = math.frexp(x)
  return string.format('%.0f', m * 2^53) .. 'p' .. (e - 53)
end
local ser
ser = function(v, depth)
  local t = type(v)
  if t == 'string' then return 's' .. #v .. ':' .. v end
  if t == 'number' then return 'n' .. num(v) end
  if t == 'boolean' then return tostring(v) end
  if t == 'nil' then return 'nil' end
  if t == 'table' then
    if depth > 40 then return '{...}' end
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = ser(k, depth + 1) .. '=' .. ser(x, depth + 1) end
    table.sort(parts, less)
    return '{' .. table.concat(parts, ',') .. '}'
  end
  if v == cjson.null then return 'cjson.null' end
  return t
end
local function collect(...)
  local n = select('#', ...)
  local r = {...}
  local out = {}
  for i = 1, n do out[i] = ser(r[i], 0) end
  return table.concat(out, ' | ')
end
return collect(pcall(function()
`

const diffEpilogue = "\nend))"

// diffScript is the whole script of one case.
func diffScript(snippet string) string { return diffPrelude + snippet + diffEpilogue }

// runGopher runs a case's script in a fresh state opened as the scripting
// package opens one: base, table, string and math, then Open.
func runGopher(t *testing.T, script string) string {
	t.Helper()
	// The registry (gopher-lua's value stack) must be able to grow past
	// Lua 5.1's 8000-slot C stack limit, or results Redis returns (8000
	// values from cmsgpack.unpack) end in "registry overflow" instead.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistrySize: 1024, RegistryMaxSize: 1 << 20})
	defer L.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	Open(L)
	fn, err := L.Load(strings.NewReader(script), "@user_script")
	if err != nil {
		return "compile error: " + err.Error()
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		return "script error: " + err.Error()
	}
	return L.Get(-1).String()
}

// allCases gathers the per-library tables.
func allCases() [][]diffCase {
	return [][]diffCase{bitCases, structCases, cjsonCases, cmsgpackCases}
}

func TestDifferentialWithRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	srv := testenv.StartOneRedis(t)
	c := srv.Client(2)
	ctx := context.Background()
	total := 0
	seen := map[string]bool{}
	for _, cases := range allCases() {
		for _, tc := range cases {
			total++
			if seen[tc.name] {
				t.Fatalf("duplicate case name %q", tc.name)
			}
			seen[tc.name] = true
			t.Run(tc.name, func(t *testing.T) {
				// A fresh Lua state per case on both sides: SCRIPT FLUSH
				// makes redis-server recreate its interpreter, so settings
				// such as cjson.encode_max_depth do not leak between cases.
				if err := c.Do(ctx, "SCRIPT", "FLUSH", "SYNC").Err(); err != nil {
					t.Fatalf("SCRIPT FLUSH: %v", err)
				}
				script := diffScript(tc.lua)
				want, err := c.Eval(ctx, script, nil).Text()
				if err != nil {
					t.Fatalf("redis EVAL: %v", err)
				}
				got := runGopher(t, script)
				if got != want {
					t.Errorf("%s\n got: %q\nwant: %q", tc.lua, got, want)
				}
			})
		}
	}
	t.Logf("%d cases", total)
}

// TestDiffCasesCount keeps the table at the size the brief asks for, and
// each case's script well formed.
func TestDiffCasesCount(t *testing.T) {
	n := 0
	for _, cases := range allCases() {
		for _, tc := range cases {
			n++
			if strings.TrimSpace(tc.lua) == "" {
				t.Errorf("case %s is empty", tc.name)
			}
		}
	}
	if n < 150 {
		t.Errorf("%d differential cases, want at least 150", n)
	}
}
