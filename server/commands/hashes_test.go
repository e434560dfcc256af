package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/tests/testenv"
)

func TestHashCommands(t *testing.T) {
	runTable(t, map[string][]testenv.Step{
		"hset hget hmget hdel": {
			{Args: []any{"HSET", "h", "a", "1", "b", "2"}, Want: int64(2)},
			{Args: []any{"HSET", "h", "a", "10", "c", "3"}, Want: int64(1)},
			{Args: []any{"HGET", "h", "a"}, Want: "10"},
			{Args: []any{"HGET", "h", "zz"}, Want: nil},
			{Args: []any{"HGET", "nokey", "a"}, Want: nil},
			{Args: []any{"HMGET", "h", "a", "zz", "c"}, Want: []any{"10", nil, "3"}},
			{Args: []any{"HMGET", "nokey", "a", "b"}, Want: []any{nil, nil}},
			{Args: []any{"HMSET", "h", "d", "4"}, Want: "OK"},
			{Args: []any{"HLEN", "h"}, Want: int64(4)},
			{Args: []any{"HLEN", "nokey"}, Want: int64(0)},
			{Args: []any{"HSET", "h", "a", "1", "b"}, Err: "ERR wrong number of arguments for 'hset' command"},
			{Args: []any{"HMSET", "h", "a", "1", "b"}, Err: "ERR wrong number of arguments for 'hmset' command"},
			{Args: []any{"HDEL", "h", "a", "a", "zz", "b"}, Want: int64(2)},
			{Args: []any{"HDEL", "h", "c", "d"}, Want: int64(2)},
			{Args: []any{"EXISTS", "h"}, Want: int64(0)}, // gone with its last field
			{Args: []any{"HDEL", "h", "a"}, Want: int64(0)},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"HSET", "s", "f", "v"}, Err: wrongType},
			{Args: []any{"HGET", "s", "f"}, Err: wrongType},
			{Args: []any{"HMGET", "s", "f"}, Err: wrongType},
			{Args: []any{"HDEL", "s", "f"}, Err: wrongType},
			{Args: []any{"HLEN", "s"}, Err: wrongType},
			{Args: []any{"GET", "s"}, Want: "v"},
		},
		"hsetnx hexists hstrlen": {
			{Args: []any{"HSETNX", "h", "f", "1"}, Want: int64(1)},
			{Args: []any{"HSETNX", "h", "f", "2"}, Want: int64(0)},
			{Args: []any{"HGET", "h", "f"}, Want: "1"},
			{Args: []any{"HEXISTS", "h", "f"}, Want: int64(1)},
			{Args: []any{"HEXISTS", "h", "g"}, Want: int64(0)},
			{Args: []any{"HEXISTS", "nokey", "g"}, Want: int64(0)},
			{Args: []any{"HSET", "h", "long", "hello world"}, Want: int64(1)},
			{Args: []any{"HSTRLEN", "h", "long"}, Want: int64(11)},
			{Args: []any{"HSTRLEN", "h", "none"}, Want: int64(0)},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"HSETNX", "s", "f", "1"}, Err: wrongType},
			{Args: []any{"HEXISTS", "s", "f"}, Err: wrongType},
			{Args: []any{"HSTRLEN", "s", "f"}, Err: wrongType},
		},
		"hgetall hkeys hvals": {
			{Args: []any{"HGETALL", "nokey"}, Want: testenv.ByProto([]any{}, map[any]any{})},
			{Args: []any{"HKEYS", "nokey"}, Want: []any{}},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"HGETALL", "h"}, Want: testenv.ByProto([]any{"f", "v"}, map[any]any{"f": "v"})},
			{Args: []any{"HKEYS", "h"}, Want: []any{"f"}},
			{Args: []any{"HVALS", "h"}, Want: []any{"v"}},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"HGETALL", "s"}, Err: wrongType},
			{Args: []any{"HKEYS", "s"}, Err: wrongType},
			{Args: []any{"HVALS", "s"}, Err: wrongType},
		},
		"hincrby hincrbyfloat": {
			{Args: []any{"HINCRBY", "h", "n", "5"}, Want: int64(5)},
			{Args: []any{"HINCRBY", "h", "n", "-7"}, Want: int64(-2)},
			{Args: []any{"HINCRBY", "h", "n", "x"}, Err: resp.ErrNotInteger},
			{Args: []any{"HSET", "h", "s", "abc", "big", "9223372036854775807"}, Want: int64(2)},
			{Args: []any{"HINCRBY", "h", "s", "1"}, Err: "ERR hash value is not an integer"},
			{Args: []any{"HINCRBY", "h", "big", "1"}, Err: resp.ErrOverflow},
			{Args: []any{"HINCRBYFLOAT", "h", "f", "10.5"}, Want: "10.5"},
			{Args: []any{"HINCRBYFLOAT", "h", "f", "0.1"}, Want: "10.6"},
			{Args: []any{"HINCRBYFLOAT", "h", "n", "1.5"}, Want: "-0.5"},
			{Args: []any{"HINCRBYFLOAT", "h", "s", "1"}, Err: "ERR hash value is not a float"},
			{Args: []any{"HINCRBYFLOAT", "h", "f", "x"}, Err: resp.ErrNotFloat},
			{Args: []any{"HINCRBYFLOAT", "h", "f", "inf"}, Err: "ERR value is NaN or Infinity"},
			{Args: []any{"SET", "str", "1"}, Want: "OK"},
			{Args: []any{"HINCRBY", "str", "f", "1"}, Err: wrongType},
			{Args: []any{"HINCRBYFLOAT", "str", "f", "1"}, Err: wrongType},
		},
		"hscan": {
			{Args: []any{"HSCAN", "nokey", "0"}, Want: []any{"0", []any{}}},
			{Args: []any{"HSCAN", "nokey", "0", "bogus"}, Want: []any{"0", []any{}}}, // options checked after the key
			{Args: []any{"HSCAN", "h", "x"}, Err: resp.ErrInvalidCursor},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"HSCAN", "h", "0"}, Want: []any{"0", []any{"f", "v"}}},
			{Args: []any{"HSCAN", "h", "0", "NOVALUES"}, Want: []any{"0", []any{"f"}}},
			{Args: []any{"HSCAN", "h", "0", "MATCH", "g*"}, Want: []any{"0", []any{}}},
			{Args: []any{"HSCAN", "h", "0", "COUNT", "0"}, Err: resp.ErrSyntax},
			{Args: []any{"HSCAN", "h", "0", "TYPE", "string"}, Err: resp.ErrSyntax},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"HSCAN", "s", "0"}, Err: wrongType},
		},
		"hrandfield": {
			{Args: []any{"HRANDFIELD", "nokey"}, Want: nil},
			{Args: []any{"HRANDFIELD", "nokey", "3"}, Want: []any{}},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"HRANDFIELD", "h"}, Want: "f"},
			{Args: []any{"HRANDFIELD", "h", "5"}, Want: []any{"f"}},
			{Args: []any{"HRANDFIELD", "h", "-3"}, Want: []any{"f", "f", "f"}},
			{Args: []any{"HRANDFIELD", "h", "0"}, Want: []any{}},
			{Args: []any{"HRANDFIELD", "h", "2", "WITHVALUES"},
				Want: testenv.ByProto([]any{"f", "v"}, []any{[]any{"f", "v"}})},
			{Args: []any{"HRANDFIELD", "h", "-2", "withvalues"},
				Want: testenv.ByProto([]any{"f", "v", "f", "v"}, []any{[]any{"f", "v"}, []any{"f", "v"}})},
			{Args: []any{"HRANDFIELD", "h", "1", "bogus"}, Err: resp.ErrSyntax},
			{Args: []any{"HRANDFIELD", "h", "1", "WITHVALUES", "x"}, Err: resp.ErrSyntax},
			{Args: []any{"HRANDFIELD", "h", "x"}, Err: resp.ErrNotInteger},
			{Args: []any{"HRANDFIELD", "h", "-9223372036854775808"},
				Err: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
			{Args: []any{"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}, Err: "ERR value is out of range"},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"HRANDFIELD", "s"}, Err: wrongType},
			{Args: []any{"HRANDFIELD", "s", "1"}, Err: wrongType},
		},
	})
}

