package debug

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		setting, addr string
		want          bool
	}{
		{"no", "127.0.0.1:5000", false},
		{"yes", "10.0.0.7:5000", true},
		{"local", "127.0.0.1:5000", true},
		{"local", "[::1]:5000", true},
		{"local", "10.0.0.7:5000", false},
		{"local", "not an address", false},
	} {
		assert.Equal(t, tc.want, Allowed(tc.setting, tc.addr), "%s %s", tc.setting, tc.addr)
	}
}
