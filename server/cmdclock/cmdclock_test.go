package cmdclock

import "testing"

// TestFreshness: the stamp is lent to the store only for the command right
// after the one that took it, in the same batch.
func TestFreshness(t *testing.T) {
	var k Clock
	k.Next()
	start := k.Locked(1, true) // a batch's first command: a new reading
	if start.IsZero() {
		t.Fatal("first command of a batch: no reading")
	}
	if again := k.Start(1, true); !again.Equal(start) {
		t.Fatalf("Start within one command moved: %v then %v", start, again)
	}
	k.End()
	end := k.EndTime()
	k.Next()
	if now := k.Locked(1, true); !now.Equal(end) {
		t.Fatalf("the next command: %v, want %v", now, end)
	}
	k.Stale() // it waited
	if !k.Locked(1, true).IsZero() {
		t.Fatal("fresh after Stale")
	}
	k.End()
	k.Next()
	k.Stale() // a blocking command that waited after its End
	k.Next()
	if !k.Locked(1, true).IsZero() {
		t.Fatal("fresh for the command after a Stale one")
	}
	k.Next() // a command that ran without End (forwarded, refused ...)
	k.Next()
	if !k.Locked(1, true).IsZero() {
		t.Fatal("fresh two commands after the stamp")
	}
	if now := k.Locked(2, true); now.IsZero() || now.Equal(end) {
		t.Fatalf("a new batch: %v, want a new reading", now)
	}
	if !k.Locked(0, false).IsZero() {
		t.Fatal("an internal client's command is never fresh")
	}
}

// TestTimes: a batched command's start and end are the batch's reading
// plus offsets; its run time is their difference, and the store's
// millisecond clock is the start's.
func TestTimes(t *testing.T) {
	var k Clock
	k.Next()
	start := k.Start(1, true)
	if ms := k.LockedMS(1, true); ms != start.UnixMilli() {
		t.Fatalf("LockedMS %d, start %d", ms, start.UnixMilli())
	}
	ran, _ := k.End()
	end := k.EndTime()
	if got := end.Sub(start); got != ran || ran < 0 {
		t.Fatalf("ran %v, end - start %v", ran, got)
	}
	if k.EndNano() != end.UnixNano() {
		t.Fatalf("EndNano %d, end %d", k.EndNano(), end.UnixNano())
	}
	k.Next()
	if next := k.Start(1, true); !next.Equal(end) {
		t.Fatalf("the next command starts at %v, want the last end %v", next, end)
	}
	if k.LockedMS(0, false) != 0 {
		t.Fatal("an internal client's command is never fresh")
	}
}

// TestEndActive: End reports activity when the time moved.
func TestEndActive(t *testing.T) {
	var k Clock
	k.Start(1, true)
	if _, active := k.End(); !active {
		t.Fatal("the first End reports no activity")
	}
	k.activeMS = 0 // as if the last report were long ago
	if _, active := k.End(); !active {
		t.Fatal("End after a long time reports no activity")
	}
}
