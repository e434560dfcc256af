package replack

import (
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
)

// wantAll asks for every synced replica: a batch waits for min(want,
// synced) of them.
const wantAll = ring.MaxReplicas

// Policy is the node's replica acknowledgement: its settings, mirrored
// from the configuration (Set, from server.New and CONFIG SET), and the
// counters INFO replication shows. All fields are atomics, read on every
// write: safe for concurrent use.
type Policy struct {
	mode        atomic.Int32 // config.AckMode
	minReplicas atomic.Int64
	timeout     atomic.Int64 // nanoseconds: node-timeout

	waits    atomic.Int64 // batches that waited for replicas
	timeouts atomic.Int64 // of those, gave up after node-timeout
	refused  atomic.Int64 // writes refused with -NOREPLICAS
}

// Counts are a Policy's counters at one moment (each read atomically).
type Counts struct {
	Waits, Timeouts, Refused int64
}

// Set mirrors the settings: replica-ack, min-replicas-to-write and
// node-timeout, the longest a batch waits.
func (p *Policy) Set(mode config.AckMode, minReplicas int, timeout time.Duration) {
	p.mode.Store(int32(mode))
	p.minReplicas.Store(int64(minReplicas))
	p.timeout.Store(int64(timeout))
}

// Mode is replica-ack.
func (p *Policy) Mode() config.AckMode { return config.AckMode(p.mode.Load()) }

// MinReplicas is min-replicas-to-write (0 or less: off).
func (p *Policy) MinReplicas() int { return int(p.minReplicas.Load()) }

// Timeout is node-timeout: how long a batch waits for its replicas.
func (p *Policy) Timeout() time.Duration { return time.Duration(p.timeout.Load()) }

// Refuse counts a write refused with -NOREPLICAS (MinReplicas).
func (p *Policy) Refuse() { p.refused.Add(1) }

// Counts returns the counters.
func (p *Policy) Counts() Counts {
	return Counts{Waits: p.waits.Load(), Timeouts: p.timeouts.Load(), Refused: p.refused.Load()}
}

// Batch resolves the writes w noted since the last batch into the
// positions the batch's replies wait for and how many replicas they wait
// for: want 0 when none (replica-ack none, nothing written here, or every
// position acknowledged already). What the replicas have applied is
// dropped from the account meanwhile (Prune).
func (p *Policy) Batch(w *Writes, n Node) (pos []cluster.SlotOffset, want int) {
	pos = w.Resolve(n)
	mode := p.Mode()
	if len(pos) > 0 && mode != config.AckNone {
		want = 1
		if mode == config.AckAll {
			want = wantAll
		}
		if w.Prune(n, want) {
			return nil, 0 // acknowledged already
		}
		p.waits.Add(1)
		return pos, want
	}
	if u := w.Unsettled(); u > 0 && (mode != config.AckNone || u > 32) {
		w.Prune(n, 0)
	}
	return nil, 0
}

// Done ends a batch's wait for its replicas, which failed with err
// (timeout, a lost lead) or not, counting a failure, and reports whether
// the batch's replies may leave.
func (p *Policy) Done(w *Writes, n Node, err error) bool {
	if err != nil {
		p.timeouts.Add(1)
	}
	if w.Unsettled() > 0 {
		w.Prune(n, 0)
	}
	return err == nil
}
