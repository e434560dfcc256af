package lock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Backend is one independent lock endpoint of a Redlock quorum. Calls must
// honour ctx (the Locker gives each a per-endpoint deadline) and be safe for
// concurrent use. Errors wrap ErrTaken, ErrNotHeld or ErrStaleToken when the
// endpoint answered with that verdict; any other error means the endpoint
// could not be asked (down, timeout, protocol error).
type Backend interface {
	// Acquire takes the lease on name for holder for ttl, or renews it if
	// holder already has it, and returns the endpoint's fencing mark for
	// name. It fails with ErrTaken when another holder has the lease.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (mark uint64, err error)
	// Confirm raises the endpoint's mark for name to token while holder
	// holds the lease there.
	Confirm(ctx context.Context, name, holder string, token uint64) error
	// Extend renews holder's lease to ttl; ErrNotHeld if holder lost it.
	Extend(ctx context.Context, name, holder string, ttl time.Duration) error
	// Release ends holder's lease; ErrNotHeld if holder did not have it.
	Release(ctx context.Context, name, holder string) error
	// String names the endpoint in errors and logs.
	String() string
	// Close releases the backend's connections.
	Close() error
}

// ClientOptions returns go-redis options suited to one lock endpoint: RESP2
// without client identity or maintenance notifications (nothing but the lock
// commands is sent, so any RESP server will do), no hidden retries (Redlock
// retries whole attempts itself, and the Locker bounds each call with its own
// deadline), and a small pool.
func ClientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:            addr,
		Protocol:        2,
		DisableIdentity: true,
		MaxRetries:      -1,
		DialTimeout:     time.Second,
		// Each call carries the Locker's per-endpoint deadline, which
		// ContextTimeoutEnabled turns into the socket deadline; the read and
		// write timeouts only bound calls made without one.
		ContextTimeoutEnabled: true,
		ReadTimeout:           3 * time.Second,
		WriteTimeout:          3 * time.Second,
		PoolSize:              8,
	}
}

// meshcacheBackend speaks the LOCK.* commands to one meshcache node.
type meshcacheBackend struct {
	c *redis.Client
}

// NewMeshcacheBackend returns a Backend over the LOCK.* commands of the
// meshcache node c talks to (a plain, single-node client: the commands are
// node-local and must not be routed). The backend owns c: Close closes it.
// Fencing is exact: marks are kept by the node for as long as it runs.
func NewMeshcacheBackend(c *redis.Client) Backend { return &meshcacheBackend{c: c} }

func (b *meshcacheBackend) String() string { return "meshcache " + b.c.Options().Addr }

func (b *meshcacheBackend) Close() error { return b.c.Close() }

func (b *meshcacheBackend) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (uint64, error) {
	v, err := b.c.Do(ctx, CmdAcquire, name, holder, ttlMillis(ttl)).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", CmdAcquire, b, err)
	}
	return grantReply(b, v)
}

func (b *meshcacheBackend) Confirm(ctx context.Context, name, holder string, token uint64) error {
	if err := b.c.Do(ctx, CmdConfirm, name, holder, token).Err(); err != nil {
		return fmt.Errorf("%s %s: %w", CmdConfirm, b, replyError(err))
	}
	return nil
}

func (b *meshcacheBackend) Extend(ctx context.Context, name, holder string, ttl time.Duration) error {
	n, err := b.c.Do(ctx, CmdExtend, name, holder, ttlMillis(ttl)).Int64()
	return heldReply(CmdExtend, b, n, err)
}

func (b *meshcacheBackend) Release(ctx context.Context, name, holder string) error {
	n, err := b.c.Do(ctx, CmdRelease, name, holder).Int64()
	return heldReply(CmdRelease, b, n, err)
}

// DefaultKeyPrefix prefixes the keys the Redis backend uses.
const DefaultKeyPrefix = "meshlock:"

// The Redis backend's scripts. KEYS[1] is the lock key, KEYS[2] the fence
// key (same hash tag). Marks travel as decimal strings, never Lua numbers,
// which are doubles; tokens are compared as digit strings (no leading zeros).
var (
	// ARGV: holder, ttl-ms. The lease is taken with SET NX PX; a retry by the
	// holder renews it. Reply as LOCK.ACQUIRE, the mark as a bulk string.
	acquireScript = redis.NewScript(`
local cur = redis.call('get', KEYS[1])
if cur == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
elseif not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, redis.call('pttl', KEYS[1])}
end
return {1, redis.call('get', KEYS[2]) or '0'}
`)
	// ARGV: holder, token. As LOCK.CONFIRM.
	confirmScript = redis.NewScript(`
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('` + CodeNotHeld + ` the lock is not held by this holder')
end
local mark = redis.call('get', KEYS[2]) or '0'
local tok = ARGV[2]
if tok == mark or #tok > #mark or (#tok == #mark and tok > mark) then
  redis.call('set', KEYS[2], tok)
  return redis.status_reply('OK')
end
return redis.error_reply('` + CodeStaleToken + ` fencing token ' .. tok .. ' is not above the high-water mark ' .. mark)
`)
	// ARGV: holder, ttl-ms. Compare-and-extend.
	extendScript = redis.NewScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
`)
	// ARGV: holder. Compare-and-delete.
	releaseScript = redis.NewScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
`)
)

