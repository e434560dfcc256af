// Package latency is the node's latency monitor, the state behind the
// LATENCY command (Redis's latency.c): for each event class ("command",
// "fast-command" ...) the worst latency of each of the last 160 seconds in
// which the class went over latency-monitor-threshold, and its all-time
// worst. It also renders LATENCY DOCTOR's report and LATENCY GRAPH's
// sparkline with Redis's words, so that tools reading them are not
// surprised. The monitor is pure state: the caller decides what crosses
// the threshold and passes the time in.
package latency

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// SeriesLen is how many per-second samples an event keeps (Redis's
// LATENCY_TS_LEN).
const SeriesLen = 160

// A Sample is the worst latency of one event class in one second.
type Sample struct {
	Time    int64 // unix seconds; 0 = an empty slot
	Latency int64 // milliseconds
}

// series is a ring of samples; idx is the slot the next new second takes.
type series struct {
	samples [SeriesLen]Sample
	idx     int
	max     int64 // all-time worst since the last reset
}

// Monitor holds every event class's series. Its zero value is ready; it
// is safe for concurrent use.
type Monitor struct {
	mu     sync.Mutex // guards events
	events map[string]*series
}

// Add records that event took ms milliseconds at now: a second already
// sampled keeps its worst value, a new second takes the oldest slot. The
// caller has checked the threshold (latency-monitor-threshold, non-zero).
func (m *Monitor) Add(event string, ms int64, now time.Time) {
	sec := now.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string]*series)
	}
	ts := m.events[event]
	if ts == nil {
		ts = &series{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+SeriesLen-1)%SeriesLen]
	if prev.Time == sec {
		prev.Latency = max(prev.Latency, ms)
		return
	}
	ts.samples[ts.idx] = Sample{Time: sec, Latency: ms}
	ts.idx = (ts.idx + 1) % SeriesLen
}

// Reset forgets the named events (case-insensitively, as Redis), or every
// event when none is named, and returns how many it forgot.
func (m *Monitor) Reset(events ...string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(events) == 0 {
		n := len(m.events)
		m.events = nil
		return n
	}
	n := 0
	for _, want := range events {
		for name := range m.events {
			if strings.EqualFold(name, want) {
				delete(m.events, name)
				n++
			}
		}
	}
	return n
}

// Latest is one row of LATENCY LATEST.
type Latest struct {
	Event       string
	Time        int64 // unix seconds of the latest sample
	Latency     int64 // its latency, ms
	AllTimeHigh int64 // ms
}

// Latest returns every event's latest sample, by event name.
func (m *Monitor) Latest() []Latest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Latest, 0, len(m.events))
	for _, name := range m.namesLocked() {
		ts := m.events[name]
		last := ts.samples[(ts.idx+SeriesLen-1)%SeriesLen]
		out = append(out, Latest{Event: name, Time: last.Time, Latency: last.Latency, AllTimeHigh: ts.max})
	}
	return out
}

// History returns an event's samples, oldest first; nil if it has none.
func (m *Monitor) History(event string) []Sample {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		return nil
	}
	return ts.ordered()
}

// Len is the number of event classes with samples.
func (m *Monitor) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

func (ts *series) ordered() []Sample {
	var out []Sample
	for j := 0; j < SeriesLen; j++ {
		if s := ts.samples[(ts.idx+j)%SeriesLen]; s.Time != 0 {
			out = append(out, s)
		}
	}
	return out
}

// namesLocked: the event names, sorted; m.mu is held.
func (m *Monitor) namesLocked() []string {
	names := make([]string, 0, len(m.events))
	for name := range m.events {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// stats is Redis's analysis of one event's samples (analyzeLatencyForEvent).
type stats struct {
	samples          int
	avg, mad, period int64 // ms, ms, seconds
	min, max         int64
}

func (ts *series) analyze(now int64) stats {
	var st stats
	var sum, oldest int64
	for _, s := range ts.ordered() {
		st.samples++
		if st.samples == 1 {
			st.min, st.max = s.Latency, s.Latency
		} else {
			st.min, st.max = min(st.min, s.Latency), max(st.max, s.Latency)
		}
		sum += s.Latency
		if oldest == 0 || s.Time < oldest {
			oldest = s.Time
		}
	}
	if st.samples == 0 {
		return st
	}
	st.avg = sum / int64(st.samples)
	st.period = max(now-oldest, 1)
	var dev int64
	for _, s := range ts.ordered() {
		d := st.avg - s.Latency
		if d < 0 {
			d = -d
		}
		dev += d
	}
	st.mad = dev / int64(st.samples)
	return st
}
