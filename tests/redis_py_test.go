package tests

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pythonWithRedis is Debian's python3, which has python3-redis.
const pythonWithRedis = "/usr/bin/python3"

func TestRedisPy(t *testing.T) {
	if err := exec.Command(pythonWithRedis, "-c", "import redis").Run(); err != nil {
		t.Skip("python3-redis not installed (apt-get install python3-redis)")
	}
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, pythonWithRedis, "py/single_node.py", strconv.Itoa(n.port)).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "redis-py: all checks passed")
}
