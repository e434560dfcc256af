package commands

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/tests/testenv"
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

// runTable runs each named case with both protocols on a fresh server.
func runTable(t *testing.T, cases map[string][]testenv.Step) {
	addr := startDataServer(t)
	for proto, c := range newClients(t, addr) {
		for name, steps := range cases {
			t.Run(proto+"/"+name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				require.NoError(t, c.Do(ctx, "FLUSHALL").Err())
				testenv.RunSteps(t, ctx, c, proto, steps)
			})
		}
	}
}

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func TestStringCommands(t *testing.T) {
	runTable(t, map[string][]testenv.Step{
		"get set": {
			{Args: []any{"GET", "k"}, Want: nil},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"GET", "k"}, Want: "v"},
			{Args: []any{"SET", "k", ""}, Want: "OK"},
			{Args: []any{"GET", "k"}, Want: ""},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"GET", "h"}, Err: wrongType},
			{Args: []any{"SET", "h", "s"}, Want: "OK"}, // SET ignores the old type
			{Args: []any{"GET", "h"}, Want: "s"},
		},
		"set nx xx get": {
			{Args: []any{"SET", "k", "1", "XX"}, Want: nil},
			{Args: []any{"SET", "k", "1", "nx"}, Want: "OK"},
			{Args: []any{"SET", "k", "2", "NX"}, Want: nil},
			{Args: []any{"SET", "k", "2", "xx", "GET"}, Want: "1"},
			{Args: []any{"SET", "k", "3", "NX", "GET"}, Want: "2"},
			{Args: []any{"GET", "k"}, Want: "2"},
			{Args: []any{"SET", "new", "1", "GET"}, Want: nil},
			{Args: []any{"SET", "k", "1", "NX", "XX"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "1", "EX"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "1", "EX", "1", "PX", "1"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "1", "KEEPTTL", "EX", "1"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "1", "PERSIST"}, Err: resp.ErrSyntax},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"SET", "h", "x", "GET"}, Err: wrongType},
			{Args: []any{"TYPE", "h"}, Want: "hash"},
		},
		"set expiry": {
			{Args: []any{"SET", "k", "v", "EX", "100"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"SET", "k", "v", "KEEPTTL"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(-1)},
			{Args: []any{"SET", "k", "v", "px", "100000"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"SET", "k", "v", "EXAT", "4000000000"}, Want: "OK"},
			{Args: []any{"EXPIRETIME", "k"}, Want: int64(4000000000)},
			{Args: []any{"SET", "k", "v", "PXAT", "4000000000123"}, Want: "OK"},
			{Args: []any{"PEXPIRETIME", "k"}, Want: int64(4000000000123)},
			{Args: []any{"SET", "k", "v", "PXAT", "1"}, Want: "OK"}, // in the past: gone
			{Args: []any{"EXISTS", "k"}, Want: int64(0)},
			{Args: []any{"SET", "k", "v", "EX", "0"}, Err: "ERR invalid expire time in 'set' command"},
			{Args: []any{"SET", "k", "v", "PX", "-5"}, Err: "ERR invalid expire time in 'set' command"},
			{Args: []any{"SET", "k", "v", "EX", "9223372036854775"}, Err: "ERR invalid expire time in 'set' command"},
			{Args: []any{"SET", "k", "v", "EXAT", "9223372036854776"}, Err: "ERR invalid expire time in 'set' command"},
			{Args: []any{"SET", "k", "v", "EX", "1.5"}, Err: resp.ErrNotInteger},
			{Args: []any{"SETEX", "k", "0", "v"}, Err: "ERR invalid expire time in 'setex' command"},
			{Args: []any{"PSETEX", "k", "-1", "v"}, Err: "ERR invalid expire time in 'psetex' command"},
			{Args: []any{"SETEX", "k", "x", "v"}, Err: resp.ErrNotInteger},
			{Args: []any{"SETEX", "k", "50", "v"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(50)},
			{Args: []any{"PSETEX", "k", "50000", "w"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(50)},
			{Args: []any{"GET", "k"}, Want: "w"},
		},
		"set ifeq ifne": {
			{Args: []any{"SET", "k", "v2", "IFEQ", "v1"}, Want: nil}, // missing: not created
			{Args: []any{"EXISTS", "k"}, Want: int64(0)},
			{Args: []any{"SET", "k", "v1", "IFNE", "zz"}, Want: "OK"}, // missing: created
			{Args: []any{"SET", "k", "v2", "IFEQ", "nope"}, Want: nil},
			{Args: []any{"SET", "k", "v2", "ifeq", "v1", "GET"}, Want: "v1"},
			{Args: []any{"SET", "k", "v3", "IFNE", "v2"}, Want: nil},
			{Args: []any{"SET", "k", "v3", "IFNE", "v1", "EX", "100"}, Want: "OK"},
			{Args: []any{"GET", "k"}, Want: "v3"},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"SET", "k", "x", "IFEQ", "a", "NX"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "x", "XX", "IFNE", "a"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "k", "x", "IFEQ"}, Err: resp.ErrSyntax},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"SET", "h", "x", "IFEQ", "v"}, Err: wrongType},
		},
		"setnx getset getdel getex": {
			{Args: []any{"SETNX", "k", "1"}, Want: int64(1)},
			{Args: []any{"SETNX", "k", "2"}, Want: int64(0)},
			{Args: []any{"GETSET", "k", "3"}, Want: "1"},
			{Args: []any{"GETSET", "n", "3"}, Want: nil},
			{Args: []any{"GETDEL", "k"}, Want: "3"},
			{Args: []any{"GETDEL", "k"}, Want: nil},
			{Args: []any{"GETEX", "k"}, Want: nil},
			{Args: []any{"GETEX", "k", "EX", "0"}, Want: nil}, // missing key answers before the expiry is checked
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"GETEX", "k", "EX", "100"}, Want: "v"},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"GETEX", "k", "PERSIST"}, Want: "v"},
			{Args: []any{"TTL", "k"}, Want: int64(-1)},
			{Args: []any{"GETEX", "k", "PXAT", "1"}, Want: "v"},
			{Args: []any{"EXISTS", "k"}, Want: int64(0)},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"GETEX", "k", "EX", "0"}, Err: "ERR invalid expire time in 'getex' command"},
			{Args: []any{"GETEX", "k", "NX"}, Err: resp.ErrSyntax},
			{Args: []any{"GETEX", "k", "KEEPTTL"}, Err: resp.ErrSyntax},
			{Args: []any{"GETEX", "k", "PERSIST", "EX", "1"}, Err: resp.ErrSyntax},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"GETEX", "h"}, Err: wrongType},
			{Args: []any{"GETDEL", "h"}, Err: wrongType},
			{Args: []any{"GETSET", "h", "x"}, Err: wrongType},
		},
		"mget mset msetnx": {
			{Args: []any{"MSET", "a", "1", "b", "2"}, Want: "OK"},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"MGET", "a", "b", "c", "h"}, Want: []any{"1", "2", nil, nil}},
			{Args: []any{"MSET", "a", "1", "b"}, Err: "ERR wrong number of arguments for 'mset' command"},
			{Args: []any{"MSETNX", "a", "9", "z", "9"}, Want: int64(0)},
			{Args: []any{"EXISTS", "z"}, Want: int64(0)},
			{Args: []any{"MSETNX", "y", "9", "z", "9"}, Want: int64(1)},
			{Args: []any{"MGET", "y", "z"}, Want: []any{"9", "9"}},
			{Args: []any{"MSETNX", "q", "1", "r"}, Err: "ERR wrong number of arguments for 'msetnx' command"},
		},
		"append strlen getrange setrange": {
			{Args: []any{"APPEND", "k", "Hello"}, Want: int64(5)},
			{Args: []any{"APPEND", "k", " World"}, Want: int64(11)},
			{Args: []any{"STRLEN", "k"}, Want: int64(11)},
			{Args: []any{"STRLEN", "nokey"}, Want: int64(0)},
			{Args: []any{"GETRANGE", "k", "0", "3"}, Want: "Hell"},
			{Args: []any{"GETRANGE", "k", "-3", "-1"}, Want: "rld"},
			{Args: []any{"GETRANGE", "k", "0", "-1"}, Want: "Hello World"},
			{Args: []any{"GETRANGE", "k", "5", "3"}, Want: ""},
			{Args: []any{"GETRANGE", "k", "-1", "-5"}, Want: ""},
			{Args: []any{"GETRANGE", "k", "6", "1000"}, Want: "World"},
			{Args: []any{"GETRANGE", "nokey", "0", "-1"}, Want: ""},
			{Args: []any{"GETRANGE", "k", "a", "1"}, Err: resp.ErrNotInteger},
			{Args: []any{"SETRANGE", "k", "6", "Redis"}, Want: int64(11)},
			{Args: []any{"GET", "k"}, Want: "Hello Redis"},
			{Args: []any{"SETRANGE", "pad", "3", "x"}, Want: int64(4)},
			{Args: []any{"GET", "pad"}, Want: "\x00\x00\x00x"},
			{Args: []any{"SETRANGE", "empty", "5", ""}, Want: int64(0)},
			{Args: []any{"EXISTS", "empty"}, Want: int64(0)},
			{Args: []any{"SETRANGE", "k", "100", ""}, Want: int64(11)},
			{Args: []any{"SETRANGE", "k", "-1", "x"}, Err: "ERR offset is out of range"},
			{Args: []any{"SETRANGE", "k", "536870911", "xx"}, Err: resp.ErrStringTooLong},
			{Args: []any{"SETRANGE", "k", "x", "xx"}, Err: resp.ErrNotInteger},
			{Args: []any{"SET", "t", "v", "EX", "100"}, Want: "OK"},
			{Args: []any{"APPEND", "t", "w"}, Want: int64(2)},
			{Args: []any{"SETRANGE", "t", "0", "x"}, Want: int64(2)},
			{Args: []any{"TTL", "t"}, Want: int64(100)},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"APPEND", "h", "x"}, Err: wrongType},
			{Args: []any{"STRLEN", "h"}, Err: wrongType},
			{Args: []any{"GETRANGE", "h", "0", "1"}, Err: wrongType},
			{Args: []any{"SETRANGE", "h", "0", "1"}, Err: wrongType},
		},
		"incr decr": {
			{Args: []any{"INCR", "n"}, Want: int64(1)},
			{Args: []any{"INCRBY", "n", "10"}, Want: int64(11)},
			{Args: []any{"DECR", "n"}, Want: int64(10)},
			{Args: []any{"DECRBY", "n", "-5"}, Want: int64(15)},
			{Args: []any{"DECRBY", "n", "20"}, Want: int64(-5)},
			{Args: []any{"SET", "n", "9223372036854775806"}, Want: "OK"},
			{Args: []any{"INCR", "n"}, Want: int64(9223372036854775807)},
			{Args: []any{"INCR", "n"}, Err: resp.ErrOverflow},
			{Args: []any{"SET", "n", "-9223372036854775808"}, Want: "OK"},
			{Args: []any{"DECR", "n"}, Err: resp.ErrOverflow},
			{Args: []any{"DECRBY", "n", "-9223372036854775808"}, Err: "ERR decrement would overflow"},
			{Args: []any{"INCRBY", "n", "1.5"}, Err: resp.ErrNotInteger},
			{Args: []any{"SET", "s", "12a"}, Want: "OK"},
			{Args: []any{"INCR", "s"}, Err: resp.ErrNotInteger},
			{Args: []any{"SET", "s", " 12"}, Want: "OK"},
			{Args: []any{"INCR", "s"}, Err: resp.ErrNotInteger},
			{Args: []any{"SET", "t", "5", "EX", "100"}, Want: "OK"},
			{Args: []any{"INCR", "t"}, Want: int64(6)},
			{Args: []any{"TTL", "t"}, Want: int64(100)},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"INCR", "h"}, Err: wrongType},
		},
		"incrbyfloat": {
			{Args: []any{"SET", "f", "10.50"}, Want: "OK"},
			{Args: []any{"INCRBYFLOAT", "f", "0.1"}, Want: "10.6"},
			{Args: []any{"INCRBYFLOAT", "f", "-5"}, Want: "5.6"},
			{Args: []any{"SET", "f", "5.0e3"}, Want: "OK"},
			{Args: []any{"INCRBYFLOAT", "f", "2.0e2"}, Want: "5200"},
			{Args: []any{"INCRBYFLOAT", "g", "1.1"}, Want: "1.1"},
			{Args: []any{"INCRBYFLOAT", "g", "2.2"}, Want: "3.3"},
			{Args: []any{"INCRBYFLOAT", "g", "abc"}, Err: resp.ErrNotFloat},
			{Args: []any{"INCRBYFLOAT", "g", "inf"}, Err: resp.ErrNaNOrInf},
			{Args: []any{"SET", "s", "x"}, Want: "OK"},
			{Args: []any{"INCRBYFLOAT", "s", "1"}, Err: resp.ErrNotFloat},
		},
		"delex delifeq": {
			{Args: []any{"SET", "lock", "token"}, Want: "OK"},
			{Args: []any{"DELIFEQ", "lock", "other"}, Want: int64(0)},
			{Args: []any{"DELIFEQ", "lock", "token"}, Want: int64(1)},
			{Args: []any{"DELIFEQ", "lock", "token"}, Want: int64(0)},
			{Args: []any{"SET", "lock", "token"}, Want: "OK"},
			{Args: []any{"DELEX", "lock", "IFEQ", "other"}, Want: int64(0)},
			{Args: []any{"DELEX", "lock", "ifne", "token"}, Want: int64(0)},
			{Args: []any{"DELEX", "lock", "IFNE", "other"}, Want: int64(1)},
			{Args: []any{"SET", "lock", "token"}, Want: "OK"},
			{Args: []any{"DELEX", "lock", "IFEQ", "token"}, Want: int64(1)},
			{Args: []any{"DELEX", "lock", "IFEQ", "token"}, Want: int64(0)},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"DELIFEQ", "h", "v"}, Err: wrongType},
			{Args: []any{"DELEX", "h", "IFEQ", "v"}, Err: wrongType},
			{Args: []any{"DELEX", "h"}, Want: int64(1)},
			{Args: []any{"DELEX", "h"}, Want: int64(0)},
			{Args: []any{"DELEX", "k", "IFEQ"}, Err: resp.ErrSyntax},
			{Args: []any{"DELEX", "k", "BOGUS", "v"}, Err: resp.ErrSyntax},
		},
	})
}
