package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/connection"
	"github.com/meshcache/meshcache/tests/testenv"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestConnectionCommands(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []int{2, 3} {
		t.Run("resp"+strconv.Itoa(proto), func(t *testing.T) {
			c := ts.client(t, proto)
			ctx := testCtx(t)
			steps := []testenv.Step{
				{Args: []any{"PING"}, Want: "PONG"},
				{Args: []any{"ping", "hi"}, Want: "hi"},
				{Args: []any{"PING", "a", "b"}, Err: "ERR wrong number of arguments for 'ping' command"},
				{Args: []any{"ECHO", "x y"}, Want: "x y"},
				{Args: []any{"ECHO"}, Err: "ERR wrong number of arguments for 'echo' command"},
				{Args: []any{"SELECT", "0"}, Want: "OK"},
				{Args: []any{"SELECT", "1"}, Err: "ERR DB index is out of range"},
				{Args: []any{"SELECT", "x"}, Err: "ERR value is not an integer or out of range"},
				{Args: []any{"AUTH", "pw"}, Err: connection.ErrAuthNoPass},
				{Args: []any{"AUTH", "default", "anything"}, Want: "OK"},
				{Args: []any{"AUTH", "bob", "pw"}, Err: connection.ErrWrongPass},
				{Args: []any{"AUTH", "a", "b", "c"}, Err: "ERR syntax error"},
				{Args: []any{"CLIENT", "SETNAME", "conn-1"}, Want: "OK"},
				{Args: []any{"CLIENT", "GETNAME"}, Want: "conn-1"},
				{Args: []any{"CLIENT", "SETNAME", "a b"}, Err: "ERR Client names cannot contain spaces, newlines or special characters."},
				{Args: []any{"CLIENT", "SETNAME"}, Err: "ERR wrong number of arguments for 'client|setname' command"},
				{Args: []any{"CLIENT", "SETINFO", "LIB-NAME", "mylib"}, Want: "OK"},
				{Args: []any{"CLIENT", "SETINFO", "foo", "x"}, Err: "ERR Unrecognized option 'foo'"},
				{Args: []any{"CLIENT", "NO-EVICT", "on"}, Want: "OK"},
				{Args: []any{"CLIENT", "NO-TOUCH", "maybe"}, Err: "ERR syntax error"},
				{Args: []any{"CLIENT", "bogus"}, Err: "ERR unknown subcommand 'bogus'. Try CLIENT HELP."},
				{Args: []any{"CLIENT", "KILL", "1.2.3.4:5"}, Err: "ERR No such client"},
				{Args: []any{"CLIENT", "KILL", "ID", "99999"}, Want: int64(0)},
				{Args: []any{"HELLO", "4"}, Err: "NOPROTO unsupported protocol version"},
				{Args: []any{"HELLO", "x"}, Err: "ERR Protocol version is not an integer or out of range"},
				{Args: []any{"HELLO", strconv.Itoa(proto), "foo"}, Err: "ERR Syntax error in HELLO option 'foo'"},
				{Args: []any{"NOSUCH", "a", "b"}, Err: "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "},
				{Args: []any{"GET"}, Err: "ERR wrong number of arguments for 'get' command"},
			}
			testenv.RunSteps(t, ctx, c, "resp"+strconv.Itoa(proto), steps)

			id, err := c.Do(ctx, "CLIENT", "ID").Int64()
			require.NoError(t, err)
			info, err := c.Do(ctx, "CLIENT", "INFO").Text()
			require.NoError(t, err)
			require.Contains(t, info, "id="+strconv.FormatInt(id, 10)+" ")
			require.Contains(t, info, "name=conn-1 ")
			require.Contains(t, info, "cmd=client|info ")
			require.Contains(t, info, "resp="+strconv.Itoa(proto))
			// go-redis sends CLIENT SETINFO on connect; we overrode lib-name above.
			require.Contains(t, info, "lib-name=mylib lib-ver=")
			require.NotContains(t, info, "lib-ver= ")

			list, err := c.Do(ctx, "CLIENT", "LIST").Text()
			require.NoError(t, err)
			require.Contains(t, list, "id="+strconv.FormatInt(id, 10)+" ")
			list, err = c.Do(ctx, "CLIENT", "LIST", "ID", strconv.FormatInt(id, 10)).Text()
			require.NoError(t, err)
			require.Equal(t, 1, strings.Count(list, "\n"))
		})
	}
}

