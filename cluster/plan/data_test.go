package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestKindString: the words the coordinator logs and records each step by.
func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{None: "none", Failover: "failover", Members: "members",
		Rebalance: "rebalance", Assignment: "assign", Prefer: "prefer", Prefer + 1: "kind(6)"} {
		assert.Equal(t, want, k.String())
	}
}
