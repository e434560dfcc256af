package resp

import "testing"

// TestHumanBytes holds HumanBytes to Redis's bytesToHuman (src/object.c):
// bytes below 1 KiB as an integer, then two decimals in K, M, G and T.
func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.00K"},
		{1536, "1.50K"},
		{1<<20 - 1, "1024.00K"},
		{3 << 19, "1.50M"},
		{5 << 30, "5.00G"},
		{3 << 40, "3.00T"},
	} {
		if got := HumanBytes(c.n); got != c.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
