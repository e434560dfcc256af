package history

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/redcon"
)

// TestReadBackRetriesTryAgain: a key answered -TRYAGAIN is read again until
// it answers; any other error is the key's read error at once.
func TestReadBackRetriesTryAgain(t *testing.T) {
	var mu sync.Mutex
	gets := map[string]int{}
	srv := redcon.NewServerNetwork("tcp", "127.0.0.1:0", func(conn redcon.Conn, cmd redcon.Command) {
		if !strings.EqualFold(string(cmd.Args[0]), "get") || len(cmd.Args) != 2 {
			conn.WriteError("ERR unknown command") // HELLO: go-redis falls back to RESP2
			return
		}
		key := string(cmd.Args[1])
		mu.Lock()
		gets[key]++
		n := gets[key]
		mu.Unlock()
		switch {
		case key == "moving" && n <= 2:
			conn.WriteError("TRYAGAIN slot 1 is moving between nodes, try again")
		case key == "broken":
			conn.WriteError("ERR boom")
		case key == "absent":
			conn.WriteNull()
		default:
			conn.WriteBulkString(key + "=0")
		}
	}, nil, nil)
	sig := make(chan error, 1)
	go func() { _ = srv.ListenServeAndSignal(sig) }()
	require.NoError(t, <-sig)
	t.Cleanup(func() { _ = srv.Close() })

	c := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hs := []*Key{{Name: "plain"}, {Name: "moving"}, {Name: "broken"}, {Name: "absent"}}
	states, errs, err := ReadBack(ctx, c, hs, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, []State{{Present: true, Value: "plain=0"}, {Present: true, Value: "moving=0"}, {}, {}}, states)
	assert.NoError(t, errs[0])
	assert.NoError(t, errs[1])
	assert.ErrorContains(t, errs[2], "ERR boom")
	assert.NoError(t, errs[3])
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"plain": 1, "moving": 3, "broken": 1, "absent": 1}, gets)
}
