package rdb

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisDumps are payloads redis-server 7.0.15 wrote (DUMP), with the value
// each holds.
var redisDumps = []struct {
	name    string
	payload string
	want    Value
	exact   bool // meshcache writes the same bytes
}{
	{"int string", "\x00\xc190\n\x00\x9d\x94\xea'\x93\xfc\b\xb9", Value{Kind: KindString, Str: []byte("12345")}, true},
	{"string", "\x00\x05hello\n\x00cr\xdfve4 \n", Value{Kind: KindString, Str: []byte("hello")}, true},
	{"list", "\x12\x01\x02\x1c\x1c\x00\x00\x00\x06\x00\x81a\x02\x01\x01\xdf\xfb\x02\xc1,\x02\xf2p\x11\x01\x04\x83abc\x04\xff\n\x00h\rvF\xfaL\xfeC",
		Value{Kind: KindList, Elems: bs("a", "1", "-5", "300", "70000", "abc")}, true},
	{"intset", "\x0b\x14\x04\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00p\x11\x01\x00\n\x00I\x93@\xedT\xefJ\xfa",
		Value{Kind: KindSet, Elems: bs("1", "3", "70000")}, true},
	{"set", "\x02\x01\x01a\n\x00b\x96\xe9~D\xd2\x1am", Value{Kind: KindSet, Elems: bs("a")}, true},
	{"zset listpack, LZF", "\x11\xc3$-\x0e-\x00\x00\x00\x06\x00\x81c\x02\x94-0.10\xe0\x05\x00\x0f1\x15\x81a\x02\x831.5\x04\x81b\x02\x02\x01\xff\n\x00\xbbF<\x9eJb\xf3O",
		Value{Kind: KindZSet, Elems: bs("c", "a", "b"), Scores: []float64{-0.1, 1.5, 2}}, true},
	{"hash", "\x10\x12\x12\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x81n\x02\x0c\x01\xff\n\x00\x016\x94\x81\xd3[\x89t",
		Value{Kind: KindHash, Elems: bs("f", "v", "n", "12")}, true},
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestLoadRedisDumps(t *testing.T) {
	for _, c := range redisDumps {
		v, err := Load([]byte(c.payload))
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, v, c.name)
		if c.exact {
			assert.Equal(t, c.payload, string(Dump(c.want)), c.name)
		}
	}
}

// TestRoundTrip: every kind and every encoding choice (small and large,
// integers of each width) reads back as written.
func TestRoundTrip(t *testing.T) {
	many := func(n int, f func(i int) string) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte(f(i))
		}
		return out
	}
	ints := []string{"0", "127", "128", "-1", "-4096", "4095", "4096", "-32768", "32768", "8388607", "-8388609", "2147483647", "2147483648", "-9223372036854775808", "9223372036854775807", "007", "-0", "+1"}
	long := string(bytes.Repeat([]byte("x"), 5000))
	vals := []Value{
		{Kind: KindString, Str: []byte{}},
		{Kind: KindString, Str: []byte(long)},
		{Kind: KindString, Str: []byte("-2147483648")},
		{Kind: KindString, Str: []byte("2147483648")},
		{Kind: KindList, Elems: append(bs(ints...), []byte(long), []byte(long[:100]))},
		{Kind: KindList, Elems: many(3000, func(i int) string { return "element-" + strconv.Itoa(i) })},
		{Kind: KindSet, Elems: bs("1", "-70000", "9223372036854775807")},
		{Kind: KindSet, Elems: many(600, strconv.Itoa)},
		{Kind: KindSet, Elems: bs("a", "b", long)},
		{Kind: KindZSet, Elems: bs("a", "b", "c", "d", "e"), Scores: []float64{math.Inf(-1), -0.1, 0, 1e300, math.Inf(1)}},
		{Kind: KindZSet, Elems: many(200, strconv.Itoa), Scores: make([]float64, 200)},
		{Kind: KindHash, Elems: bs("f", "1", "g", long)},
		{Kind: KindHash, Elems: many(400, func(i int) string { return "fv" + strconv.Itoa(i) })},
	}
	for i, v := range vals {
		got, err := Load(Dump(v))
		require.NoError(t, err, i)
		if v.Kind == KindSet {
			assert.ElementsMatch(t, v.Elems, got.Elems, i)
			continue
		}
		if v.Kind == KindZSet && len(v.Elems) > maxListpackEntries {
			for j := range got.Elems { // written from the tail
				assert.Equal(t, v.Elems[len(v.Elems)-1-j], got.Elems[j])
			}
			continue
		}
		assert.Equal(t, v, got, i)
	}
}

