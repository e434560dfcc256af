package server

import (
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestMultiExecRaw(t *testing.T) {
	ts := startServer(t, nil)
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"exec", "MULTI\r\nSET a 1\r\nINCR a\r\nGET a\r\nEXEC\r\n",
			[]string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*3\r\n", "+OK\r\n", ":2\r\n", "$1\r\n", "2\r\n"}},
		{"runtime errors do not abort", "MULTI\r\nSET s x\r\nINCR s\r\nEXEC\r\n",
			[]string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n", "+OK\r\n", "-ERR value is not an integer or out of range\r\n"}},
		{"queueing errors abort", "MULTI\r\nSET a 1\r\nNOSUCH\r\nGET\r\nEXEC\r\nGET a\r\n",
			[]string{"+OK\r\n", "+QUEUED\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
				"-ERR wrong number of arguments for 'get' command\r\n", "-" + errExecAbort + "\r\n", "$1\r\n", "2\r\n"}},
		{"nested and watch inside", "MULTI\r\nMULTI\r\nWATCH a\r\nEXEC\r\n",
			[]string{"+OK\r\n", "-ERR MULTI calls can not be nested\r\n", "-ERR WATCH inside MULTI is not allowed\r\n", "*0\r\n"}},
		{"without multi", "EXEC\r\nDISCARD\r\n", []string{"-ERR EXEC without MULTI\r\n", "-ERR DISCARD without MULTI\r\n"}},
		{"discard", "MULTI\r\nSET a 9\r\nDISCARD\r\nGET a\r\n", []string{"+OK\r\n", "+QUEUED\r\n", "+OK\r\n", "$1\r\n", "2\r\n"}},
		{"no_multi command", "MULTI\r\nSHUTDOWN\r\nEXEC\r\n",
			[]string{"+OK\r\n", "-ERR Command not allowed inside a transaction\r\n", "-" + errExecAbort + "\r\n"}},
		{"keyspace command inside", "MULTI\r\nSET b 1\r\nDBSIZE\r\nGET b\r\nEXEC\r\n",
			[]string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*3\r\n", "+OK\r\n", ":3\r\n", "$1\r\n", "1\r\n"}},
	}
	rc := ts.raw(t)
	for _, tc := range cases {
		rc.send(t, tc.in)
		for _, w := range tc.want {
			require.Equal(t, w, rc.line(t), tc.name)
		}
	}
}

func TestWatch(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 3)
	other := ts.client(t, 2)
	require.NoError(t, c.Set(ctx, "w", "0", 0).Err())

	// A write by another client between WATCH and EXEC aborts the EXEC.
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		require.NoError(t, other.Set(ctx, "w", "changed", 0).Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	require.ErrorIs(t, err, redis.TxFailedErr)
	require.Equal(t, "changed", c.Get(ctx, "w").Val())

	// Without a conflicting write it commits; UNWATCH forgets the keys.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	require.NoError(t, err)
	require.Equal(t, "mine", c.Get(ctx, "w").Val())

	rc := ts.raw(t)
	rc.send(t, "WATCH w\r\nUNWATCH\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.NoError(t, other.Set(ctx, "w", "again", 0).Err())
	rc.send(t, "MULTI\r\nGET w\r\nEXEC\r\n")
	for _, w := range []string{"+OK\r\n", "+QUEUED\r\n", "*1\r\n", "$5\r\n", "again\r\n"} {
		require.Equal(t, w, rc.line(t))
	}
	// A dirty WATCH answers a null array (RESP2).
	rc.send(t, "WATCH w\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.NoError(t, other.Del(ctx, "w").Err())
	rc.send(t, "MULTI\r\nGET w\r\nEXEC\r\n")
	for _, w := range []string{"+OK\r\n", "+QUEUED\r\n", "*-1\r\n"} {
		require.Equal(t, w, rc.line(t))
	}
}

// TestExecIsAtomic runs concurrent read-modify-write transactions over
// keys in many slots: with the slots locked for the whole EXEC, no
// increment is lost and both keys always move together.
func TestExecIsAtomic(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	const workers, rounds = 4, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		c := ts.client(t, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Incr(ctx, "counter-a")
					p.Incr(ctx, "counter-b")
					return nil
				})
				if err != nil {
					t.Errorf("exec: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c := ts.client(t, 2)
	require.Equal(t, strconv.Itoa(workers*rounds), c.Get(ctx, "counter-a").Val())
	require.Equal(t, strconv.Itoa(workers*rounds), c.Get(ctx, "counter-b").Val())
}

func TestPipelines(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	for _, proto := range []int{2, 3} {
		c := ts.client(t, proto)
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < 500; i++ {
				p.Set(ctx, "p"+strconv.Itoa(i), i, 0)
			}
			for i := 0; i < 500; i++ {
				p.Get(ctx, "p"+strconv.Itoa(i))
			}
			return nil
		})
		require.NoError(t, err)
		require.Len(t, cmds, 1000)
		for i := 0; i < 500; i++ {
			require.Equal(t, strconv.Itoa(i), cmds[500+i].(*redis.StringCmd).Val())
		}
	}
}
