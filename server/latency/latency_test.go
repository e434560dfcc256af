package latency

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeries(t *testing.T) {
	var m Monitor
	t0 := time.Unix(1_000_000, 0)
	m.Add("command", 10, t0)
	m.Add("command", 30, t0.Add(500*time.Millisecond)) // same second: the worst stays
	m.Add("command", 20, t0.Add(900*time.Millisecond))
	m.Add("command", 5, t0.Add(time.Second))
	m.Add("fast-command", 7, t0)
	require.Equal(t, []Sample{{1_000_000, 30}, {1_000_001, 5}}, m.History("command"))
	require.Nil(t, m.History("nosuch"))
	require.Equal(t, []Latest{
		{Event: "command", Time: 1_000_001, Latency: 5, AllTimeHigh: 30},
		{Event: "fast-command", Time: 1_000_000, Latency: 7, AllTimeHigh: 7},
	}, m.Latest())

	// The ring keeps the last SeriesLen seconds, oldest first.
	for i := 0; i < SeriesLen+5; i++ {
		m.Add("command", int64(i), t0.Add(time.Duration(10+i)*time.Second))
	}
	h := m.History("command")
	require.Len(t, h, SeriesLen)
	require.Equal(t, Sample{1_000_015, 5}, h[0])
	require.Equal(t, Sample{1_000_010 + SeriesLen + 4, SeriesLen + 4}, h[SeriesLen-1])
	require.Equal(t, int64(SeriesLen+4), m.Latest()[0].AllTimeHigh)

	require.Equal(t, 1, m.Reset("FAST-COMMAND", "nosuch"), "names match in any case")
	require.Equal(t, 1, m.Len())
	require.Equal(t, 1, m.Reset())
	require.Empty(t, m.Latest())
}

func TestDoctor(t *testing.T) {
	now := time.Unix(2_000_000, 0)
	var m Monitor
	require.True(t, strings.HasPrefix(m.Doctor(Env{}, now), "I'm sorry, Dave, I can't do that. Latency monitoring is disabled"))
	require.True(t, strings.HasPrefix(m.Doctor(Env{ThresholdMs: 1}, now), "Dave, no latency spike was observed"))
	require.Contains(t, m.Doctor(Env{ThresholdMs: 1, AnonHugePages: true}, now), "- I detected a non zero amount of anonymous huge pages")

	m.Add("fast-command", 4, now.Add(-3*time.Second))
	m.Add("fast-command", 8, now.Add(-1*time.Second))
	got := m.Doctor(Env{ThresholdMs: 2, SlowerThanUs: -1}, now)
	require.Equal(t, "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"+
		"1. fast-command: 2 latency spikes (average 6ms, mean deviation 2ms, period 1.50 sec). Worst all time event 8ms.\n"+
		"\nI have a few advices for you:\n\n"+
		"- The system is slow to execute Redis code paths not containing system calls.", got[:strings.Index(got, " This usually")])

	m.Add("command", 50, now)
	got = m.Doctor(Env{ThresholdMs: 2, SlowerThanUs: -1}, now)
	require.Contains(t, got, "2. fast-command:")
	require.Contains(t, got, "'CONFIG SET slowlog-log-slower-than 2000'. If the Slow log is disabled")
	got = m.Doctor(Env{ThresholdMs: 2, SlowerThanUs: 10000}, now)
	require.Contains(t, got, "only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 2000'.")
}

// TestGraph: Redis's filled sparkline (sparkline.c): rows from the top,
// '|' under a column's top cell, then the labels downwards after a blank
// row. Expected pictures worked out from sparklineRenderRange by hand.
func TestGraph(t *testing.T) {
	now := time.Unix(3_000_000, 0)
	var m Monitor
	_, ok := m.Graph("command", now)
	require.False(t, ok)
	m.Add("command", 10, now.Add(-70*time.Second))
	m.Add("command", 40, now.Add(-2*time.Second))
	m.Add("command", 25, now)
	g, ok := m.Graph("command", now)
	require.True(t, ok)
	// Steps 0, 11 (clamped from 12) and 6 of 12: a cell shows
	// step-(rows-row-1)*3 as "_o#" when it is 0..2, '|' above that: 11 is
	// '#' on the top row, 6 is '_' on the second, 0 '_' on the bottom.
	require.Equal(t, "command - high 40 ms, low 10 ms (all time high 40 ms)\n"+strings.Repeat("-", 80)+"\n"+
		" # \n"+
		" |_\n"+
		" ||\n"+
		"_||\n"+
		"   \n"+
		"120\n"+
		"mss\n", g)
}
