package notify

import "testing"

// TestParseAndString checks notify-keyspace-events against Redis's
// keyspaceEventsStringToFlags and keyspaceEventsFlagsToString: the value
// each input reads back as (CONFIG GET after CONFIG SET), and the inputs
// Redis refuses.
func TestParseAndString(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"", ""}, {"KEA", "AKE"}, {"AKE", "AKE"}, {"A", "A"}, {"K", "K"}, {"E", "E"},
		{"g$lshzxetd", "A"}, {"g$lshzxet", "g$lshzxet"}, {"Elg", "glE"}, {"nK", "nK"},
		{"mK", "Km"}, {"Am", "Am"}, {"An", "A"}, {"nA", "A"}, {"KEAmn", "AKEm"}, // n is not shown with A, as Redis

		{"zzKK", "zK"}, {"x", "x"}, {"e", "e"}, {"d", "d"}, {"t", "t"},
	} {
		c, ok := Parse(tc.in)
		if !ok {
			t.Fatalf("Parse(%q) refused", tc.in)
		}
		if got := c.String(); got != tc.out {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.out)
		}
	}
	for _, bad := range []string{"Q", "KE ", "a", "k", "KEAQ", "\x00"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestClasses checks the bits against Redis's NOTIFY_* values and that A
// leaves out m, n, K and E, as Redis's NOTIFY_ALL does.
func TestClasses(t *testing.T) {
	if All != 0x27fc {
		t.Errorf("All = %#x, want Redis's NOTIFY_ALL 0x27fc", uint32(All))
	}
	if All&(KeyMiss|New|Keyspace|Keyevent) != 0 {
		t.Error("A includes m, n, K or E")
	}
	for _, tc := range []struct {
		c    Class
		emit bool
	}{{0, false}, {Keyspace, false}, {All, false}, {Keyspace | Generic, true}, {Keyevent | KeyMiss, true}} {
		if got := tc.c.Emits(); got != tc.emit {
			t.Errorf("%q.Emits() = %v", tc.c.String(), got)
		}
	}
}

// TestChannels checks the channel names of db 0.
func TestChannels(t *testing.T) {
	if got := string(AppendKeyspace(nil, []byte("k:1"))); got != "__keyspace@0__:k:1" {
		t.Error(got)
	}
	if got := string(AppendKeyevent([]byte("x"), "del")); got != "x__keyevent@0__:del" {
		t.Error(got)
	}
	if Pushed(true) != LPush || Pushed(false) != RPush || Popped(true) != LPop || Popped(false) != RPop {
		t.Error("list directions")
	}
}
