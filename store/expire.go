package store

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Active expiry follows Redis's activeExpireCycle (slow cycle): every
// expireCycleEvery, visit the slots that have keys with a TTL; in each,
// sample expireSamples of them, delete the expired ones, and sample again
// while more than expireRepeatPct percent of a sample had expired. A cycle
// stops when it has used expireBudgetPct percent of its period and resumes
// where it stopped next time.
const (
	expireCycleEvery = 100 * time.Millisecond
	expireSamples    = 20
	expireRepeatPct  = 25
	expireBudgetPct  = 25
)

// Run does active expiry until ctx is done. The caller owns the goroutine
// that runs it; Run starts none.
func (s *Store) Run(ctx context.Context) {
	tick := time.NewTicker(expireCycleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.activeExpiryTick()
		}
	}
}

// expireCycle runs one active expiry cycle within budget of wall time.
// Only Run's goroutine (or a test) calls it.
func (s *Store) expireCycle(budget time.Duration) {
	start := time.Now()
	var ttlSum, ttlN int64
	pos, walked := s.expireCursor, 0
	for visits := 1; ; visits++ {
		sn, ok := s.volSlots.Next(pos)
		if !ok {
			break
		}
		walked += (int(sn)-pos)&(ring.SlotCount-1) + 1
		if walked > ring.SlotCount {
			break // a whole lap: every slot with a TTL key was visited
		}
		pos = (int(sn) + 1) & (ring.SlotCount - 1)
		sum, n, more := s.expireSlot(sn, start, budget)
		ttlSum += sum
		ttlN += n
		if more || (visits&15 == 0 && time.Since(start) > budget) {
			break
		}
	}
	s.expireCursor = pos
	if ttlN > 0 {
		// Redis's running estimate: each cycle's sample weighs 2%.
		avg := ttlSum / ttlN
		if old := s.avgTTL.Load(); old != 0 {
			avg = old/50*49 + avg/50
		}
		s.avgTTL.Store(avg)
	}
	took := time.Since(start)
	s.expireCycleNS.Add(int64(took))
	s.latency("expire-cycle", took)
}

// expireSlot samples one slot's keys with a TTL until few of a sample are
// expired. It returns the TTL sum and count of the live keys it sampled,
// and whether it stopped because the cycle's budget ran out.
func (s *Store) expireSlot(sn uint16, start time.Time, budget time.Duration) (ttlSum, ttlN int64, out bool) {
	tx := s.Lock(sn)
	defer tx.Close()
	sl := &s.slots[sn]
	for rounds := 0; ; rounds++ {
		t := sl.t
		if t == nil || len(t.vol) == 0 {
			return ttlSum, ttlN, false
		}
		dead := 0
		for range min(expireSamples, len(t.vol)) {
			off := t.vol[rand.IntN(len(t.vol))]
			exp := eExpire(t.arena, off)
			if !expired(exp, tx.now) {
				ttlSum += exp - tx.now
				ttlN++
				continue
			}
			key := eKey(t.arena, off)
			pos, ok := t.idx.PosOf(s.hash(key), off)
			if !ok {
				continue // cannot happen: every TTL-list entry is indexed
			}
			tx.expire(sl, pos, off, key)
			dead++
			if sl.t.idx.Len() == 0 || len(sl.t.vol) == 0 {
				break
			}
		}
		tx.done(sl)
		if dead*100 <= expireSamples*expireRepeatPct {
			return ttlSum, ttlN, false
		}
		if rounds&15 == 15 && time.Since(start) > budget {
			return ttlSum, ttlN, true
		}
	}
}

// activeExpiryTick is one tick of Run: a cycle, unless active expiry is off.
func (s *Store) activeExpiryTick() {
	if !s.noActiveExpiry.Load() {
		s.expireCycle(expireCycleEvery * expireBudgetPct / 100)
	}
}

// SetActiveExpiry turns active expiry on (the default) or off (DEBUG
// SET-ACTIVE-EXPIRE 0): off, an expired key goes only when it is touched.
func (s *Store) SetActiveExpiry(on bool) { s.noActiveExpiry.Store(!on) }
