package testenv

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Step is one command of a table test and what it must answer: Want is the
// go-redis value (string, int64, nil for a null, []any, map[any]any ...),
// or Err the exact error text.
type Step struct {
	Args []any
	Want any
	Err  string
}

// ByProto is a Want that differs between RESP2 and RESP3 (maps, doubles,
// sets): resp2 is the answer to a RESP2 client, resp3 to a RESP3 one.
func ByProto(resp2, resp3 any) any { return byProto{resp2, resp3} }

type byProto struct{ resp2, resp3 any }

// RunSteps runs steps in order on c, which speaks proto ("resp2" or
// "resp3"), and stops the test at the first answer that differs.
func RunSteps(t testing.TB, ctx context.Context, c *redis.Client, proto string, steps []Step) {
	t.Helper()
	for _, s := range steps {
		if bp, ok := s.Want.(byProto); ok {
			s.Want = bp.resp2
			if proto == "resp3" {
				s.Want = bp.resp3
			}
		}
		v, err := c.Do(ctx, s.Args...).Result()
		if s.Err != "" {
			require.Error(t, err, "%v", s.Args)
			require.Equal(t, s.Err, err.Error(), "%v", s.Args)
			continue
		}
		if errors.Is(err, redis.Nil) {
			require.Nil(t, s.Want, "%v answered null", s.Args)
			continue
		}
		require.NoError(t, err, "%v", s.Args)
		require.Equal(t, s.Want, v, "%v", s.Args)
	}
}
