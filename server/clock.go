package server

import "time"

// Command timing. Redis times every command (INFO commandstats usec, the
// slow log); doing that with two clock reads per command costs about 5% of
// a pipelined SET/GET run. A connection's commands run back to back on its
// goroutine, so within one batch of pipelined commands the end of one
// command is the start of the next: the clock is read once per command plus
// once per batch. A batch ends when the connection's goroutine asks for more
// input (resp.Conn.Reads changes), since the wait for the network must not
// count as command time.

// On top of that only the first command of a batch reads the wall clock
// (time.Now, which on Linux is two clock reads: wall and monotonic); the
// ends of the batch's commands read the monotonic clock alone and take
// their wall time from the batch's first reading plus the monotonic time
// since (the wall clock jumping within one batch is not seen until the
// next). On this project's 2-core VM a clock read costs about as much as
// the rest of a GET's front-end work, so each one saved counts.

// The end of one command also serves as the store's clock for the next
// one (store.LockAt), instead of a wall clock read per Tx, but only when
// it is fresh: taken by the command just before in the same batch
// (c.stampFor == c.cmdSeq, which handle advances per command), so that no
// forwarded call, parked wait or other command without a stamp lies
// between the reading and the lock. See lockNow.

// cmdStart returns the start time of the command about to run. Within one
// command it returns the same time however often it is asked.
func (c *Client) cmdStart() time.Time {
	if c.stamp.IsZero() || c.pc == nil || c.pc.Reads() != c.stampReads {
		c.base = time.Now()
		if c.pc != nil {
			c.stampReads = c.pc.Reads()
			c.stamp, c.stampFor = c.base, c.cmdSeq
		}
		return c.base
	}
	return c.stamp
}

// cmdEnd stamps the end of the command that just ran and records it as the
// client's last activity (CLIENT LIST idle=). cmdStart ran before it in the
// same batch, so c.base holds the batch's wall and monotonic reading.
func (c *Client) cmdEnd() time.Time {
	now := c.base.Add(time.Since(c.base)) // one monotonic clock read
	c.stamp, c.stampFor = now, c.cmdSeq+1
	c.lastActive.Store(now.UnixNano())
	return now
}

// lockNow returns the command's start time for store.LockAt and true when
// it is a fresh reading (see above); false when the store must read the
// clock itself.
func (c *Client) lockNow() (time.Time, bool) {
	if c.pc == nil {
		return time.Time{}, false
	}
	now := c.cmdStart()
	return now, c.stampFor == c.cmdSeq
}