// TestHashIterationAndSampling checks HGETALL, HSCAN (every field exactly
// once across calls) and HRANDFIELD (distinct fields for a positive count)
// on a hash of many fields.
func TestHashIterationAndSampling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for proto, c := range commandstest.Clients(t, commandstest.StartServer(t, families...)) {
		t.Run(proto, func(t *testing.T) {
			require.NoError(t, c.FlushAll(ctx).Err())
			want := map[string]string{}
			var args []any
			for i := 0; i < 1000; i++ {
				f, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i)
				want[f] = v
				args = append(args, f, v)
			}
			require.NoError(t, c.HSet(ctx, "h", args...).Err())

			all, err := c.HGetAll(ctx, "h").Result()
			require.NoError(t, err)
			assert.Equal(t, want, all)

			got := map[string]string{}
			var cursor uint64
			for calls := 0; ; calls++ {
				require.Less(t, calls, 100000, "HSCAN does not terminate")
				page, next, err := c.HScan(ctx, "h", cursor, "", 37).Result()
				require.NoError(t, err)
				require.Zero(t, len(page)%2)
				for i := 0; i < len(page); i += 2 {
					got[page[i]] = page[i+1]
				}
				if cursor = next; cursor == 0 {
					break
				}
			}
			assert.Equal(t, want, got)

			fields, err := c.HRandField(ctx, "h", 100).Result()
			require.NoError(t, err)
			require.Len(t, fields, 100)
			distinct := map[string]bool{}
			for _, f := range fields {
				require.Contains(t, want, f)
				distinct[f] = true
			}
			assert.Len(t, distinct, 100, "a positive count gives distinct fields")

			fields, err = c.HRandField(ctx, "h", -2000).Result()
			require.NoError(t, err)
			assert.Len(t, fields, 2000)

			pairs, err := c.HRandFieldWithValues(ctx, "h", 10).Result()
			require.NoError(t, err)
			require.Len(t, pairs, 10)
			for _, p := range pairs {
				assert.Equal(t, want[p.Key], p.Value)
			}
		})
	}
}
