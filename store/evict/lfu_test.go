package evict

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLFUDecay(t *testing.T) {
	for _, c := range []struct {
		name        string
		decayMin    int64
		ctr         uint8
		ldt, nowMin uint16
		want        uint8
	}{
		{"no time passed", 1, 10, 100, 100, 10},
		{"one per minute", 1, 10, 100, 103, 7},
		{"one per decay period", 2, 10, 100, 105, 8},
		{"never below zero", 1, 3, 100, 200, 0},
		{"the clock wraps", 1, 10, 65534, 1, 7},
	} {
		lfu := LFU{LogFactor: 10, DecayMin: c.decayMin}
		assert.Equal(t, c.want, lfu.Decay(c.ctr, c.ldt, c.nowMin), c.name)
	}
}

func TestLFUTouch(t *testing.T) {
	for _, c := range []struct {
		name        string
		logFactor   int
		ctr         uint8
		ldt, nowMin uint16
		want        uint8
	}{
		// With lfu-log-factor 0 every access increments: probability 1.
		{"an access counts", 0, LFUInitVal, 7, 7, LFUInitVal + 1},
		{"decay first, then the access", 0, 20, 0, 5, 16},
		{"saturated", 0, 255, 7, 7, 255},
		{"a counter decayed to zero grows again", 0, 2, 0, 9, 1},
	} {
		lfu := LFU{LogFactor: c.logFactor, DecayMin: 1}
		assert.Equal(t, c.want, lfu.Touch(c.ctr, c.ldt, c.nowMin), c.name)
	}
	// With a large factor a high counter rarely grows: logarithmic.
	lfu := LFU{LogFactor: 10, DecayMin: 1}
	grew := 0
	for range 1000 {
		if lfu.Touch(200, 0, 0) > 200 {
			grew++
		}
	}
	assert.Less(t, grew, 10, "probability 1/(195*10+1) per access")
}

func TestNewLFU(t *testing.T) {
	assert.Equal(t, LFU{LogFactor: 10, DecayMin: 1}, NewLFU(0, 0), "redis.conf's defaults")
	assert.Equal(t, LFU{LogFactor: 3, DecayMin: 5}, NewLFU(3, 5*time.Minute+30*time.Second), "whole minutes")
	assert.Equal(t, LFU{LogFactor: 10, DecayMin: 1}, NewLFU(-1, time.Second), "at least a minute")
}
