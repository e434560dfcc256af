package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/ring"
)

// Commander sends one command to the client port at addr.
type Commander interface {
	Do(ctx context.Context, addr string, args ...any) error
}

// RedisCommander is the Commander of a running node: a short-lived
// connection per command, authenticated with Password() (the node's
// requirepass; the members of a cluster share it).
type RedisCommander struct {
	Password func() string
}

// Do sends args to addr and returns the command's error.
func (c RedisCommander) Do(ctx context.Context, addr string, args ...any) error {
	cl := redis.NewClient(&redis.Options{Addr: addr, Password: c.Password(), MaxRetries: -1, PoolSize: 1,
		DialTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 5 * time.Second})
	defer cl.Close()
	if err := cl.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("%v on %s: %w", args, addr, err)
	}
	return nil
}

// Source reads the cluster's state as this node sees it.
type Source interface {
	State() State
}

// Action is a started action and how far it got.
type Action struct {
	ID int `json:"id"`
	Request
	State   string    `json:"state"` // running, done, failed
	Text    string    `json:"text,omitempty"`
	Error   string    `json:"error,omitempty"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
}

// The states of an action.
const (
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Timeout bounds an action's watch: a drain longer than this is reported
// failed (the node may still finish it; the console shows the table).
const Timeout = 10 * time.Minute

// pollEvery is how often a running action reads the cluster's state.
const pollEvery = 200 * time.Millisecond

// Runner runs one action at a time.
//
// Goroutines: one per running action (run), owned by the Runner; Close
// cancels it and waits.
type Runner struct {
	src Source
	cmd Commander
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the running action's goroutine

	mu  sync.Mutex // guards cur, seq
	cur *Action    // the running or last action; nil before the first
	seq int
}

// NewRunner returns a Runner that reads the cluster from src and sends
// commands with cmd.
func NewRunner(src Source, cmd Commander, logger *slog.Logger) *Runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{src: src, cmd: cmd, log: logger, ctx: ctx, cancel: cancel}
}

// Start checks req against the cluster's state and starts it. The error
// is an *Error (its Status says why) when the request is refused.
func (r *Runner) Start(req Request) (Action, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return Action{}, refuse(503, "the admin port is stopping")
	}
	if r.cur != nil && r.cur.State == Running {
		return Action{}, refuse(409, "%v: %s %s is running (started %s)", errBusy, r.cur.Action, r.cur.Node,
			r.cur.Started.UTC().Format(time.TimeOnly))
	}
	st := r.src.State()
	if err := Check(req, st); err != nil {
		return Action{}, err
	}
	r.seq++
	a := &Action{ID: r.seq, Request: req, State: Running, Text: "starting", Started: time.Now()}
	r.cur = a
	r.log.Warn("operator action started", "action", req.Action, "node", req.Node, "value", req.Value)
	r.wg.Add(1)
	go func() { // owned by the Runner: Close cancels and waits
		defer r.wg.Done()
		r.run(a.ID, req, st)
	}()
	return *a, nil
}

// Current returns the running or last action; false before the first.
func (r *Runner) Current() (Action, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return Action{}, false
	}
	return *r.cur, true
}

// Close stops watching the running action and waits for its goroutine.
func (r *Runner) Close() {
	r.cancel()
	r.wg.Wait()
}

// update changes action id under the lock.
func (r *Runner) update(id int, f func(*Action)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.cur.ID == id {
		f(r.cur)
	}
}

func (r *Runner) finish(id int, text string, err error) {
	r.update(id, func(a *Action) {
		a.Ended = time.Now()
		a.Text = text
		if err != nil {
			a.State, a.Error = Failed, err.Error()
			return
		}
		a.State = Done
	})
	r.log.Warn("operator action ended", "id", id, "text", text, "err", err)
}

func (r *Runner) run(id int, req Request, st State) {
	ctx, cancel := context.WithTimeout(r.ctx, Timeout)
	defer cancel()
	switch req.Action {
	case Drain:
		node := ring.NodeID(req.Node)
		m, _ := st.member(node)
		if err := r.cmd.Do(ctx, m.ClientAddr, "CLUSTER", "LEAVE"); err != nil {
			r.finish(id, "CLUSTER LEAVE refused", err)
			return
		}
		r.watch(ctx, id, func(s State) Progress { return DrainProgress(node, s) })
	case Failover:
		node := ring.NodeID(req.Node)
		m, _ := st.member(node)
		want := st.Table.ReplicaSlots(node)
		if err := r.cmd.Do(ctx, m.ClientAddr, "CLUSTER", "FAILOVER"); err != nil {
			r.finish(id, "CLUSTER FAILOVER refused", err)
			return
		}
		r.watch(ctx, id, func(s State) Progress { return FailoverProgress(node, want, s) })
	case MigrationRate:
		var errs []error
		n := 0
		for _, m := range st.Members {
			if !m.Alive {
				continue
			}
			n++
			if err := r.cmd.Do(ctx, m.ClientAddr, "CONFIG", "SET", "migration-rate", req.Value); err != nil {
				errs = append(errs, err)
			}
		}
		r.finish(id, fmt.Sprintf("set on %d of %d alive nodes", n-len(errs), n), errors.Join(errs...))
	}
}

// watch polls the cluster's state until judge says done or ctx ends.
func (r *Runner) watch(ctx context.Context, id int, judge func(State) Progress) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		p := judge(r.src.State())
		if p.Done {
			r.finish(id, p.Text, nil)
			return
		}
		r.update(id, func(a *Action) { a.Text = p.Text })
		select {
		case <-ctx.Done():
			r.finish(id, p.Text, fmt.Errorf("stopped watching: %w", ctx.Err()))
			return
		case <-tick.C:
		}
	}
}
