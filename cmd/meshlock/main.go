// Command meshlock runs a command while holding a distributed lock: a
// flock(1) for a fleet of machines, over meshcache nodes or plain Redis
// servers (Redlock with fencing tokens, package lock).
//
//	meshlock --addrs host:port[,...] --name NAME --ttl 10s [--wait 30s]
//	         [--backend meshcache|redis] -- COMMAND [ARGS...]
//
// meshlock takes the lock, runs COMMAND with MESHCACHE_FENCE=<token> in its
// environment (pass the token to whatever the lock protects, so that it can
// refuse a late writer), renews the lock while the command runs, releases
// it when the command exits, and exits with the command's code (128+N when
// signal N killed it).
//
// It exits 75 (EX_TEMPFAIL) when the lock was not acquired within --wait
// (0: a single attempt), or when the lock was lost while the command ran:
// the command is then sent SIGTERM, and SIGKILL after --grace. SIGINT and
// SIGTERM sent to meshlock are forwarded to the command. As timeout(1)
// does, meshlock runs the command in its own process group and signals the
// whole group, so that a shell's children stop with it. Usage errors exit
// 64 (EX_USAGE); a command that cannot be found exits 127, one that cannot
// be run 126.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/lock"
	"github.com/redis/go-redis/v9"
)

// Exit codes from sysexits.h and the shell's conventions.
const (
	exitUsage     = 64  // EX_USAGE
	exitTempFail  = 75  // EX_TEMPFAIL
	exitCannotRun = 126 // found but not executable
	exitNotFound  = 127 // not found
)

// FenceEnv is the environment variable that carries the fencing token.
const FenceEnv = "MESHCACHE_FENCE"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// options are meshlock's flags.
type options struct {
	addrs   []string
	name    string
	ttl     time.Duration
	wait    time.Duration
	grace   time.Duration
	backend string
	prefix  string
	timeout time.Duration
	verbose bool
	command []string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("meshlock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o     options
		addrs string
	)
	fs.StringVar(&addrs, "addrs", "", "comma-separated host:port of the lock endpoints (independent nodes)")
	fs.StringVar(&o.name, "name", "", "lock name")
	fs.DurationVar(&o.ttl, "ttl", 10*time.Second, "lock lease; renewed every ttl/3 while the command runs")
	fs.DurationVar(&o.wait, "wait", 0, "how long to wait for the lock (0: try once)")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "after a lost lock, time between SIGTERM and SIGKILL of the command")
	fs.StringVar(&o.backend, "backend", "meshcache", "endpoint kind: meshcache (LOCK.* commands) or redis (SET NX PX and scripts)")
	fs.StringVar(&o.prefix, "prefix", lock.DefaultKeyPrefix, "key prefix with --backend redis")
	fs.DurationVar(&o.timeout, "endpoint-timeout", 0, "per-endpoint call timeout (0: ttl/10, between 10ms and 1s)")
	fs.BoolVar(&o.verbose, "v", false, "log progress to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: meshlock --addrs host:port[,...] --name NAME [--ttl 10s] [--wait 30s] [--backend meshcache|redis] -- COMMAND [ARGS...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for a := range strings.SplitSeq(addrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.addrs = append(o.addrs, a)
		}
	}
	o.command = fs.Args()
	switch {
	case len(o.addrs) == 0:
		return nil, errors.New("--addrs is required")
	case o.name == "":
		return nil, errors.New("--name is required")
	case o.ttl <= 0:
		return nil, fmt.Errorf("--ttl must be positive, not %v", o.ttl)
	case o.wait < 0 || o.grace < 0 || o.timeout < 0:
		return nil, errors.New("--wait, --grace and --endpoint-timeout must not be negative")
	case o.backend != "meshcache" && o.backend != "redis":
		return nil, fmt.Errorf("--backend must be meshcache or redis, not %q", o.backend)
	case len(o.command) == 0:
		return nil, errors.New("no command given (put it after --)")
	}
	return &o, nil
}

// run is meshlock without os.Exit, returning the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "meshlock: %v\n", err)
		}
		return exitUsage
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// go-redis reports failed dials of down endpoints on its own logger;
	// Redlock tolerates a minority of them, so they are info, not noise.
	redis.SetLogger(redisLogger{log})

	// Catch SIGINT and SIGTERM from the start: while waiting for the lock
	// they abort the wait; once the command runs they are forwarded to it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	locker, err := newLocker(o, log)
	if err != nil {
		fmt.Fprintf(stderr, "meshlock: %v\n", err)
		return exitUsage
	}
	defer func() {
		if err := locker.Close(); err != nil {
			log.Warn("close connections", "err", err)
		}
	}()

	lk, code, ok := acquire(o, locker, sigs, log, stderr)
	if !ok {
		return code
	}
	log.Info("lock acquired", "name", o.name, "token", lk.Token(), "validity", lk.Validity())

	code = supervise(o, lk, sigs, log, stdin, stdout, stderr)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := lk.Release(ctx); err != nil && code != exitTempFail {
		log.Warn("release lock", "name", o.name, "err", err)
	}
	return code
}

