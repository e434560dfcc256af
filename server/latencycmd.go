package server

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/latency"
)

// LATENCY over the node's latency monitor (server/latency): dispatch
// samples every command at least latency-monitor-threshold milliseconds
// long as "command", or "fast-command" for the table's fast commands, as
// Redis's call() does. HISTOGRAM reads the per-command histograms that
// INFO latencystats reads.

// noteLatency samples a command that crossed latency-monitor-threshold.
func (s *Server) noteLatency(e *entry, dur time.Duration, end time.Time) {
	event := "command"
	if e.Flags&FlagFast != 0 {
		event = "fast-command"
	}
	s.latency.Add(event, dur.Milliseconds(), end)
}

func latencyCommands() []*Command {
	sub := func(name string, arity int, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "latency|" + name, Arity: arity, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale,
			Tips: []string{commands.TipNondeterministic, commands.TipAllNodes, commands.TipSpecialResponse}, Group: "server", Since: "2.8.13",
			Summary: summary, Handler: fe(h), Help: help}
	}
	histogram := sub("histogram", -2, "Returns the cumulative distribution of latencies of a subset or all commands.", latencyHistogram,
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.")
	histogram.Since = "7.0.0"
	reset := sub("reset", -2, "Resets the latency data for one or more events.", func(c *Call) {
		events := make([]string, 0, len(c.Args)-2)
		for _, a := range c.Args[2:] {
			events = append(events, string(a))
		}
		c.Reply.Int(int64(c.Server.latency.Reset(events...)))
	},
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)")
	reset.Tips = []string{commands.TipAllNodes, commands.TipAllSucceeded}
	return []*Command{{
		Name: "latency", Arity: -2, Group: "server", Since: "2.8.13", Summary: "A container for latency diagnostics commands.",
		Subcommands: []*Command{
			sub("doctor", 2, "Returns a human-readable latency analysis report.", func(c *Call) {
				cfg := c.Server.Config()
				env := latency.Env{ThresholdMs: cfg.LatencyMonitorThreshold, SlowerThanUs: cfg.SlowlogLogSlowerThan,
					AnonHugePages: anonHugePages()}
				c.Reply.Verbatim("txt", c.Server.latency.Doctor(env, time.Now()))
			},
				"DOCTOR",
				"    Return a human readable latency analysis report."),
			sub("graph", 3, "Returns a latency graph for an event.", func(c *Call) {
				g, ok := c.Server.latency.Graph(string(c.Args[2]), time.Now())
				if !ok {
					c.Reply.Error("ERR No samples available for event '" + string(c.Args[2]) + "'")
					return
				}
				c.Reply.Verbatim("txt", g)
			},
				"GRAPH <event>",
				"    Return an ASCII latency graph for the <event> class."),
			sub("history", 3, "Returns timestamp-latency samples for an event.", func(c *Call) {
				samples := c.Server.latency.History(string(c.Args[2]))
				c.Reply.Array(len(samples))
				for _, smp := range samples {
					c.Reply.Array(2)
					c.Reply.Int(smp.Time)
					c.Reply.Int(smp.Latency)
				}
			},
				"HISTORY <event>",
				"    Return time-latency samples for the <event> class."),
			sub("latest", 2, "Returns the latest latency samples for all events.", func(c *Call) {
				rows := c.Server.latency.Latest()
				c.Reply.Array(len(rows))
				for _, r := range rows {
					c.Reply.Array(4)
					c.Reply.BulkString(r.Event)
					c.Reply.Int(r.Time)
					c.Reply.Int(r.Latency)
					c.Reply.Int(r.AllTimeHigh)
				}
			},
				"LATEST",
				"    Return the latest latency samples for all events."),
			reset,
			histogram,
			{Name: "latency|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}}
}

// latencyHistogram: LATENCY HISTOGRAM [command ...]: for each command (a
// container's subcommands included) that ran since the last CONFIG
// RESETSTAT, its calls and the cumulative count under each power-of-two
// microsecond bound (cmdstats' buckets; Redis's differ by 2.4%: 1.024 µs
// times powers of two). The last bucket, everything past 2^20 µs, is
// labelled 2^21, as Redis labels everything past 1 s as 1 s.
func latencyHistogram(c *Call) {
	s := c.Server
	var list []*entry
	add := func(e *entry) {
		if e.stats.Calls() > 0 {
			list = append(list, e)
		}
		for _, sub := range e.sorted {
			if sub.stats.Calls() > 0 {
				list = append(list, sub)
			}
		}
	}
	if len(c.Args) == 2 {
		for _, e := range s.sorted {
			add(e)
		}
	} else {
		for _, a := range c.Args[2:] {
			if e := s.lookupName(strings.ToLower(string(a))); e != nil {
				add(e)
			}
		}
	}
	c.Reply.Map(len(list))
	for _, e := range list {
		l := e.stats.Latency()
		c.Reply.BulkString(e.Name)
		c.Reply.Map(2)
		c.Reply.BulkString("calls")
		c.Reply.Int(l.Total())
		c.Reply.BulkString("histogram_usec")
		n := 0
		for _, v := range l {
			if v > 0 {
				n++
			}
		}
		c.Reply.Map(n)
		var cum int64
		for i, v := range l {
			if v == 0 {
				continue
			}
			cum += v
			c.Reply.Int(int64(1) << min(i, cmdstats.Buckets-1))
			c.Reply.Int(cum)
		}
	}
}

// anonHugePages reports whether the process has transparent huge pages
// (LATENCY DOCTOR advises against them, as Redis's does).
func anonHugePages() bool {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("AnonHugePages:")); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"))
			return kb > 0
		}
	}
	return false
}
