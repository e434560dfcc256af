package latency

import (
	"time"

	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/commands"
)

// Host is what the LATENCY command needs of its node: the monitor, what
// DOCTOR's advice depends on, and the per-command latency histograms
// (INFO latencystats' own).
type Host interface {
	Monitor() *Monitor
	Env() Env
	// Histograms returns the histograms of the commands named (a
	// container's subcommands included), or of every command when none
	// is named; commands that never ran are left out.
	Histograms(names [][]byte) []Histogram
}

// Histogram is one command's latency histogram.
type Histogram struct {
	Name    string // the command's full name: "get", "config|set"
	Latency cmdstats.Latency
}

// Conn is how LATENCY's handlers find their node: the call's Conn
// (commands.Call) implements it.
type Conn interface{ LatencyHost() Host }

func host(c *commands.Call) Host { return c.Conn.(Conn).LatencyHost() }

// Commands is LATENCY's entry in the command table, Redis 7.2's flags,
// tips and help.
func Commands() []*commands.Command {
	tips := []string{commands.TipNondeterministic, commands.TipAllNodes, commands.TipSpecialResponse}
	sub := func(name string, arity int, summary string, h func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "latency|" + name, Arity: arity,
			Flags: commands.FlagAdmin | commands.FlagNoScript | commands.FlagLoading | commands.FlagStale,
			Tips:  tips, Group: "server", Since: "2.8.13", Summary: summary, Handler: h, Help: help}
	}
	histogram := sub("histogram", -2, "Returns the cumulative distribution of latencies of a subset or all commands.", histogramCommand,
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.")
	histogram.Since = "7.0.0"
	reset := sub("reset", -2, "Resets the latency data for one or more events.", func(c *commands.Call) {
		events := make([]string, 0, len(c.Args)-2)
		for _, a := range c.Args[2:] {
			events = append(events, string(a))
		}
		c.Reply.Int(int64(host(c).Monitor().Reset(events...)))
	},
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)")
	reset.Tips = []string{commands.TipAllNodes, commands.TipAllSucceeded}
	return []*commands.Command{{
		Name: "latency", Arity: -2, Group: "server", Since: "2.8.13", Summary: "A container for latency diagnostics commands.",
		Subcommands: []*commands.Command{
			sub("doctor", 2, "Returns a human-readable latency analysis report.", func(c *commands.Call) {
				h := host(c)
				c.Reply.Verbatim("txt", h.Monitor().Doctor(h.Env(), time.Now()))
			},
				"DOCTOR",
				"    Return a human readable latency analysis report."),
			sub("graph", 3, "Returns a latency graph for an event.", func(c *commands.Call) {
				g, ok := host(c).Monitor().Graph(string(c.Args[2]), time.Now())
				if !ok {
					c.Reply.Error("ERR No samples available for event '" + string(c.Args[2]) + "'")
					return
				}
				c.Reply.Verbatim("txt", g)
			},
				"GRAPH <event>",
				"    Return an ASCII latency graph for the <event> class."),
			sub("history", 3, "Returns timestamp-latency samples for an event.", func(c *commands.Call) {
				samples := host(c).Monitor().History(string(c.Args[2]))
				c.Reply.Array(len(samples))
				for _, smp := range samples {
					c.Reply.Array(2)
					c.Reply.Int(smp.Time)
					c.Reply.Int(smp.Latency)
				}
			},
				"HISTORY <event>",
				"    Return time-latency samples for the <event> class."),
			sub("latest", 2, "Returns the latest latency samples for all events.", func(c *commands.Call) {
				rows := host(c).Monitor().Latest()
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
			{Name: "latency|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: "server", Since: "2.8.13",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}}
}

// histogramCommand: LATENCY HISTOGRAM [command ...]: for each command that
// ran since the last CONFIG RESETSTAT, its calls and the cumulative count
// under each power-of-two microsecond bound (cmdstats' buckets; Redis's
// differ by 2.4%: 1.024 µs times powers of two). The last bucket,
// everything past 2^20 µs, is labelled 2^21, as Redis labels everything
// past 1 s as 1 s.
func histogramCommand(c *commands.Call) {
	list := host(c).Histograms(c.Args[2:])
	c.Reply.Map(len(list))
	for _, h := range list {
		c.Reply.BulkString(h.Name)
		c.Reply.Map(2)
		c.Reply.BulkString("calls")
		c.Reply.Int(h.Latency.Total())
		c.Reply.BulkString("histogram_usec")
		n := 0
		for _, v := range h.Latency {
			if v > 0 {
				n++
			}
		}
		c.Reply.Map(n)
		var cum int64
		for i, v := range h.Latency {
			if v == 0 {
				continue
			}
			cum += v
			c.Reply.Int(int64(1) << i)
			c.Reply.Int(cum)
		}
	}
}