func TestHello(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.client(t, 2)
	ctx := testCtx(t)
	v, err := c.Do(ctx, "HELLO", "3", "SETNAME", "h3").Result()
	require.NoError(t, err)
	m, ok := v.(map[any]any)
	require.True(t, ok, "HELLO 3 answers a RESP3 map, got %T", v)
	require.Equal(t, "redis", m["server"])
	require.Equal(t, RedisVersion, m["version"])
	require.Equal(t, int64(3), m["proto"])
	require.Equal(t, "master", m["role"])
	require.Equal(t, "cluster", m["mode"])
	require.Equal(t, []any{}, m["modules"])
	require.Equal(t, "h3", c.Do(ctx, "CLIENT", "GETNAME").Val())
	// Back to RESP2: the map becomes a flat array.
	v, err = c.Do(ctx, "HELLO", "2").Result()
	require.NoError(t, err)
	arr, ok := v.([]any)
	require.True(t, ok, "HELLO 2 answers an array, got %T", v)
	require.Len(t, arr, 14)
	require.Equal(t, "server", arr[0])
}

func TestAuthFlow(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.RequirePass = "s3cret" })
	ctx := testCtx(t)

	rc := ts.raw(t)
	rc.send(t, "GET a\r\n")
	require.Equal(t, "-NOAUTH Authentication required.\r\n", rc.line(t))
	rc.send(t, "PING\r\n")
	require.Equal(t, "-NOAUTH Authentication required.\r\n", rc.line(t))
	rc.send(t, "HELLO 3\r\n")
	require.Equal(t, "-"+connection.ErrHelloNoAuth+"\r\n", rc.line(t))
	rc.send(t, "AUTH wrong\r\n")
	require.Equal(t, "-"+connection.ErrWrongPass+"\r\n", rc.line(t))
	rc.send(t, "AUTH default wrong\r\n")
	require.Equal(t, "-"+connection.ErrWrongPass+"\r\n", rc.line(t))
	rc.send(t, "AUTH s3cret\r\nPING\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.Equal(t, "+PONG\r\n", rc.line(t))
	// RESET forgets the authentication when a password is set.
	rc.send(t, "RESET\r\nPING\r\n")
	require.Equal(t, "+RESET\r\n", rc.line(t))
	require.Equal(t, "-NOAUTH Authentication required.\r\n", rc.line(t))

	// go-redis authenticates inside HELLO.
	c := ts.client(t, 3, func(o *redis.Options) { o.Password = "s3cret" })
	require.Equal(t, "PONG", c.Ping(ctx).Val())
	bad := ts.client(t, 2, func(o *redis.Options) { o.Password = "nope" })
	require.EqualError(t, bad.Ping(ctx).Err(), connection.ErrWrongPass)
	none := ts.client(t, 2)
	require.EqualError(t, none.Get(ctx, "a").Err(), "NOAUTH Authentication required.")

	// Changing requirepass at run time: new connections need the new one.
	require.NoError(t, c.ConfigSet(ctx, "requirepass", "other").Err())
	require.Equal(t, "PONG", c.Ping(ctx).Val(), "an authenticated connection stays authenticated")
	c2 := ts.client(t, 2, func(o *redis.Options) { o.Password = "other" })
	require.Equal(t, "PONG", c2.Ping(ctx).Val())
}

func TestClientKill(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	victim := ts.raw(t)
	victim.send(t, "CLIENT ID\r\n")
	idLine := victim.line(t)
	id := strings.TrimSuffix(strings.TrimPrefix(idLine, ":"), "\r\n")
	n, err := c.Do(ctx, "CLIENT", "KILL", "ID", id).Int64()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.True(t, victim.closed(t))

	// Old form by address, and killing oneself answers first.
	self := ts.raw(t)
	self.send(t, "CLIENT KILL "+self.conn.LocalAddr().String()+"\r\n")
	require.Equal(t, "+OK\r\n", self.line(t))
	require.True(t, self.closed(t))

	self2 := ts.raw(t)
	self2.send(t, "CLIENT KILL ADDR "+self2.conn.LocalAddr().String()+"\r\n")
	require.Equal(t, ":0\r\n", self2.line(t), "SKIPME defaults to yes")
	self2.send(t, "CLIENT KILL ADDR "+self2.conn.LocalAddr().String()+" SKIPME no\r\n")
	require.Equal(t, ":1\r\n", self2.line(t))
	require.True(t, self2.closed(t))
}

func TestQuit(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.raw(t)
	rc.send(t, "QUIT\r\nPING\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.True(t, rc.closed(t), "commands after QUIT are not run")
}
