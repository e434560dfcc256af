package latency

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// graphCols and graphRows: LATENCY GRAPH's width and height (latency.c).
const (
	graphCols = 80
	graphRows = 4
)

// Graph is LATENCY GRAPH's picture of an event: a heading, a rule, and
// Redis's filled sparkline of the samples, each labelled with how long
// ago it was (sparkline.c). ok is false when the event has no samples.
func (m *Monitor) Graph(event string, now time.Time) (graph string, ok bool) {
	m.mu.Lock()
	ts := m.events[event]
	var samples []Sample
	var allTime int64
	if ts != nil {
		samples, allTime = ts.ordered(), ts.max
	}
	m.mu.Unlock()
	if ts == nil {
		return "", false
	}
	var seq sequence
	var lo, hi int64
	for i, s := range samples {
		if i == 0 {
			lo, hi = s.Latency, s.Latency
		}
		lo, hi = min(lo, s.Latency), max(hi, s.Latency)
		seq.add(float64(s.Latency), ago(now.Unix()-s.Time))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, allTime)
	b.WriteString(strings.Repeat("-", graphCols))
	b.WriteString("\n")
	seq.render(&b, graphCols, graphRows)
	return b.String(), true
}

// ago labels a sample: seconds, minutes, hours or days ago.
func ago(elapsed int64) string {
	switch {
	case elapsed < 60:
		return fmt.Sprintf("%ds", elapsed)
	case elapsed < 3600:
		return fmt.Sprintf("%dm", elapsed/60)
	case elapsed < 3600*24:
		return fmt.Sprintf("%dh", elapsed/3600)
	default:
		return fmt.Sprintf("%dd", elapsed/(3600*24))
	}
}

// sequence is a sparkline's samples (Redis's struct sequence).
type sequence struct {
	values   []float64
	labels   []string
	labelled int
	min, max float64
}

func (q *sequence) add(v float64, label string) {
	if len(q.values) == 0 {
		q.min, q.max = v, v
	} else if v < q.min {
		q.min = v
	} else if v > q.max {
		q.max = v
	}
	q.values = append(q.values, v)
	q.labels = append(q.labels, label)
	if label != "" {
		q.labelled++
	}
}

// fill is the filled charset (SPARKLINE_FILL): a column's top cell, a '|'
// for the full cells under it.
const fill = "_o#"

// render draws the sequence in chunks of cols columns (sparklineRender).
func (q *sequence) render(b *strings.Builder, cols, rows int) {
	for j := 0; j < len(q.values); j += cols {
		if j != 0 {
			b.WriteString("\n")
		}
		q.renderRange(b, rows, j, min(cols, len(q.values)-j))
	}
}

// renderRange is sparklineRenderRange with SPARKLINE_FILL: rows of bars,
// then the labels written downwards, one character per row, after a
// one-row margin.
func (q *sequence) renderRange(b *strings.Builder, rows, offset, n int) {
	relmax := q.max - q.min
	if relmax == 0 {
		relmax = 1
	}
	steps := len(fill) * rows
	chars := make([]byte, n)
	for row := 0; ; row++ {
		more := false
		for j := range chars {
			chars[j] = ' '
		}
		for j := 0; j < n; j++ {
			v, label := q.values[j+offset], q.labels[j+offset]
			step := int(math.Trunc(math.Trunc((v-q.min)*float64(steps)) / relmax)) // (int)(relval*steps)/relmax, as C
			step = max(0, min(step, steps-1))
			if row < rows {
				more = true
				idx := step - (rows-row-1)*len(fill)
				if idx >= 0 && idx < len(fill) {
					chars[j] = fill[idx]
				} else if idx >= len(fill) {
					chars[j] = '|'
				}
				continue
			}
			if q.labelled > 0 && row-rows < 1 {
				more = true
				break
			}
			if c := row - rows - 1; label != "" && len(label) > c {
				more = true
				chars[j] = label[c]
			}
		}
		if !more {
			return
		}
		b.Write(chars)
		b.WriteString("\n")
	}
}
