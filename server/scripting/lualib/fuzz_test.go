package lualib

import (
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// fuzzState is a state with only the libraries, and a registry that may
// grow as a scripting state's does.
func fuzzState() *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistrySize: 1024, RegistryMaxSize: 1 << 20})
	Open(L)
	return L
}

// callLib calls lib.fn(args...) and returns its results, or the error. A
// Go panic inside the library (gopher-lua turns it into ApiErrorPanic)
// fails the test: bad input must get a Lua error, nothing else.
func callLib(t *testing.T, L *lua.LState, lib, fn string, args ...lua.LValue) ([]lua.LValue, error) {
	t.Helper()
	top := L.GetTop()
	L.Push(L.GetField(L.GetGlobal(lib), fn))
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		var ae *lua.ApiError
		if !errors.As(err, &ae) || ae.Type != lua.ApiErrorRun {
			t.Fatalf("%s.%s: not a Lua error: %v", lib, fn, err)
		}
		L.SetTop(top)
		return nil, err
	}
	res := make([]lua.LValue, 0, L.GetTop()-top)
	for i := top + 1; i <= L.GetTop(); i++ {
		res = append(res, L.Get(i))
	}
	L.SetTop(top)
	return res, nil
}

var cjsonSeeds = []string{
	`[1,2,{"a":1}]`, `{"a":[1,{"b":null}],"c":"d\u00e9\ud83d\ude00"}`, `"\\"\\/\b\f\n\r\t"`,
	`-1.5e-3`, `0x1p4`, `[inf,-Infinity,nan(1),+1,007]`, `[1,]`, `{"a" 1}`, `"\ud800"`, `"\udc00"`,
	`"\u12`, "[1]\x00junk", "\x00[", strings.Repeat("[", 1200), strings.Repeat(`{"a":`, 1200),
	`[tru, fals, nul]`, `1e99999`, `-`, `""`, ``, `   `, `[[[[[]]]]]`, `{"":{"":{"":[]}}}`,
}

var msgpackSeeds = []string{
	"\x00\x7f\xcc\xff\xcd\x01\x00\xce\x00\x01\x00\x00\xcf\x00\x00\x00\x01\x00\x00\x00\x00",
	"\xff\xe0\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
	"\xca\x3f\xc0\x00\x00\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", "\xc0\xc2\xc3",
	"\xa0\xa3abc\xd9\x03xyz\xda\x00\x02hi\xdb\x00\x00\x00\x01!", "\x93\x01\x02\x03",
	"\xdc\x00\x02\x01\x02", "\xdd\xff\xff\xff\xff\x01", "\x82\xa1a\x01\xa1b\x92\x01\x02",
	"\x81\xc0\x01", "\x81\xca\x7f\xc0\x00\x00\x01", "\xc4\x01a", "\xd4\x01\x01", "\xc1",
	"\xdb\xff\xff\xff\xff", "\xdf\xff\xff\xff\xff", strings.Repeat("\x91", 5000) + "\x01",
	strings.Repeat("\x81\x01", 5000), strings.Repeat("\x01", 9000), "",
}

// FuzzCJSONDecode: cjson.decode of any bytes is a value or a Lua error,
// never a panic; a decoded value that encodes decodes again.
func FuzzCJSONDecode(f *testing.F) {
	for _, s := range cjsonSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		L := fuzzState()
		defer L.Close()
		res, err := callLib(t, L, "cjson", "decode", lua.LString(data))
		if err != nil {
			return
		}
		enc, err := callLib(t, L, "cjson", "encode", res[0])
		if err != nil {
			return // NaN, Inf, or a sparse array: refused, as Redis refuses them
		}
		if _, err := callLib(t, L, "cjson", "decode", enc[0]); err != nil {
			t.Fatalf("decode(%q) encoded to %q, which does not decode: %v", data, enc[0], err)
		}
	})
}

// FuzzCMsgpackUnpack: cmsgpack.unpack and unpack_one of any bytes are
// values or a Lua error, never a panic; what unpacks packs, and that
// unpacks to as many values.
func FuzzCMsgpackUnpack(f *testing.F) {
	for _, s := range msgpackSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		L := fuzzState()
		defer L.Close()
		if _, err := callLib(t, L, "cmsgpack", "unpack_one", lua.LString(data), lua.LNumber(0)); err != nil {
			return
		}
		res, err := callLib(t, L, "cmsgpack", "unpack", lua.LString(data))
		if err != nil || len(res) == 0 || len(res) > 1000 {
			return
		}
		packed, err := callLib(t, L, "cmsgpack", "pack", res...)
		if err != nil {
			t.Fatalf("unpack(%q) gave values pack refuses: %v", data, err)
		}
		again, err := callLib(t, L, "cmsgpack", "unpack", packed[0])
		if err != nil || len(again) != len(res) {
			t.Fatalf("unpack(%q) packed to %q, which unpacks to %d values (%v)", data, packed[0], len(again), err)
		}
	})
}