func TestLoadRefuses(t *testing.T) {
	good := Dump(Value{Kind: KindHash, Elems: bs("f", "v")})
	bad := bytes.Clone(good)
	bad[3] ^= 1
	_, err := Load(bad)
	assert.ErrorIs(t, err, ErrPayload)
	for name, data := range map[string][]byte{
		"empty set":     {typeSet, 0},
		"dup set":       append([]byte{typeSet, 2}, append(AppendString(nil, []byte("a")), AppendString(nil, []byte("a"))...)...),
		"huge count":    {typeList, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 'a'},
		"unknown type":  {15, 0},
		"bad listpack":  append([]byte{typeHashListpack}, AppendString(nil, []byte("\x07\x00\x00\x00\x00\x00\xfe"))...),
		"odd hash":      append([]byte{typeHashListpack}, AppendString(nil, Listpack(bs("f")))...),
		"intset order":  append([]byte{typeSetIntset}, AppendString(nil, []byte("\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00"))...),
		"nan score":     append([]byte{typeZSet}, append(AppendString([]byte{1}, []byte("m")), 253)...),
		"truncated str": {typeString, 5, 'a'},
	} {
		_, err := Load(PayloadVersion(data, DumpVersion))
		assert.ErrorIs(t, err, ErrFormat, name)
	}
	_, err = Load(PayloadVersion([]byte{typeString, 0}, Version+1))
	assert.ErrorIs(t, err, ErrPayload)
}

// FuzzLoad: any payload is read or refused, never a panic; what is read
// writes and reads back the same.
func FuzzLoad(f *testing.F) {
	for _, c := range redisDumps {
		f.Add([]byte(c.payload))
	}
	f.Add(Dump(Value{Kind: KindZSet, Elems: bs("a", "b"), Scores: []float64{1, 2}}))
	f.Add(Dump(Value{Kind: KindSet, Elems: bs("a", "b")}))
	f.Add(Dump(Value{Kind: KindList, Elems: bs("a", "1")}))
	for _, zl := range []string{ // ziplist encodings (Redis 6 and older)
		"\x0C\x18\x18\x00\x00\x00\x12\x00\x00\x00\x04\x00\x00\x01a\x03\xf2\x02\x01b\x03\x032.5\xff",
		"\x0A\x15\x15\x00\x00\x00\x11\x00\x00\x00\x03\x00\x00\x01x\x03\xc0\xe8\x03\x04\xfe\xff\xff",
		"\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x04\x02\x62\x00\xFF",
	} {
		f.Add(PayloadVersion([]byte(zl), 9))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) >= 10 { // fix the checksum so the decoder is exercised
			binary := p[:len(p)-8]
			p = PayloadVersion(binary[:len(binary)-2], DumpVersion)
		}
		v, err := Load(p)
		if err != nil {
			return
		}
		again, err := Load(Dump(v))
		if err != nil {
			t.Fatalf("re-reading %v: %v", v, err)
		}
		if v.Kind != KindSet && v.Kind != KindZSet && !equalValue(v, again) {
			t.Fatalf("round trip changed %v to %v", v, again)
		}
	})
}

func equalValue(a, b Value) bool {
	if a.Kind != b.Kind || !bytes.Equal(a.Str, b.Str) || len(a.Elems) != len(b.Elems) {
		return false
	}
	for i := range a.Elems {
		if !bytes.Equal(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}

// BenchmarkDumpHash is DUMP's encoding of a 100-field hash (one listpack,
// LZF-compressed).
func BenchmarkDumpHash(b *testing.B) {
	var v Value
	v.Kind = KindHash
	for i := range 100 {
		v.Elems = append(v.Elems, []byte("f"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		Dump(v)
	}
}
