package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/tests/testenv"
)

// debugScript is DEBUG and LATENCY as clients and test suites use them,
// on a server that allows DEBUG: every reply byte for byte as
// redis-server's (the steps whose replies hold times or addresses are in
// TestDebugLatencyLive).
var debugScript = []string{
	"T1 DEBUG PROTOCOL string", "T1 DEBUG PROTOCOL integer", "T1 DEBUG PROTOCOL double", "T1 DEBUG PROTOCOL bignum",
	"T1 DEBUG PROTOCOL null", "T1 DEBUG PROTOCOL array", "T1 DEBUG PROTOCOL set", "T1 DEBUG PROTOCOL map",
	"T1 DEBUG PROTOCOL attrib", "T1 DEBUG PROTOCOL true", "T1 DEBUG PROTOCOL false", "T1 DEBUG PROTOCOL verbatim",
	"T1 DEBUG PROTOCOL nosuch", "T1 DEBUG protocol STRING",
	"T1 DEBUG ERROR \"FOO bar\"", "T1 DEBUG ERROR \"multi\nline\"", "T1 DEBUG ERROR",
	"T1 DEBUG SLEEP 0", "T1 DEBUG SLEEP abc", "T1 DEBUG SLEEP 0.001", "T1 DEBUG LOG hello", "T1 DEBUG nosuch",
	"T1 DEBUG SLEEP", "T1 DEBUG OBJECT nokey", "T1 DEBUG",
	"T1 DEBUG SET-ACTIVE-EXPIRE 0", "T1 SET k v PX 1", "T1 DEBUG SET-ACTIVE-EXPIRE 1",
	"T1 LATENCY LATEST", "T1 LATENCY HISTORY command", "T1 LATENCY RESET", "T1 LATENCY RESET command x",
	"T1 LATENCY DOCTOR", "T1 LATENCY GRAPH command", "T1 LATENCY nosuch", "T1 LATENCY HISTORY", "T1 LATENCY",
	"T1 CONFIG GET latency-monitor-threshold", "T1 CONFIG SET latency-monitor-threshold -1",
	"T1 CONFIG GET enable-debug-command", "T1 CONFIG SET enable-debug-command no",
}

// TestDebugAgainstRedis runs debugScript on redis-server and meshcache,
// RESP2 and RESP3, both allowing DEBUG; and checks that both refuse DEBUG
// with the same words by default.
func TestDebugAgainstRedis(t *testing.T) {
	protectedAgainstRedis(t, "enable-debug-command", func(c *config.Config) { c.EnableDebugCommand = "yes" }, debugScript,
		[]string{"T1 DEBUG PROTOCOL string", "T1 DEBUG SLEEP 0", "T1 MULTI", "T1 DEBUG LOG x", "T1 EXEC"})
}

// protectedAgainstRedis runs script on redis-server and meshcache with
// setting (enable-debug-command, enable-module-command) at yes, RESP2 and
// RESP3 (allow sets it on meshcache's config), and refused on both with
// the setting at its default.
func protectedAgainstRedis(t *testing.T, setting string, allow func(*config.Config), script, refused []string) {
	redisAddr := testenv.StartOneRedis(t, "--"+setting, "yes").Addr
	ourAddr := startServer(t, allow).addr
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) { runTrackingScript(t, redisAddr, ourAddr, proto, script) })
	}
	t.Run("refused", func(t *testing.T) { runTrackingScript(t, startRedis(t), startDataServer(t), "2", refused) })
}

