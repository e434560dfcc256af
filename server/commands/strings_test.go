package commands

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

// newClients returns a RESP2 and a RESP3 go-redis client for addr.
func newClients(t *testing.T, addr string) map[string]*redis.Client {
	t.Helper()
	out := map[string]*redis.Client{}
	for _, proto := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DisableIdentity: true,
			MaxRetries: -1, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
		t.Cleanup(func() { _ = c.Close() })
		out["resp"+strconv.Itoa(proto)] = c
	}
	return out
}

// step is one command of a table test and what it must answer: want is the
// go-redis value (string, int64, nil for a null, []any, map[any]any ...),
// or err the exact error text.
type step struct {
	args []any
	want any
	err  string
}

// byProto is a want that differs between RESP2 and RESP3 (maps, doubles).
type byProto struct{ resp2, resp3 any }

// runSteps runs steps in order on c, on a fresh keyspace.
func runSteps(t *testing.T, ctx context.Context, c *redis.Client, proto string, steps []step) {
	t.Helper()
	for _, s := range steps {
		if bp, ok := s.want.(byProto); ok {
			s.want = bp.resp2
			if proto == "resp3" {
				s.want = bp.resp3
			}
		}
		v, err := c.Do(ctx, s.args...).Result()
		if s.err != "" {
			require.Error(t, err, "%v", s.args)
			require.Equal(t, s.err, err.Error(), "%v", s.args)
			continue
		}
		if errors.Is(err, redis.Nil) {
			require.Nil(t, s.want, "%v answered null", s.args)
			continue
		}
		require.NoError(t, err, "%v", s.args)
		require.Equal(t, s.want, v, "%v", s.args)
	}
}

