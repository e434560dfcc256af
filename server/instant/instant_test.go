package instant

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestMeter follows a counter through samples: the first only starts the
// meter, each later one adds its rate, the mean is over Samples rates with
// the ones not yet taken at 0, and old rates fall out.
func TestMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	steps := []struct {
		ms   int
		v    int64
		want int64
	}{
		{0, 500, 0},     // starts the meter
		{100, 600, 62},  // 1000/s, one rate of 16: 1000/16
		{200, 700, 125}, // two
		{200, 900, 125}, // no time passed: a rate of 0 replaces nothing new
		{300, 900, 125}, // idle: 0
	}
	var m Meter
	for i, s := range steps {
		m.Sample(at(s.ms), s.v)
		assert.Equal(t, s.want, m.Rate(), "step %d", i)
	}
	// A steady 2000/s for Samples periods: every older rate is gone.
	v, ms := int64(900), 300
	for range Samples {
		ms += 100
		v += 200
		m.Sample(at(ms), v)
	}
	assert.Equal(t, int64(2000), m.Rate())
	// An uneven period: 300 over 150 ms is 2000/s too.
	m.Sample(at(ms+150), v+300)
	assert.Equal(t, int64(2000), m.Rate())
}