// TestDebugLatencyLive: a command over latency-monitor-threshold shows in
// LATENCY LATEST, HISTORY, GRAPH and DOCTOR, and DEBUG OBJECT describes a
// key, in the shapes redis-server gives (values that are times or
// addresses are checked for sense, not equality).
func TestDebugLatencyLive(t *testing.T) {
	for _, addr := range []string{
		testenv.StartOneRedis(t, "--enable-debug-command", "yes").Addr,
		startServer(t, func(c *config.Config) { c.EnableDebugCommand = "yes" }).addr,
	} {
		conn := testenv.DialRaw(t, addr)
		conn.Must(t, "CONFIG", "SET", "latency-monitor-threshold", "5")
		require.Equal(t, "+OK\r\n", string(conn.Must(t, "DEBUG", "SLEEP", "0.02")))
		latest := string(conn.Must(t, "LATENCY", "LATEST"))
		m := regexp.MustCompile(`^\*1\r\n\*4\r\n\$7\r\ncommand\r\n:(\d+)\r\n:(\d+)\r\n:(\d+)\r\n$`).FindStringSubmatch(latest)
		require.NotNil(t, m, "%s: %q", addr, latest)
		ms, _ := strconv.Atoi(m[2])
		require.GreaterOrEqual(t, ms, 20, addr)
		require.Equal(t, m[2], m[3], "the only sample is the all-time high")
		hist := string(conn.Must(t, "LATENCY", "HISTORY", "command"))
		require.Regexp(t, `^\*1\r\n\*2\r\n:`+m[1]+`\r\n:`+m[2]+`\r\n$`, hist, addr)
		graph := string(conn.Must(t, "LATENCY", "GRAPH", "command"))
		// The graph's last column is the sample's age in whole seconds of
		// the wall clock: 0, or 1 when a second began between DEBUG SLEEP
		// and LATENCY GRAPH (CI saw it once).
		require.Regexp(t, regexp.QuoteMeta("command - high "+m[2]+" ms, low "+m[2]+" ms (all time high "+m[2]+" ms)\n"+strings.Repeat("-", 80)+"\n \n \n \n_\n \n")+`[01]\ns\n`, graph, addr)
		doctor := string(conn.Must(t, "LATENCY", "DOCTOR"))
		require.Contains(t, doctor, "1. command: 1 latency spikes (average "+m[2]+"ms, mean deviation 0ms, period 1.00 sec). Worst all time event "+m[2]+"ms.", addr)
		require.Contains(t, doctor, "- Check your Slow Log to understand what are the commands you are running which are too slow to execute.", addr)
		require.Equal(t, ":1\r\n", string(conn.Must(t, "LATENCY", "RESET")))
		require.Equal(t, "*0\r\n", string(conn.Must(t, "LATENCY", "LATEST")))

		conn.Must(t, "SET", "k", "hello")
		obj := string(conn.Must(t, "DEBUG", "OBJECT", "k"))
		require.Regexp(t, `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+\r\n$`, obj, addr)
		conn.Must(t, "SET", "n", "12345")
		require.Regexp(t, `encoding:int serializedlength:3 `, string(conn.Must(t, "DEBUG", "OBJECT", "n")), addr)
		hg := string(conn.Must(t, "LATENCY", "HISTOGRAM", "set"))
		require.Regexp(t, `^\*2\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:2\r\n\$14\r\nhistogram_usec\r\n\*\d+\r\n`, hg, addr)
	}
}

// moduleScript is MODULE on a node that loads no modules, as redis-server
// answers without any: LIST empty, LOAD and LOADEX failing, UNLOAD
// finding nothing; and, refused, the protected ones (MODULE HELP's last
// line differs between redis-server 7.0 and 7.2: commandinfo_test checks
// 7.2's).
var moduleScript = []string{
	"T1 MODULE LIST", "T1 MODULE LIST x", "T1 MODULE", "T1 MODULE nosuch", "T1 CONFIG GET enable-module-command",
	"T1 CONFIG SET enable-module-command yes",
	"T1 MODULE LOAD /nonexistent/x.so", "T1 MODULE LOAD /nonexistent/x.so a b", "T1 MODULE LOAD",
	"T1 MODULE LOADEX /nonexistent/x.so CONFIG a b ARGS c", "T1 MODULE UNLOAD nosuch", "T1 MODULE UNLOAD",
	"T1 MULTI", "T1 MODULE LIST", "T1 EXEC",
}

// TestModuleAgainstRedis runs moduleScript on redis-server and meshcache,
// both allowing MODULE, and checks that both refuse the protected
// subcommands with the same words by default.
func TestModuleAgainstRedis(t *testing.T) {
	protectedAgainstRedis(t, "enable-module-command", func(c *config.Config) { c.EnableModuleCommand = "yes" }, moduleScript,
		[]string{"T1 MODULE LOAD /x.so", "T1 MODULE UNLOAD x", "T1 MODULE LIST", "T1 MULTI", "T1 MODULE LOADEX /x.so", "T1 EXEC"})
}
