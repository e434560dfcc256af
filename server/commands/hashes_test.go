package commands

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

func TestHashCommands(t *testing.T) {
	runTable(t, map[string][]step{
		"hset hget hmget hdel": {
			{args: []any{"HSET", "h", "a", "1", "b", "2"}, want: int64(2)},
			{args: []any{"HSET", "h", "a", "10", "c", "3"}, want: int64(1)},
			{args: []any{"HGET", "h", "a"}, want: "10"},
			{args: []any{"HGET", "h", "zz"}, want: nil},
			{args: []any{"HGET", "nokey", "a"}, want: nil},
			{args: []any{"HMGET", "h", "a", "zz", "c"}, want: []any{"10", nil, "3"}},
			{args: []any{"HMGET", "nokey", "a", "b"}, want: []any{nil, nil}},
			{args: []any{"HMSET", "h", "d", "4"}, want: "OK"},
			{args: []any{"HLEN", "h"}, want: int64(4)},
			{args: []any{"HLEN", "nokey"}, want: int64(0)},
			{args: []any{"HSET", "h", "a", "1", "b"}, err: "ERR wrong number of arguments for 'hset' command"},
			{args: []any{"HMSET", "h", "a", "1", "b"}, err: "ERR wrong number of arguments for 'hmset' command"},
			{args: []any{"HDEL", "h", "a", "a", "zz", "b"}, want: int64(2)},
			{args: []any{"HDEL", "h", "c", "d"}, want: int64(2)},
			{args: []any{"EXISTS", "h"}, want: int64(0)}, // gone with its last field
			{args: []any{"HDEL", "h", "a"}, want: int64(0)},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"HSET", "s", "f", "v"}, err: wrongType},
			{args: []any{"HGET", "s", "f"}, err: wrongType},
			{args: []any{"HMGET", "s", "f"}, err: wrongType},
			{args: []any{"HDEL", "s", "f"}, err: wrongType},
			{args: []any{"HLEN", "s"}, err: wrongType},
			{args: []any{"GET", "s"}, want: "v"},
		},
		"hsetnx hexists hstrlen": {
			{args: []any{"HSETNX", "h", "f", "1"}, want: int64(1)},
			{args: []any{"HSETNX", "h", "f", "2"}, want: int64(0)},
			{args: []any{"HGET", "h", "f"}, want: "1"},
			{args: []any{"HEXISTS", "h", "f"}, want: int64(1)},
			{args: []any{"HEXISTS", "h", "g"}, want: int64(0)},
			{args: []any{"HEXISTS", "nokey", "g"}, want: int64(0)},
			{args: []any{"HSET", "h", "long", "hello world"}, want: int64(1)},
			{args: []any{"HSTRLEN", "h", "long"}, want: int64(11)},
			{args: []any{"HSTRLEN", "h", "none"}, want: int64(0)},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"HSETNX", "s", "f", "1"}, err: wrongType},
			{args: []any{"HEXISTS", "s", "f"}, err: wrongType},
			{args: []any{"HSTRLEN", "s", "f"}, err: wrongType},
		},
		"hgetall hkeys hvals": {
			{args: []any{"HGETALL", "nokey"}, want: byProto{[]any{}, map[any]any{}}},
			{args: []any{"HKEYS", "nokey"}, want: []any{}},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"HGETALL", "h"}, want: byProto{[]any{"f", "v"}, map[any]any{"f": "v"}}},
			{args: []any{"HKEYS", "h"}, want: []any{"f"}},
			{args: []any{"HVALS", "h"}, want: []any{"v"}},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"HGETALL", "s"}, err: wrongType},
			{args: []any{"HKEYS", "s"}, err: wrongType},
			{args: []any{"HVALS", "s"}, err: wrongType},
		},
		"hincrby hincrbyfloat": {
			{args: []any{"HINCRBY", "h", "n", "5"}, want: int64(5)},
			{args: []any{"HINCRBY", "h", "n", "-7"}, want: int64(-2)},
			{args: []any{"HINCRBY", "h", "n", "x"}, err: resp.ErrNotInteger},
			{args: []any{"HSET", "h", "s", "abc", "big", "9223372036854775807"}, want: int64(2)},
			{args: []any{"HINCRBY", "h", "s", "1"}, err: "ERR hash value is not an integer"},
			{args: []any{"HINCRBY", "h", "big", "1"}, err: resp.ErrOverflow},
			{args: []any{"HINCRBYFLOAT", "h", "f", "10.5"}, want: "10.5"},
			{args: []any{"HINCRBYFLOAT", "h", "f", "0.1"}, want: "10.6"},
			{args: []any{"HINCRBYFLOAT", "h", "n", "1.5"}, want: "-0.5"},
			{args: []any{"HINCRBYFLOAT", "h", "s", "1"}, err: "ERR hash value is not a float"},
			{args: []any{"HINCRBYFLOAT", "h", "f", "x"}, err: resp.ErrNotFloat},
			{args: []any{"HINCRBYFLOAT", "h", "f", "inf"}, err: "ERR value is NaN or Infinity"},
			{args: []any{"SET", "str", "1"}, want: "OK"},
			{args: []any{"HINCRBY", "str", "f", "1"}, err: wrongType},
			{args: []any{"HINCRBYFLOAT", "str", "f", "1"}, err: wrongType},
		},
		"hscan": {
			{args: []any{"HSCAN", "nokey", "0"}, want: []any{"0", []any{}}},
			{args: []any{"HSCAN", "nokey", "0", "bogus"}, want: []any{"0", []any{}}}, // options checked after the key
			{args: []any{"HSCAN", "h", "x"}, err: resp.ErrInvalidCursor},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"HSCAN", "h", "0"}, want: []any{"0", []any{"f", "v"}}},
			{args: []any{"HSCAN", "h", "0", "NOVALUES"}, want: []any{"0", []any{"f"}}},
			{args: []any{"HSCAN", "h", "0", "MATCH", "g*"}, want: []any{"0", []any{}}},
			{args: []any{"HSCAN", "h", "0", "COUNT", "0"}, err: resp.ErrSyntax},
			{args: []any{"HSCAN", "h", "0", "TYPE", "string"}, err: resp.ErrSyntax},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"HSCAN", "s", "0"}, err: wrongType},
		},
		"hrandfield": {
			{args: []any{"HRANDFIELD", "nokey"}, want: nil},
			{args: []any{"HRANDFIELD", "nokey", "3"}, want: []any{}},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"HRANDFIELD", "h"}, want: "f"},
			{args: []any{"HRANDFIELD", "h", "5"}, want: []any{"f"}},
			{args: []any{"HRANDFIELD", "h", "-3"}, want: []any{"f", "f", "f"}},
			{args: []any{"HRANDFIELD", "h", "0"}, want: []any{}},
			{args: []any{"HRANDFIELD", "h", "2", "WITHVALUES"},
				want: byProto{[]any{"f", "v"}, []any{[]any{"f", "v"}}}},
			{args: []any{"HRANDFIELD", "h", "-2", "withvalues"},
				want: byProto{[]any{"f", "v", "f", "v"}, []any{[]any{"f", "v"}, []any{"f", "v"}}}},
			{args: []any{"HRANDFIELD", "h", "1", "bogus"}, err: resp.ErrSyntax},
			{args: []any{"HRANDFIELD", "h", "1", "WITHVALUES", "x"}, err: resp.ErrSyntax},
			{args: []any{"HRANDFIELD", "h", "x"}, err: resp.ErrNotInteger},
			{args: []any{"HRANDFIELD", "h", "-9223372036854775808"},
				err: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
			{args: []any{"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}, err: "ERR value is out of range"},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"HRANDFIELD", "s"}, err: wrongType},
			{args: []any{"HRANDFIELD", "s", "1"}, err: wrongType},
		},
	})
}

// TestHashIterationAndSampling checks HGETALL, HSCAN (every field exactly
// once across calls) and HRANDFIELD (distinct fields for a positive count)
// on a hash of many fields.
func TestHashIterationAndSampling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for proto, c := range newClients(t, startDataServer(t)) {
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
