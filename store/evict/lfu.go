package evict

import (
	"math/rand/v2"
	"time"
)

// LFU, as Redis's evict.c: an 8-bit logarithmic counter that starts at
// LFUInitVal, grows with probability 1/((counter-LFUInitVal)*lfu-log-factor+1)
// per access, and loses one per lfu-decay-time minutes without access. An
// entry keeps its counter and the LFU clock (unix minutes mod 2^16) of its
// last decrement (LDT); the clock wraps, and decay counts the minutes since
// as Redis's LFUTimeElapsed does.
const LFUInitVal = 5

// The LFU settings' defaults, as in redis.conf.
const (
	DefaultLFULogFactor = 10
	DefaultLFUDecayTime = time.Minute
)

// LFU holds the counter's two settings.
type LFU struct {
	LogFactor int   // lfu-log-factor
	DecayMin  int64 // lfu-decay-time in minutes, at least 1
}

// NewLFU returns the settings of lfu-log-factor logFactor and
// lfu-decay-time decay (whole minutes, at least one); zero or less means
// the default.
func NewLFU(logFactor int, decay time.Duration) LFU {
	if logFactor <= 0 {
		logFactor = DefaultLFULogFactor
	}
	if decay <= 0 {
		decay = DefaultLFUDecayTime
	}
	return LFU{LogFactor: logFactor, DecayMin: max(int64(decay/time.Minute), 1)}
}

// Decay returns counter ctr, last decremented at minute ldt, after the
// decay due at minute nowMin (LFUDecrAndReturn).
func (c LFU) Decay(ctr uint8, ldt, nowMin uint16) uint8 {
	elapsed := int64(nowMin - ldt) // wraps like LFUTimeElapsed
	periods := elapsed / c.DecayMin
	if periods >= int64(ctr) {
		return 0
	}
	return ctr - uint8(periods)
}

// Touch returns counter ctr, last decremented at minute ldt, after an
// access at minute nowMin (updateLFU): decay, then a logarithmic
// increment. The entry's LDT becomes nowMin.
func (c LFU) Touch(ctr uint8, ldt, nowMin uint16) uint8 {
	ctr = c.Decay(ctr, ldt, nowMin)
	if ctr < 255 {
		base := float64(int(ctr) - LFUInitVal)
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1/(base*float64(c.LogFactor)+1) {
			ctr++
		}
	}
	return ctr
}
