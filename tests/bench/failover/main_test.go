package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want map[string]string
	}{
		{
			name: "quoted message and bare values",
			line: `time=2026-11-22T16:01:03.111Z level=INFO msg="member changed" component=cluster alive=false`,
			want: map[string]string{"time": "2026-11-22T16:01:03.111Z", "level": "INFO", "msg": "member changed",
				"component": "cluster", "alive": "false"},
		},
		{
			name: "escaped quote inside a value",
			line: `msg="say \"hi\"" step=failover`,
			want: map[string]string{"msg": `say "hi"`, "step": "failover"},
		},
		{
			name: "no pairs",
			line: "panic: boom",
			want: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseLogLine(tt.line))
		})
	}
}

func TestWriteSection(t *testing.T) {
	const section = "<!-- failover:begin -->\nnew\n<!-- failover:end -->"
	tests := []struct {
		name, doc, want string
		wantErr         bool
	}{
		{name: "appends at the end", doc: "# b\n\ntext\n", want: "# b\n\ntext\n\n" + section + "\n"},
		{name: "replaces the old section only",
			doc:  "a\n<!-- failover:begin -->\nold\n<!-- failover:end -->\nz\n",
			want: "a\n" + section + "\nz\n"},
		{name: "unmatched marker", doc: "a\n<!-- failover:end -->\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			require.NoError(t, os.WriteFile(path, []byte(tt.doc), 0o644))
			err := writeSection(path, section)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestFillSlotTags(t *testing.T) {
	var tags [ring.SlotCount]string
	fillSlotTags(&tags)
	for s, tag := range tags {
		require.Equal(t, uint16(s), ring.KeySlotString("{"+tag+"}:probe"), "tag %q", tag)
	}
}

func TestSampleAndMedian(t *testing.T) {
	slots := make([]uint16, 100)
	for i := range slots {
		slots[i] = uint16(i)
	}
	assert.Equal(t, []uint16{0, 25, 50, 75}, sample(slots, 4))
	assert.Equal(t, slots[:3], sample(slots[:3], 4))
	assert.Equal(t, 2*time.Second, median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}))
	assert.Equal(t, 1500*time.Millisecond, median([]time.Duration{2 * time.Second, time.Second}))
}
