package clientinfo

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func TestFlags(t *testing.T) {
	assert.Equal(t, "N", Flags{}.String())
	assert.Equal(t, "OPxbtRBdcreT", Flags{true, true, true, true, true, true, true, true, true, true, true, true}.String())
	assert.Equal(t, "Pb", Flags{PubSub: true, Blocked: true}.String())
}

func TestAppendOrder(t *testing.T) {
	i := Info{ID: 7, Addr: "a:1", LAddr: "b:2", FD: 9, Multi: -1, Readable: true, OMem: 3, Cmd: "client|list",
		User: "default", Redir: -1, RESP: 3, LibName: "x", QBuf: 26, QBufFree: 16358, ArgvMem: 10}
	i.Derive(100)
	assert.Equal(t, "id=7 addr=a:1 laddr=b:2 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 "+
		"qbuf=26 qbuf-free=16358 argv-mem=10 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=3 tot-mem=16497 events=rw "+
		"cmd=client|list user=default redir=-1 resp=3 lib-name=x lib-ver=", string(i.Append(nil)))
	i = Info{}
	assert.Contains(t, string(i.Append(nil)), " events= cmd=NULL ")
	assert.Equal(t, int64(len("*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n")), RequestSize(args("CLIENT INFO")))
}

func TestParseFilter(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{"", ""}, {"type normal", ""}, {"TYPE Replica", ""}, {"type bogus", "ERR Unknown client type 'bogus'"},
		{"type", "ERR syntax error"}, {"type normal id 1", "ERR syntax error"}, {"id", "ERR syntax error"},
		{"id x", "ERR Invalid client ID"}, {"id 1 -2 3", ""}, {"foo", "ERR syntax error"},
	} {
		_, err := ParseFilter(args(c.in))
		assert.Equal(t, c.err, err, c.in)
	}
	f, _ := ParseFilter(args("id 3 1 3 0 9"))
	all := []uint64{1, 2, 3}
	id := func(x uint64) uint64 { return x }
	typ := func(x uint64) Type { return Type(x % 2) }
	assert.Equal(t, []uint64{3, 1, 3}, Chosen(f, all, id, typ), "in the order given, repeats included")
	f, _ = ParseFilter(args("type pubsub"))
	assert.Equal(t, []uint64{1, 3}, Chosen(f, all, id, typ))
	f, _ = ParseFilter(nil)
	assert.Equal(t, all, Chosen(f, all, id, typ))
}

func TestParseKill(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{"1.2.3.4:5", ""}, {"id 0", "ERR client-id should be greater than 0"}, {"id 5", ""}, {"addr a:1 id", "ERR syntax error"},
		{"user bob", "ERR No such user 'bob'"}, {"user default skipme no", ""}, {"skipme maybe", "ERR syntax error"},
		{"type bogus", "ERR Unknown client type 'bogus'"}, {"maxage x", "ERR value is not an integer or out of range"},
		{"bogus 1", "ERR syntax error"},
	} {
		_, err := ParseKill(args(c.in))
		assert.Equal(t, c.err, err, c.in)
	}
	f, _ := ParseKill(args("type pubsub"))
	assert.True(t, f.Match(1, "a", "b", PubSub, false))
	assert.False(t, f.Match(1, "a", "b", Normal, false))
	assert.False(t, f.Match(1, "a", "b", PubSub, true), "SKIPME yes by default")
	f, _ = ParseKill(args("a:1"))
	assert.True(t, f.Legacy)
	assert.True(t, f.Match(1, "a:1", "b", Normal, true), "the old form kills the sender too")
}

func TestParseSmall(t *testing.T) {
	_, _, err := ParseUnblock([]byte("UNBLOCK"), args("1 2 3"))
	assert.Equal(t, "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.", err)
	id, withErr, err := ParseUnblock(nil, args("5 ERROR"))
	assert.Equal(t, []any{int64(5), true, ""}, []any{id, withErr, err})
	_, _, err = ParseUnblock(nil, args("5 later"))
	assert.Equal(t, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", err)
	lib, err := ParseSetInfo([]byte("LIB-NAME"), []byte("go-redis"))
	assert.Equal(t, []any{true, ""}, []any{lib, err})
	_, err = ParseSetInfo([]byte("lib-ver"), []byte("1 2"))
	assert.Equal(t, "ERR lib-ver cannot contain spaces, newlines or special characters.", err)
	on, err := ParseOnOff([]byte("OFF"))
	assert.Equal(t, []any{false, ""}, []any{on, err})
	assert.False(t, ValidName([]byte("a b")))
}
