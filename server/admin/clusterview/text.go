package clusterview

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshcache/meshcache/server/resp"
)

// Render writes the view for a terminal (`meshcache status`): a summary
// line, the members table, each member's slot ranges, the slots moving and
// the last events (at most events of them). Pure: the view in, text out.
func Render(w io.Writer, v View, events int) error {
	var b strings.Builder
	health := "healthy"
	if !v.Healthy {
		health = "NO MAJORITY"
	}
	fmt.Fprintf(&b, "meshcache cluster as node %s sees it at %s: %s, routing table epoch %d, %d of %d slots assigned\n",
		short(v.Node), v.At.UTC().Format(time.DateTime), health, v.Epoch, v.Assigned, v.SlotCount)
	tt := v.Totals
	fmt.Fprintf(&b, "members %d alive, %d dead, %d unreachable; keys %d, memory %s, %.0f ops/s, %d clients, %d slots moving\n\n",
		tt.Alive, tt.Dead, tt.Unreached, tt.Keys, resp.HumanBytes(tt.UsedMemory), tt.OpsPerSec, tt.Clients, tt.Moving)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tCLIENT ADDR\tSTATE\tGOSSIP\tLED\tREPLICA\tKEYS\tMEMORY\tMAXMEMORY\tOPS/S\tCLIENTS\tHIT%\tP50\tP99\tREPL LAG\tDEGRADED\tMIGRATION")
	for _, m := range v.Members {
		id := short(m.ID)
		if m.Self {
			id += "*"
		}
		gossip := "alive"
		if !m.Alive {
			gossip = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d", id, m.ClientAddr, m.State, gossip, m.Led, m.Replicated)
		if r := m.Report; r != nil {
			maxMem := "none"
			if r.MaxMemory > 0 {
				maxMem = resp.HumanBytes(r.MaxMemory)
			}
			fmt.Fprintf(tw, "\t%d\t%s\t%s\t%.0f\t%d\t%s\t%s\t%s\t%d\t%d\t%s\n",
				r.Keys, resp.HumanBytes(r.UsedMemory), maxMem, r.OpsPerSec, r.Clients, percent(r),
				micros(r.LatencyP50), micros(r.LatencyP99), r.ReplLag, r.DegradedSlots, migration(r))
		} else {
			fmt.Fprintf(tw, "\t(%s)\n", m.Error)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render members: %w", err)
	}

	b.WriteString("\nSLOTS (led ranges)\n")
	led := make([][]SlotRange, len(v.Members))
	var moving []SlotRange
	for _, r := range v.Slots {
		if r.Primary >= 0 && r.Primary < len(led) {
			led[r.Primary] = append(led[r.Primary], r)
		}
		if r.State != "stable" {
			moving = append(moving, r)
		}
	}
	for i, m := range v.Members {
		fmt.Fprintf(&b, "  %s  %5d slots  %s\n", short(m.ID), m.Led, ranges(led[i], 6))
	}
	if len(moving) > 0 {
		fmt.Fprintf(&b, "  moving:")
		for _, r := range moving {
			fmt.Fprintf(&b, " %s %s %s->%s;", span(r), r.State, v.name(r.Primary), v.name(r.Peer))
		}
		b.WriteString("\n")
	}

	evs := v.Events
	if len(evs) > events {
		evs = evs[len(evs)-events:]
	}
	fmt.Fprintf(&b, "\nEVENTS (last %d of %d)\n", len(evs), len(v.Events))
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s  %-8s %s  [seen by %s]\n", e.At.UTC().Format(time.TimeOnly), e.Kind, e.Text, short(e.Observer))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// name is the short ID of member i, or "?" for one the list lacks.
func (v View) name(i int) string {
	if i < 0 || i >= len(v.Members) {
		return "?"
	}
	return short(v.Members[i].ID)
}

// short is a node ID as the views show it: its first 8 characters.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func percent(r *Report) string {
	if r.Hits+r.Misses == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*r.HitRatio)
}

// micros writes a latency in µs with a unit that keeps it short.
func micros(us float64) string {
	switch {
	case us == 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	default:
		return fmt.Sprintf("%.1fms", us/1000)
	}
}

func migration(r *Report) string {
	if r.Transfers == 0 && r.ReplicaSyncing == 0 {
		return "idle"
	}
	return fmt.Sprintf("%d transfers %s/s, %d replica slots syncing", r.Transfers, resp.HumanBytes(int64(r.TransferRate)), r.ReplicaSyncing)
}

func span(r SlotRange) string {
	if r.Start == r.End {
		return fmt.Sprint(r.Start)
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End)
}

// ranges writes up to limit slot ranges, merging adjacent ones that differ
// only in replicas or state, and counts the rest.
func ranges(rs []SlotRange, limit int) string {
	var merged []SlotRange
	for _, r := range rs {
		if n := len(merged); n > 0 && merged[n-1].End+1 == r.Start {
			merged[n-1].End = r.End
			continue
		}
		merged = append(merged, r)
	}
	if len(merged) == 0 {
		return "-"
	}
	parts := make([]string, 0, limit+1)
	for i, r := range merged {
		if i == limit {
			parts = append(parts, fmt.Sprintf("... %d more ranges", len(merged)-limit))
			break
		}
		parts = append(parts, span(r))
	}
	return strings.Join(parts, " ")
}
