package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
)

// DefaultLockNodes is the largest number of nodes a lock lives on (N of
// Redlock): five nodes survive the loss of two.
const DefaultLockNodes = 5

// Options configures a Client.
type Options struct {
	// Addrs are client addresses (host:port) of meshcache nodes, any
	// subset of the cluster; with Redis, every Redis server to lock on.
	Addrs []string
	// Username and Password authenticate (AUTH) on every connection.
	Username, Password string
	// Redis says the addresses are plain Redis servers: locks use every
	// one of them as an independent Redlock endpoint (SET NX PX and
	// scripts), and data goes to the first. Without it, New detects plain
	// Redis by its not knowing LOCK.ACQUIRE. Either way, a Redis Cluster is
	// refused (lock.ErrRedisCluster): its masters split the lock keys.
	Redis bool
	// LockNodes is the largest number of nodes a lock lives on; 0 means
	// DefaultLockNodes. Meshcache only.
	LockNodes int
	// KeyPrefix prefixes the lock keys on plain Redis; empty means
	// lock.DefaultKeyPrefix.
	KeyPrefix string
	// DialTimeout bounds connecting and the discovery at New; 0 means 5s.
	DialTimeout time.Duration
	// Logger receives lock renewal warnings; nil means slog.Default().
	Logger *slog.Logger
}

// mode is how the client found the servers.
type mode int

const (
	modeCluster mode = iota // meshcache nodes that answer CLUSTER NODES
	modeNodes               // meshcache nodes without the cluster commands: each address is a member
	modeRedis               // plain Redis servers
)

func (m mode) String() string {
	switch m {
	case modeCluster:
		return "meshcache cluster"
	case modeNodes:
		return "meshcache nodes"
	default:
		return "redis"
	}
}

// Client is a connection to a meshcache cluster (or Redis servers): the
// data client and the per-node connections that locks use. Safe for
// concurrent use.
type Client struct {
	opts Options
	mode mode
	data redis.UniversalClient
	log  *slog.Logger

	mu      sync.Mutex               // guards the fields below
	members []member                 // the lock members, from discovery
	nodes   map[string]*redis.Client // lock connections by address, made on first use
	closed  bool
}

// New connects to the servers at opts.Addrs and learns who they are: a
// meshcache cluster (its members, from CLUSTER NODES on the first address
// that answers), meshcache nodes without cluster commands, or plain Redis.
// ctx bounds the discovery.
func New(ctx context.Context, opts Options) (*Client, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("client: no addresses")
	}
	if opts.LockNodes < 0 {
		return nil, fmt.Errorf("client: LockNodes %d is negative", opts.LockNodes)
	}
	if opts.LockNodes == 0 {
		opts.LockNodes = DefaultLockNodes
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	opts.Addrs = append([]string(nil), opts.Addrs...)
	c := &Client{opts: opts, log: opts.Logger, nodes: make(map[string]*redis.Client)}
	if c.log == nil {
		c.log = slog.Default()
	}
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	if opts.Redis {
		c.mode = modeRedis
		if err := c.refuseRedisCluster(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
	} else {
		m, members, err := c.discover(ctx)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.mode, c.members = m, members
	}
	c.data = c.newDataClient()
	return c, nil
}

func (c *Client) newDataClient() redis.UniversalClient {
	if c.mode == modeCluster {
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:       c.opts.Addrs,
			Username:    c.opts.Username,
			Password:    c.opts.Password,
			DialTimeout: c.opts.DialTimeout,
			// After a failover the survivors forward rather than answer
			// -MOVED, so the client learns the new primaries only by
			// reloading CLUSTER SLOTS; go-redis's default waits a minute,
			// during which it keeps dialing the dead node.
			ClusterStateReloadInterval: time.Second,
		})
	}
	return redis.NewClient(&redis.Options{
		Addr:        c.opts.Addrs[0],
		Username:    c.opts.Username,
		Password:    c.opts.Password,
		DialTimeout: c.opts.DialTimeout,
	})
}

// Redis returns the go-redis client for data commands. It belongs to the
// Client: do not close it.
func (c *Client) Redis() redis.UniversalClient { return c.data }

// Close closes the data client and every lock connection. Locks still
// held are not released (their leases end with their TTL).
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	nodes := c.nodes
	c.nodes = nil
	c.mu.Unlock()
	var errs []error
	if c.data != nil {
		if err := c.data.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close data client: %w", err))
		}
	}
	for addr, nc := range nodes {
		if err := nc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close lock connection to %s: %w", addr, err))
		}
	}
	return errors.Join(errs...)
}

// Refresh learns the lock members again (CLUSTER NODES), for after a
// planned membership change. See the membership caveat in the package doc.
func (c *Client) Refresh(ctx context.Context) error {
	if c.mode != modeCluster {
		return nil
	}
	members, err := c.clusterMembers(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.members = members
	c.mu.Unlock()
	return nil
}

// nodeClient returns the lock connection to addr, made on first use.
func (c *Client) nodeClient(addr string) (*redis.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("client closed")
	}
	if nc := c.nodes[addr]; nc != nil {
		return nc, nil
	}
	o := lock.ClientOptions(addr)
	o.Username, o.Password = c.opts.Username, c.opts.Password
	nc := redis.NewClient(o)
	c.nodes[addr] = nc
	return nc, nil
}

// lockBackends returns the Redlock endpoints of the lock name: every Redis
// server, or the name's ring.LockNodes among the members. The backends
// share the Client's connections (closing them is a no-op).
func (c *Client) lockBackends(name string) ([]lock.Backend, error) {
	if c.mode == modeRedis {
		out := make([]lock.Backend, 0, len(c.opts.Addrs))
		for _, a := range c.opts.Addrs {
			nc, err := c.nodeClient(a)
			if err != nil {
				return nil, err
			}
			out = append(out, shared{lock.NewRedisBackend(nc, c.opts.KeyPrefix)})
		}
		return out, nil
	}
	c.mu.Lock()
	members := c.members
	c.mu.Unlock()
	addrs := lockAddrs(name, members, c.opts.LockNodes)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("lock %q: no lock members known", name)
	}
	out := make([]lock.Backend, 0, len(addrs))
	for _, a := range addrs {
		nc, err := c.nodeClient(a)
		if err != nil {
			return nil, err
		}
		out = append(out, shared{lock.NewMeshcacheBackend(nc)})
	}
	return out, nil
}

// lockAddrs maps ring.LockNodes(name, member IDs, n) to their addresses.
func lockAddrs(name string, members []member, n int) []string {
	ids := make([]ring.NodeID, len(members))
	byID := make(map[ring.NodeID]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
		byID[m.ID] = m.Addr
	}
	chosen := ring.LockNodes(name, ids, n)
	out := make([]string, len(chosen))
	for i, id := range chosen {
		out[i] = byID[id]
	}
	return out
}

// shared is a Backend over a connection the Client owns: Close leaves the
// connection open for the next lock.
type shared struct{ lock.Backend }

func (shared) Close() error { return nil }
