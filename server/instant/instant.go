// Package instant keeps Redis's instantaneous metrics (INFO's
// instantaneous_ops_per_sec, instantaneous_input_kbps and
// instantaneous_output_kbps): a counter is sampled every Every; the rate
// between two consecutive samples is kept for the last Samples of them, and
// their mean is the rate now, as Redis's trackInstantaneousMetric and
// getInstantaneousMetric compute it (integer arithmetic on milliseconds,
// so a rate is a whole number per second).
package instant

import (
	"sync"
	"time"
)

const (
	// Samples is how many rates the mean is over (Redis's
	// STATS_METRIC_SAMPLES).
	Samples = 16
	// Every is how often the counters are sampled (Redis samples in
	// serverCron, every 100 ms).
	Every = 100 * time.Millisecond
)

// Meter is one metric. One goroutine samples it; any may read it.
type Meter struct {
	mu     sync.Mutex // guards every field below
	lastAt time.Time  // the last sample's time; zero before the first
	lastV  int64      // the counter at lastAt
	rates  [Samples]int64
	next   int // where the next rate goes in rates
}

// Sample records that the counter read v at now. The first sample only
// starts the meter; each one after adds the rate since the one before
// (0 when no time passed), replacing the oldest.
func (m *Meter) Sample(now time.Time, v int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastAt.IsZero() {
		var rate int64
		if ms := now.Sub(m.lastAt).Milliseconds(); ms > 0 {
			rate = (v - m.lastV) * 1000 / ms
		}
		m.rates[m.next] = rate
		m.next = (m.next + 1) % Samples
	}
	m.lastAt, m.lastV = now, v
}

// Rate returns the mean of the last Samples rates, per second (rates not
// yet taken count as 0, as Redis's do).
func (m *Meter) Rate() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for _, r := range m.rates {
		sum += r
	}
	return sum / Samples
}