func newLocker(o *options, log *slog.Logger) (*lock.Locker, error) {
	backends := make([]lock.Backend, 0, len(o.addrs))
	for _, a := range o.addrs {
		c := redis.NewClient(lock.ClientOptions(a))
		if o.backend == "redis" {
			backends = append(backends, lock.NewRedisBackend(c, o.prefix))
		} else {
			backends = append(backends, lock.NewMeshcacheBackend(c))
		}
	}
	opts := []lock.Option{lock.WithLogger(log)}
	if o.timeout > 0 {
		opts = append(opts, lock.WithEndpointTimeout(o.timeout))
	}
	return lock.New(backends, opts...)
}

// acquire takes the lock, giving up after --wait or on SIGINT/SIGTERM. On
// failure it returns the exit code and false.
func acquire(o *options, locker *lock.Locker, sigs <-chan os.Signal, log *slog.Logger, stderr io.Writer) (*lock.Lock, int, bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var caught os.Signal
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case s := <-sigs:
			caught = s
			cancel()
		case <-stopWatch:
		}
	}()
	var (
		lk  *lock.Lock
		err error
	)
	if o.wait == 0 {
		lk, err = locker.TryAcquire(ctx, o.name, o.ttl)
	} else {
		wctx, wcancel := context.WithTimeout(ctx, o.wait)
		lk, err = locker.Acquire(wctx, o.name, o.ttl)
		wcancel()
	}
	close(stopWatch)
	<-watchDone
	if caught != nil {
		if lk != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer rcancel()
			if err := lk.Release(rctx); err != nil {
				log.Warn("release lock", "name", o.name, "err", err)
			}
		}
		fmt.Fprintf(stderr, "meshlock: interrupted by %v while waiting for lock %q\n", caught, o.name)
		return nil, 128 + int(caught.(syscall.Signal)), false
	}
	if err != nil {
		fmt.Fprintf(stderr, "meshlock: lock %q not acquired: %v\n", o.name, err)
		return nil, exitTempFail, false
	}
	return lk, 0, true
}

// supervise runs the command under the lock and returns meshlock's exit
// code: the command's, or 75 if the lock was lost and the command stopped.
func supervise(o *options, lk *lock.Lock, sigs <-chan os.Signal, log *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := exec.Command(o.command[0], o.command[1:]...)
	cmd.Env = append(os.Environ(), FenceEnv+"="+strconv.FormatUint(lk.Token(), 10))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "meshlock: %v\n", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return exitNotFound
		}
		return exitCannotRun
	}
	// The child leads its own process group; signal the whole group.
	signalGroup := func(s syscall.Signal) {
		if err := syscall.Kill(-cmd.Process.Pid, s); err != nil && !errors.Is(err, syscall.ESRCH) {
			log.Warn("signal command", "signal", s, "err", err)
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var (
		lost    bool
		killAt  <-chan time.Time
		lostSig = lk.Lost()
	)
	for {
		select {
		case err := <-exited:
			if lost {
				fmt.Fprintf(stderr, "meshlock: lock %q was lost while the command ran; command stopped\n", o.name)
				return exitTempFail
			}
			return exitCode(err, log)
		case s := <-sigs:
			log.Info("forwarding signal", "signal", s)
			signalGroup(s.(syscall.Signal))
		case <-lostSig:
			lostSig = nil
			lost = true
			log.Warn("lock lost; stopping the command", "name", o.name, "token", lk.Token(), "grace", o.grace)
			signalGroup(syscall.SIGTERM)
			t := time.NewTimer(o.grace)
			defer t.Stop()
			killAt = t.C
		case <-killAt:
			killAt = nil
			log.Warn("command still running after the grace period; killing it")
			signalGroup(syscall.SIGKILL)
		}
	}
}

// redisLogger routes go-redis's internal log lines to slog at info level.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.InfoContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

// exitCode maps the command's end to meshlock's exit code, as a shell does.
func exitCode(err error, log *slog.Logger) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		log.Warn("wait for command", "err", err)
		return exitCannotRun
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