// runTable runs each named case with both protocols on a fresh server.
func runTable(t *testing.T, cases map[string][]step) {
	addr := startDataServer(t)
	for proto, c := range newClients(t, addr) {
		for name, steps := range cases {
			t.Run(proto+"/"+name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				require.NoError(t, c.Do(ctx, "FLUSHALL").Err())
				runSteps(t, ctx, c, proto, steps)
			})
		}
	}
}

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func TestStringCommands(t *testing.T) {
	runTable(t, map[string][]step{
		"get set": {
			{args: []any{"GET", "k"}, want: nil},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"GET", "k"}, want: "v"},
			{args: []any{"SET", "k", ""}, want: "OK"},
			{args: []any{"GET", "k"}, want: ""},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"GET", "h"}, err: wrongType},
			{args: []any{"SET", "h", "s"}, want: "OK"}, // SET ignores the old type
			{args: []any{"GET", "h"}, want: "s"},
		},
		"set nx xx get": {
			{args: []any{"SET", "k", "1", "XX"}, want: nil},
			{args: []any{"SET", "k", "1", "nx"}, want: "OK"},
			{args: []any{"SET", "k", "2", "NX"}, want: nil},
			{args: []any{"SET", "k", "2", "xx", "GET"}, want: "1"},
			{args: []any{"SET", "k", "3", "NX", "GET"}, want: "2"},
			{args: []any{"GET", "k"}, want: "2"},
			{args: []any{"SET", "new", "1", "GET"}, want: nil},
			{args: []any{"SET", "k", "1", "NX", "XX"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "1", "EX"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "1", "EX", "1", "PX", "1"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "1", "KEEPTTL", "EX", "1"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "1", "PERSIST"}, err: resp.ErrSyntax},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"SET", "h", "x", "GET"}, err: wrongType},
			{args: []any{"TYPE", "h"}, want: "hash"},
		},
		"set expiry": {
			{args: []any{"SET", "k", "v", "EX", "100"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"SET", "k", "v", "KEEPTTL"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(-1)},
			{args: []any{"SET", "k", "v", "px", "100000"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"SET", "k", "v", "EXAT", "4000000000"}, want: "OK"},
			{args: []any{"EXPIRETIME", "k"}, want: int64(4000000000)},
			{args: []any{"SET", "k", "v", "PXAT", "4000000000123"}, want: "OK"},
			{args: []any{"PEXPIRETIME", "k"}, want: int64(4000000000123)},
			{args: []any{"SET", "k", "v", "PXAT", "1"}, want: "OK"}, // in the past: gone
			{args: []any{"EXISTS", "k"}, want: int64(0)},
			{args: []any{"SET", "k", "v", "EX", "0"}, err: "ERR invalid expire time in 'set' command"},
			{args: []any{"SET", "k", "v", "PX", "-5"}, err: "ERR invalid expire time in 'set' command"},
			{args: []any{"SET", "k", "v", "EX", "9223372036854775"}, err: "ERR invalid expire time in 'set' command"},
			{args: []any{"SET", "k", "v", "EXAT", "9223372036854776"}, err: "ERR invalid expire time in 'set' command"},
			{args: []any{"SET", "k", "v", "EX", "1.5"}, err: resp.ErrNotInteger},
			{args: []any{"SETEX", "k", "0", "v"}, err: "ERR invalid expire time in 'setex' command"},
			{args: []any{"PSETEX", "k", "-1", "v"}, err: "ERR invalid expire time in 'psetex' command"},
			{args: []any{"SETEX", "k", "x", "v"}, err: resp.ErrNotInteger},
			{args: []any{"SETEX", "k", "50", "v"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(50)},
			{args: []any{"PSETEX", "k", "50000", "w"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(50)},
			{args: []any{"GET", "k"}, want: "w"},
		},
		"set ifeq ifne": {
			{args: []any{"SET", "k", "v2", "IFEQ", "v1"}, want: nil}, // missing: not created
			{args: []any{"EXISTS", "k"}, want: int64(0)},
			{args: []any{"SET", "k", "v1", "IFNE", "zz"}, want: "OK"}, // missing: created
			{args: []any{"SET", "k", "v2", "IFEQ", "nope"}, want: nil},
			{args: []any{"SET", "k", "v2", "ifeq", "v1", "GET"}, want: "v1"},
			{args: []any{"SET", "k", "v3", "IFNE", "v2"}, want: nil},
			{args: []any{"SET", "k", "v3", "IFNE", "v1", "EX", "100"}, want: "OK"},
			{args: []any{"GET", "k"}, want: "v3"},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"SET", "k", "x", "IFEQ", "a", "NX"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "x", "XX", "IFNE", "a"}, err: resp.ErrSyntax},
			{args: []any{"SET", "k", "x", "IFEQ"}, err: resp.ErrSyntax},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"SET", "h", "x", "IFEQ", "v"}, err: wrongType},
		},
		"setnx getset getdel getex": {
			{args: []any{"SETNX", "k", "1"}, want: int64(1)},
			{args: []any{"SETNX", "k", "2"}, want: int64(0)},
			{args: []any{"GETSET", "k", "3"}, want: "1"},
			{args: []any{"GETSET", "n", "3"}, want: nil},
			{args: []any{"GETDEL", "k"}, want: "3"},
			{args: []any{"GETDEL", "k"}, want: nil},
			{args: []any{"GETEX", "k"}, want: nil},
			{args: []any{"GETEX", "k", "EX", "0"}, want: nil}, // missing key answers before the expiry is checked
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"GETEX", "k", "EX", "100"}, want: "v"},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"GETEX", "k", "PERSIST"}, want: "v"},
			{args: []any{"TTL", "k"}, want: int64(-1)},
			{args: []any{"GETEX", "k", "PXAT", "1"}, want: "v"},
			{args: []any{"EXISTS", "k"}, want: int64(0)},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"GETEX", "k", "EX", "0"}, err: "ERR invalid expire time in 'getex' command"},
			{args: []any{"GETEX", "k", "NX"}, err: resp.ErrSyntax},
			{args: []any{"GETEX", "k", "KEEPTTL"}, err: resp.ErrSyntax},
			{args: []any{"GETEX", "k", "PERSIST", "EX", "1"}, err: resp.ErrSyntax},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"GETEX", "h"}, err: wrongType},
			{args: []any{"GETDEL", "h"}, err: wrongType},
			{args: []any{"GETSET", "h", "x"}, err: wrongType},
		},
		"mget mset msetnx": {
			{args: []any{"MSET", "a", "1", "b", "2"}, want: "OK"},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"MGET", "a", "b", "c", "h"}, want: []any{"1", "2", nil, nil}},
			{args: []any{"MSET", "a", "1", "b"}, err: "ERR wrong number of arguments for 'mset' command"},
			{args: []any{"MSETNX", "a", "9", "z", "9"}, want: int64(0)},
			{args: []any{"EXISTS", "z"}, want: int64(0)},
			{args: []any{"MSETNX", "y", "9", "z", "9"}, want: int64(1)},
			{args: []any{"MGET", "y", "z"}, want: []any{"9", "9"}},
			{args: []any{"MSETNX", "q", "1", "r"}, err: "ERR wrong number of arguments for 'msetnx' command"},
		},
		"append strlen getrange setrange": {
			{args: []any{"APPEND", "k", "Hello"}, want: int64(5)},
			{args: []any{"APPEND", "k", " World"}, want: int64(11)},
			{args: []any{"STRLEN", "k"}, want: int64(11)},
			{args: []any{"STRLEN", "nokey"}, want: int64(0)},
			{args: []any{"GETRANGE", "k", "0", "3"}, want: "Hell"},
			{args: []any{"GETRANGE", "k", "-3", "-1"}, want: "rld"},
			{args: []any{"GETRANGE", "k", "0", "-1"}, want: "Hello World"},
			{args: []any{"GETRANGE", "k", "5", "3"}, want: ""},
			{args: []any{"GETRANGE", "k", "-1", "-5"}, want: ""},
			{args: []any{"GETRANGE", "k", "6", "1000"}, want: "World"},
			{args: []any{"GETRANGE", "nokey", "0", "-1"}, want: ""},
			{args: []any{"GETRANGE", "k", "a", "1"}, err: resp.ErrNotInteger},
			{args: []any{"SETRANGE", "k", "6", "Redis"}, want: int64(11)},
			{args: []any{"GET", "k"}, want: "Hello Redis"},
			{args: []any{"SETRANGE", "pad", "3", "x"}, want: int64(4)},
			{args: []any{"GET", "pad"}, want: "\x00\x00\x00x"},
			{args: []any{"SETRANGE", "empty", "5", ""}, want: int64(0)},
			{args: []any{"EXISTS", "empty"}, want: int64(0)},
			{args: []any{"SETRANGE", "k", "100", ""}, want: int64(11)},
			{args: []any{"SETRANGE", "k", "-1", "x"}, err: "ERR offset is out of range"},
			{args: []any{"SETRANGE", "k", "536870911", "xx"}, err: resp.ErrStringTooLong},
			{args: []any{"SETRANGE", "k", "x", "xx"}, err: resp.ErrNotInteger},
			{args: []any{"SET", "t", "v", "EX", "100"}, want: "OK"},
			{args: []any{"APPEND", "t", "w"}, want: int64(2)},
			{args: []any{"SETRANGE", "t", "0", "x"}, want: int64(2)},
			{args: []any{"TTL", "t"}, want: int64(100)},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"APPEND", "h", "x"}, err: wrongType},
			{args: []any{"STRLEN", "h"}, err: wrongType},
			{args: []any{"GETRANGE", "h", "0", "1"}, err: wrongType},
			{args: []any{"SETRANGE", "h", "0", "1"}, err: wrongType},
		},
		"incr decr": {
			{args: []any{"INCR", "n"}, want: int64(1)},
			{args: []any{"INCRBY", "n", "10"}, want: int64(11)},
			{args: []any{"DECR", "n"}, want: int64(10)},
			{args: []any{"DECRBY", "n", "-5"}, want: int64(15)},
			{args: []any{"DECRBY", "n", "20"}, want: int64(-5)},
			{args: []any{"SET", "n", "9223372036854775806"}, want: "OK"},
			{args: []any{"INCR", "n"}, want: int64(9223372036854775807)},
			{args: []any{"INCR", "n"}, err: resp.ErrOverflow},
			{args: []any{"SET", "n", "-9223372036854775808"}, want: "OK"},
			{args: []any{"DECR", "n"}, err: resp.ErrOverflow},
			{args: []any{"DECRBY", "n", "-9223372036854775808"}, err: "ERR decrement would overflow"},
			{args: []any{"INCRBY", "n", "1.5"}, err: resp.ErrNotInteger},
			{args: []any{"SET", "s", "12a"}, want: "OK"},
			{args: []any{"INCR", "s"}, err: resp.ErrNotInteger},
			{args: []any{"SET", "s", " 12"}, want: "OK"},
			{args: []any{"INCR", "s"}, err: resp.ErrNotInteger},
			{args: []any{"SET", "t", "5", "EX", "100"}, want: "OK"},
			{args: []any{"INCR", "t"}, want: int64(6)},
			{args: []any{"TTL", "t"}, want: int64(100)},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"INCR", "h"}, err: wrongType},
		},
		"incrbyfloat": {
			{args: []any{"SET", "f", "10.50"}, want: "OK"},
			{args: []any{"INCRBYFLOAT", "f", "0.1"}, want: "10.6"},
			{args: []any{"INCRBYFLOAT", "f", "-5"}, want: "5.6"},
			{args: []any{"SET", "f", "5.0e3"}, want: "OK"},
			{args: []any{"INCRBYFLOAT", "f", "2.0e2"}, want: "5200"},
			{args: []any{"INCRBYFLOAT", "g", "1.1"}, want: "1.1"},
			{args: []any{"INCRBYFLOAT", "g", "2.2"}, want: "3.3"},
			{args: []any{"INCRBYFLOAT", "g", "abc"}, err: resp.ErrNotFloat},
			{args: []any{"INCRBYFLOAT", "g", "inf"}, err: resp.ErrNaNOrInf},
			{args: []any{"SET", "s", "x"}, want: "OK"},
			{args: []any{"INCRBYFLOAT", "s", "1"}, err: resp.ErrNotFloat},
		},
		"delex delifeq": {
			{args: []any{"SET", "lock", "token"}, want: "OK"},
			{args: []any{"DELIFEQ", "lock", "other"}, want: int64(0)},
			{args: []any{"DELIFEQ", "lock", "token"}, want: int64(1)},
			{args: []any{"DELIFEQ", "lock", "token"}, want: int64(0)},
			{args: []any{"SET", "lock", "token"}, want: "OK"},
			{args: []any{"DELEX", "lock", "IFEQ", "other"}, want: int64(0)},
			{args: []any{"DELEX", "lock", "ifne", "token"}, want: int64(0)},
			{args: []any{"DELEX", "lock", "IFNE", "other"}, want: int64(1)},
			{args: []any{"SET", "lock", "token"}, want: "OK"},
			{args: []any{"DELEX", "lock", "IFEQ", "token"}, want: int64(1)},
			{args: []any{"DELEX", "lock", "IFEQ", "token"}, want: int64(0)},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"DELIFEQ", "h", "v"}, err: wrongType},
			{args: []any{"DELEX", "h", "IFEQ", "v"}, err: wrongType},
			{args: []any{"DELEX", "h"}, want: int64(1)},
			{args: []any{"DELEX", "h"}, want: int64(0)},
			{args: []any{"DELEX", "k", "IFEQ"}, err: resp.ErrSyntax},
			{args: []any{"DELEX", "k", "BOGUS", "v"}, err: resp.ErrSyntax},
		},
	})
}
