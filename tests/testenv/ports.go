package testenv

// Ports: loopback ports for the servers tests start (meshcache nodes,
// redis-server), and whether the server answering on a port is the process
// the test started: a port that was free a moment ago may have been taken
// by another process since.

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// ClusterOffset is the distance from a meshcache node's client port to its
// cluster port (the default, as in Redis Cluster).
const ClusterOffset = 10000

// handedOut remembers every port Free returned, so two servers of one test
// binary are never given the same port.
var handedOut sync.Map // int -> struct{}

// Free returns a loopback port that was free a moment ago and that this
// test binary has not handed out before. With companion > 0, port+companion
// was free too (a node's cluster port: ClusterOffset).
func Free(t testing.TB, companion int) int {
	t.Helper()
	for range 50 {
		port, err := listenFree(0)
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		if port+companion > 65535 {
			continue
		}
		if companion > 0 {
			if _, err := listenFree(port + companion); err != nil {
				continue
			}
		}
		if _, seen := handedOut.LoadOrStore(port, struct{}{}); !seen {
			return port
		}
	}
	t.Fatal("no fresh free loopback port")
	return 0
}

// FreeRange returns the first of n consecutive loopback ports that, with
// their companions (port+companion, when companion > 0), were all free a
// moment ago (meshcache --local-cluster takes consecutive ports).
func FreeRange(t testing.TB, n, companion int) int {
	t.Helper()
	for range 50 {
		base := Free(t, companion)
		if base+n-1+companion > 65535 {
			continue
		}
		ok := true
		for p := base + 1; p < base+n && ok; p++ {
			for _, q := range []int{p, p + companion} {
				if q == p+companion && companion == 0 {
					continue
				}
				if _, err := listenFree(q); err != nil {
					ok = false
					break
				}
			}
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free loopback ports", n)
	return 0
}

// listenFree listens on a loopback port (0: any) and closes it again.
func listenFree(port int) (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return 0, err
	}
	port = ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// ServedBy reports whether the server c talks to is process pid, by INFO
// server's process_id (Redis and meshcache both report it).
func ServedBy(ctx context.Context, c redis.Cmdable, pid int) (bool, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return false, err
	}
	return strings.Contains(info, fmt.Sprintf("process_id:%d\r\n", pid)), nil
}