// redisBackend implements the lock on a plain Redis server with a lease key
// and a fence key per name, through Lua scripts (EVALSHA, falling back to
// EVAL when the server does not have the script cached).
type redisBackend struct {
	c      *redis.Client
	prefix string
}

// NewRedisBackend returns a Backend over a plain Redis (or any server with
// Lua scripting). Keys are prefix+"{"+name+"}" for the lease (SET NX PX) and
// the same plus ":fence" for the fencing mark; an empty prefix means
// DefaultKeyPrefix. The backend owns c: Close closes it.
//
// Fencing here is best effort: the fence key is an ordinary key, lost when
// the server restarts without fsynced persistence, fails over to a lagging
// replica, evicts it under an allkeys-* maxmemory policy, or is flushed.
// Fence keys have no TTL, one per lock name ever used.
func NewRedisBackend(c *redis.Client, prefix string) Backend {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	return &redisBackend{c: c, prefix: prefix}
}

func (b *redisBackend) String() string { return "redis " + b.c.Options().Addr }

func (b *redisBackend) Close() error { return b.c.Close() }

func (b *redisBackend) keys(name string) []string {
	k := b.prefix + "{" + name + "}"
	return []string{k, k + ":fence"}
}

func (b *redisBackend) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (uint64, error) {
	v, err := acquireScript.Run(ctx, b.c, b.keys(name), holder, ttlMillis(ttl)).Slice()
	if err != nil {
		return 0, fmt.Errorf("acquire on %s: %w", b, clusterError(err))
	}
	if len(v) != 2 {
		return 0, fmt.Errorf("acquire on %s: unexpected reply %v", b, v)
	}
	granted, ok := v[0].(int64)
	if !ok {
		return 0, fmt.Errorf("acquire on %s: unexpected reply %v", b, v)
	}
	if granted == 0 {
		pttl, _ := v[1].(int64)
		return 0, fmt.Errorf("acquire on %s: %w (expires in %dms)", b, ErrTaken, pttl)
	}
	s, ok := v[1].(string)
	if !ok {
		return 0, fmt.Errorf("acquire on %s: unexpected mark %v", b, v[1])
	}
	mark, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("acquire on %s: fence key holds %q: %w", b, s, err)
	}
	return mark, nil
}

func (b *redisBackend) Confirm(ctx context.Context, name, holder string, token uint64) error {
	err := confirmScript.Run(ctx, b.c, b.keys(name), holder, strconv.FormatUint(token, 10)).Err()
	if err != nil {
		return fmt.Errorf("confirm on %s: %w", b, replyError(err))
	}
	return nil
}

func (b *redisBackend) Extend(ctx context.Context, name, holder string, ttl time.Duration) error {
	n, err := extendScript.Run(ctx, b.c, b.keys(name), holder, ttlMillis(ttl)).Int64()
	return heldReply("extend", b, n, err)
}

func (b *redisBackend) Release(ctx context.Context, name, holder string) error {
	n, err := releaseScript.Run(ctx, b.c, b.keys(name)[:1], holder).Int64()
	return heldReply("release", b, n, err)
}

// clusterError wraps a redirect (-MOVED, -ASK: the server is a Redis
// Cluster node that does not hold the lock's slot) with ErrRedisCluster,
// so the failure says why; other errors are returned as they are.
func clusterError(err error) error {
	var re redis.Error
	if errors.As(err, &re) {
		if msg := re.Error(); strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK ") {
			return fmt.Errorf("%w: %w", ErrRedisCluster, err)
		}
	}
	return err
}

// ttlMillis converts a TTL to whole milliseconds, at least 1.
func ttlMillis(ttl time.Duration) int64 { return max(int64(ttl/time.Millisecond), 1) }

// grantReply interprets LOCK.ACQUIRE's [granted, mark-or-pttl] reply.
func grantReply(b Backend, v []int64) (uint64, error) {
	if len(v) != 2 || v[1] < 0 {
		return 0, fmt.Errorf("%s %s: unexpected reply %v", CmdAcquire, b, v)
	}
	if v[0] == 0 {
		return 0, fmt.Errorf("%s %s: %w (expires in %dms)", CmdAcquire, b, ErrTaken, v[1])
	}
	return uint64(v[1]), nil
}

// heldReply interprets a 1/0 reply of a release or extend.
func heldReply(op string, b Backend, n int64, err error) error {
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, b, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", op, b, ErrNotHeld)
	}
	return nil
}

// replyError maps the NOTHELD and STALETOKEN error replies to sentinels,
// keeping the server's text.
func replyError(err error) error {
	var re redis.Error
	if !errors.As(err, &re) {
		return err
	}
	msg := re.Error()
	switch {
	case strings.HasPrefix(msg, CodeNotHeld+" "):
		return fmt.Errorf("%w: %s", ErrNotHeld, msg)
	case strings.HasPrefix(msg, CodeStaleToken+" "):
		return fmt.Errorf("%w: %s", ErrStaleToken, msg)
	}
	return err
}
