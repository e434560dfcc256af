package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
)

// member is one lock endpoint candidate: a node's ID and client address.
type member struct {
	ID   ring.NodeID
	Addr string
}

// discover asks the addresses, in order, who they are: the first that
// answers CLUSTER NODES gives the members of a cluster, when it knows
// LOCK.ACQUIRE (meshcache); one that does not is a Redis Cluster node,
// refused (lock.ErrRedisCluster). A server that answers CLUSTER NODES with
// an error is a meshcache node without the cluster commands (every
// address is then a member) when it knows LOCK.ACQUIRE, and plain Redis
// otherwise.
func (c *Client) discover(ctx context.Context) (mode, []member, error) {
	var errs []error
	for _, addr := range c.opts.Addrs {
		nc, err := c.nodeClient(addr)
		if err != nil {
			return 0, nil, err
		}
		text, err := nc.ClusterNodes(ctx).Result()
		if err == nil {
			if knows, err := knowsCommand(ctx, nc, "lock.acquire"); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", addr, err))
				continue
			} else if !knows {
				return 0, nil, redisClusterError(addr)
			}
			members, err := parseClusterNodes(text, addr)
			if err != nil {
				return 0, nil, fmt.Errorf("client: CLUSTER NODES from %s: %w", addr, err)
			}
			return modeCluster, members, nil
		}
		if !isServerError(err) || isAuthError(err) {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		// The server answered, but has no cluster commands (or has cluster
		// support disabled, as a plain Redis does).
		knows, err := knowsCommand(ctx, nc, "lock.acquire")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		if !knows {
			return modeRedis, nil, nil
		}
		members := make([]member, 0, len(c.opts.Addrs))
		for _, a := range c.opts.Addrs {
			members = append(members, member{ID: ring.NodeID(a), Addr: a})
		}
		return modeNodes, members, nil
	}
	return 0, nil, fmt.Errorf("client: no server answered: %w", errors.Join(errs...))
}

// redisClusterError is New's refusal of a Redis Cluster node at addr.
func redisClusterError(addr string) error {
	return fmt.Errorf("client: %s: %w (use Options.Redis with standalone Redis servers, or meshcache nodes)",
		addr, lock.ErrRedisCluster)
}

// refuseRedisCluster checks, for Options.Redis, that no address is a Redis
// Cluster node (INFO cluster says cluster_enabled:1 and the server does not
// know LOCK.ACQUIRE): its masters split the lock keys between them, so a
// Redlock over them would be granted by whichever holds the key's slot
// alone. An address that does not answer is left to Redlock, which counts
// it as an unavailable endpoint.
func (c *Client) refuseRedisCluster(ctx context.Context) error {
	for _, addr := range c.opts.Addrs {
		nc, err := c.nodeClient(addr)
		if err != nil {
			return err
		}
		info, err := nc.Info(ctx, "cluster").Result()
		if err != nil || !strings.Contains(info, "cluster_enabled:1") {
			continue
		}
		if knows, err := knowsCommand(ctx, nc, "lock.acquire"); err == nil && !knows {
			return redisClusterError(addr)
		}
	}
	return nil
}

// clusterMembers asks the addresses in order for CLUSTER NODES.
func (c *Client) clusterMembers(ctx context.Context) ([]member, error) {
	var errs []error
	for _, addr := range c.opts.Addrs {
		nc, err := c.nodeClient(addr)
		if err != nil {
			return nil, err
		}
		text, err := nc.ClusterNodes(ctx).Result()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		return parseClusterNodes(text, addr)
	}
	return nil, fmt.Errorf("client: CLUSTER NODES: %w", errors.Join(errs...))
}

// knowsCommand reports whether the server's COMMAND INFO knows name.
func knowsCommand(ctx context.Context, nc *redis.Client, name string) (bool, error) {
	v, err := nc.Do(ctx, "COMMAND", "INFO", name).Slice()
	if err != nil {
		return false, fmt.Errorf("COMMAND INFO %s: %w", name, err)
	}
	return len(v) == 1 && v[0] != nil, nil
}

func isServerError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

func isAuthError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "WRONGPASS")
}

// parseClusterNodes reads CLUSTER NODES (one node per line: id
// ip:port@cport[,hostname] flags master ping-sent pong-recv config-epoch
// link-state slot...) into members, sorted by ID. Nodes still in handshake
// or without an address are left out; failed nodes stay (they count as
// unavailable endpoints, so a failure does not move anyone's locks). A node
// that does not know its own IP (":port") is at asked's host.
func parseClusterNodes(text, asked string) ([]member, error) {
	askedHost, _, err := net.SplitHostPort(asked)
	if err != nil {
		return nil, fmt.Errorf("bad address %q: %w", asked, err)
	}
	var out []member
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("line %q has %d fields, want at least 8", line, len(f))
		}
		id, err := ring.ParseNodeID(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		flags := strings.Split(f[2], ",")
		if slices.Contains(flags, "handshake") || slices.Contains(flags, "noaddr") {
			continue
		}
		hostPort, _, _ := strings.Cut(f[1], "@")
		host, port, err := net.SplitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("line %q: address: %w", line, err)
		}
		if port == "0" || port == "" {
			continue
		}
		if host == "" {
			host = askedHost
		}
		out = append(out, member{ID: id, Addr: net.JoinHostPort(host, port)})
	}
	if len(out) == 0 {
		return nil, errors.New("no nodes with an address")
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}
